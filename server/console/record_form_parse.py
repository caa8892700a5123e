"""Reading the posted record form one field at a time, without ever raising.

A form comes from a browser or from anything that can POST: a field may be missing, sent
twice, 10 kB long, binary garbage, or say a number in words. Each reader here turns one field
into what the record model expects, and notes a short Vietnamese message under the field's
own name when it cannot, so the officer sees every problem beside its field at once.
Pydantic's errors on the assembled record are said the same way (:func:`pydantic_message`).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable

from pydantic_core import ErrorDetails
from starlette.datastructures import FormData

# Repeated rows are named "<list>-<token>-<part>", e.g. "documents-1712345678901-name".
ROW_FIELD = re.compile(r"(?P<prefix>[a-z_]+)-(?P<token>[A-Za-z0-9_]{1,40})-(?P<part>[a-z_]+)")
MAX_ROWS = 100
MAX_SHOWN = 20_000  # characters of a posted field shown back to the officer
MAX_LINES = 20_000  # characters of a textarea of lines (steps, legal basis, ...)
MAX_LINE = 1000
_GROUPED = re.compile(r"\d{1,3}(?:[. ]\d{3})+|\d{1,12}")
_DMY = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_ID_SPLIT = re.compile(r"[\s,;]+")

NEEDED = "Dạ, mục này cần điền."
_TWICE = "Mục này được gửi hai lần với hai giá trị khác nhau; anh/chị tải lại trang rồi sửa lại."
_FILE = "Mục này chỉ nhận chữ, không nhận tệp."
_GARBLED = "Có ký tự lạ không đọc được; anh/chị gõ lại mục này."
_BAD_DATE = "Ngày không hợp lệ; anh/chị chọn trên lịch hoặc ghi dạng 30/11/2026."
_PATTERNS = {
    "code": "Mã thủ tục có dạng 1.005092 (có thể có đuôi, như 1.000948.H38).",
    "id": "Mã nguồn chỉ gồm chữ thường không dấu, chữ số và dấu gạch ngang, ví dụ: dvcqg.",
}


def _thousands(number: int) -> str:
    return f"{number:,}".replace(",", ".")


def _garbled(text: str) -> bool:
    """Control, surrogate or private characters, or the mark of bytes that were not UTF-8."""
    return "\ufffd" in text or any(
        unicodedata.category(ch) in ("Cc", "Cs", "Co") and ch not in "\n\t" for ch in text
    )


class FormReader:
    """The posted fields by name, in page order; :attr:`errors` collects one message per field."""

    def __init__(self, form: FormData) -> None:
        self._sent: dict[str, list[str | None]] = {}  # None: a file where text was expected
        for key, value in form.multi_items():
            self._sent.setdefault(key, []).append(value if isinstance(value, str) else None)
        self.errors: dict[str, str] = {}

    def fail(self, name: str, message: str) -> None:
        """Note a problem with a field; the first one found is the one shown."""
        self.errors.setdefault(name, message)

    def ordered_errors(self) -> dict[str, str]:
        """The errors in page order (the order the fields were sent), whole lists last."""
        names = list(self._sent)

        def place(name: str) -> int:
            return next(
                (i for i, key in enumerate(names) if key == name or key.startswith(f"{name}-")),
                len(names),
            )

        return dict(sorted(self.errors.items(), key=lambda item: place(item[0])))

    def shown(self, name: str) -> str:
        """The field as the officer typed it, to show back after an error."""
        sent = [value for value in self._sent.get(name, []) if value is not None]
        return sent[0][:MAX_SHOWN] if sent else ""

    def raw(self, name: str) -> str:
        sent = self._sent.get(name, [])
        if None in sent:
            self.fail(name, _FILE)
        texts = [value for value in sent if value is not None]
        if len(set(texts)) > 1:
            self.fail(name, _TWICE)
        return texts[0] if texts else ""

    def text(self, name: str, limit: int, *, multiline: bool = False) -> str:
        """A text field, NFC and stripped; one line unless ``multiline``."""
        value = self.raw(name).replace("\r\n", "\n").replace("\r", "\n")
        if not multiline:
            value = value.replace("\n", " ").replace("\t", " ")
        value = unicodedata.normalize("NFC", value).strip()
        if _garbled(value):
            self.fail(name, _GARBLED)
            return ""  # not even the model may read it: a lone surrogate breaks its regexes
        if len(value) > limit:
            self.fail(
                name, f"Dài quá {_thousands(limit)} ký tự (hiện có {_thousands(len(value))})."
            )
        return value

    def optional(self, name: str, limit: int) -> str | None:
        return self.text(name, limit) or None

    def flag(self, name: str) -> bool:
        """A checkbox: sent means ticked; its value is the page's own ("1")."""
        value = self.raw(name)
        if value not in ("", "1", "on"):
            self.fail(name, "Giá trị không hợp lệ; anh/chị tải lại trang rồi chọn lại.")
        return bool(value)

    def lines(self, name: str) -> list[str]:
        """A textarea with one item per line; blank lines are dropped."""
        items = [line.strip() for line in self.text(name, MAX_LINES, multiline=True).split("\n")]
        for number, item in enumerate(items, 1):
            if len(item) > MAX_LINE:
                self.fail(name, f"Dòng {number} dài quá {_thousands(MAX_LINE)} ký tự.")
        return [item for item in items if item]

    def integer(self, name: str, message: str, empty: int | None = None) -> int | None:
        """A whole number, also written in groups ("50.000"); ``empty`` when left blank."""
        value = self.text(name, 20)
        if not value:
            return empty
        if not _GROUPED.fullmatch(value):
            self.fail(name, message)
            return None
        return int(re.sub(r"\D", "", value))

    def date(self, name: str) -> dt.date | None:
        """A date from a date picker (2026-11-30) or typed the Vietnamese way (30/11/2026)."""
        value = self.text(name, 20)
        if not value:
            self.fail(name, NEEDED)
            return None
        try:
            found = _DMY.fullmatch(value)
            if found:
                return dt.date(int(found[3]), int(found[2]), int(found[1]))
            return dt.date.fromisoformat(value)
        except ValueError:
            self.fail(name, _BAD_DATE)
            return None

    def ids(self, name: str) -> list[str]:
        """Source ids separated by commas or spaces, each once, in the order given."""
        found = [part for part in _ID_SPLIT.split(self.text(name, 1000)) if part]
        return list(dict.fromkeys(found))

    def rows(self, prefix: str, parts: Iterable[str]) -> list[str]:
        """The tokens of a list's rows, in the order the page sent them."""
        wanted = set(parts)
        tokens: dict[str, None] = {}
        for key in self._sent:
            found = ROW_FIELD.fullmatch(key)
            if found and found["prefix"] == prefix and found["part"] in wanted:
                tokens[found["token"]] = None
        if len(tokens) > MAX_ROWS:
            self.fail(prefix, f"Nhiều quá {MAX_ROWS} dòng.")
        return list(tokens)[:MAX_ROWS]


def pydantic_message(error: ErrorDetails, name: str) -> str:
    """A model error said to the officer, beside the field ``name``."""
    kind, ctx = error["type"], error.get("ctx") or {}
    blank = error.get("input") == "" and kind in ("string_too_short", "string_pattern_mismatch")
    if kind == "missing" or blank or (kind == "enum" and error.get("input") == ""):
        return NEEDED
    if kind == "too_short":
        return "Cần ít nhất một mục."
    if kind == "string_too_short":
        return f"Cần ít nhất {ctx.get('min_length')} ký tự."
    if kind == "string_too_long":
        return f"Dài quá {ctx.get('max_length')} ký tự."
    if kind == "string_pattern_mismatch":
        return _PATTERNS.get(name.rsplit("-", 1)[-1], "Giá trị không đúng dạng.")
    if kind.startswith("int_"):
        return "Cần một số nguyên."
    if kind == "greater_than_equal":
        return f"Không được nhỏ hơn {ctx.get('ge')}."
    if kind == "less_than_equal":
        return f"Không được lớn hơn {ctx.get('le')}."
    if kind.startswith("url_"):
        return "Đường dẫn không hợp lệ; cần đầy đủ, bắt đầu bằng https:// hoặc http://."
    if kind.startswith("date_"):
        return _BAD_DATE
    if kind in ("enum", "literal_error"):
        return "Giá trị không có trong danh sách; anh/chị chọn lại."
    return "Giá trị không hợp lệ; anh/chị kiểm tra lại mục này."
