"""Cell values of a published procedure list, read into the catalogue's own structures.

A procedure list states facts as prose ("20 ngày làm việc kể từ ngày nhận đủ hồ sơ",
"50.000 đồng/bản", "Không"), and the bot answers from structured fields, so an import must
read the figures out of the prose rather than paste it: a cell that cannot be read raises
:class:`ValueProblem` with a short Vietnamese reason, shown to the officer beside the column.
The ``describe_*`` helpers say a fact back in words for the preview, so the officer checks
what was read, not only what was written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from knowledge.models import CODE, Authority, Fee, Level, OnlineService, ProcessingTime
from knowledge.vietnamese import normalize_unicode, strip_diacritics, syllable_key

MAX_DAYS = 365
FREE_TEXT = "Không thu phí, lệ phí."


class ValueProblem(ValueError):
    """A cell that cannot be read; the message says why, in Vietnamese."""


def clean(text: str) -> str:
    """NFC text on one line with single spaces: what a cell says, without layout."""
    return re.sub(r"\s+", " ", normalize_unicode(text)).strip()


def _plain(text: str) -> str:
    return strip_diacritics(clean(text)).lower()


def text_key(text: str) -> str:
    """Lower case words without diacritics or punctuation ("Phí, lệ phí" -> "phi le phi"):
    how two spellings of a header, a name or a wording are compared."""
    words = re.findall(r"[^\W_]+", normalize_unicode(text))
    return " ".join(syllable_key(word) for word in words)


def name_key(name: str) -> str:
    """A procedure name as matched against the catalogue; lists often prefix "Thủ tục"."""
    key = text_key(name)
    return key.removeprefix("thu tuc ") if key.startswith("thu tuc ") else key


def parse_code(text: str) -> str:
    """A national code ("1.005092"); Excel turns "2.002850" typed as a number into 2.00285."""
    code = re.sub(r"\s+", "", normalize_unicode(text))
    short = re.fullmatch(r"([1-3])\.(\d{1,5})", code)
    if short:
        code = f"{short[1]}.{short[2].ljust(6, '0')}"
    if not re.fullmatch(CODE, code):
        raise ValueProblem(f"“{clean(text)}” không phải mã thủ tục (dạng 1.005092)")
    return code


def base_code(code: str) -> str:
    """The national part of a code a province suffixed with its own ("1.000948.H38")."""
    return ".".join(code.split(".")[:2])


_DAYS = re.compile(r"(\d+)\s*(?:\([^)]*\)\s*)?ngay(\s+lam\s+viec)?")


def parse_processing_time(text: str) -> ProcessingTime:
    """'20 ngày làm việc' -> 20 working days; several different figures -> no single figure."""
    plain = _plain(text)
    found = _DAYS.findall(plain)
    if found:
        days = {int(number) for number, _ in found}
        if max(days) > MAX_DAYS:
            raise ValueProblem(f"thời hạn {max(days)} ngày dài quá {MAX_DAYS} ngày")
        single = days.pop() if len(days) == 1 else None
        return ProcessingTime(days=single, working_days=bool(found[0][1]), text=clean(text))
    if re.search(r"\btrong\s+ngay\b", plain):
        return ProcessingTime(days=1, working_days=True, text=clean(text))
    raise ValueProblem(f"không đọc được thời hạn “{clean(text)}” (ví dụ: “20 ngày làm việc”)")


_MONEY = re.compile(
    r"(\d{1,3}(?:[., ]\d{3})+|\d+(?:,\d{1,2})?)\s*(trieu|nghin|ngan)?\s*(dong|d|vnd)?(?![a-z])"
)
_SCALE = {"trieu": 1_000_000, "nghin": 1000, "ngan": 1000}


def _amount(number: str, scale: str | None) -> int:
    if re.fullmatch(r"\d+,\d{1,2}", number):
        return round(float(number.replace(",", ".")) * _SCALE.get(scale or "", 1))
    return int(re.sub(r"\D", "", number)) * _SCALE.get(scale or "", 1)


def vnd(amount: int) -> str:
    return f"{amount:,} đồng".replace(",", ".")


def parse_fee(text: str) -> Fee:
    """'Không'/'Không có' -> free; '50.000 đồng/bản' -> 50 000; several amounts -> it varies."""
    plain = _plain(text)
    if re.fullmatch(r"\d[\d., ]*", plain):
        amount = _amount(plain.strip(), None)
        return Fee(amount_vnd=amount, text=vnd(amount) if amount else FREE_TEXT)
    amounts = {_amount(m[1], m[2]) for m in _MONEY.finditer(plain) if m[2] or m[3]}
    if amounts:
        single = amounts.pop() if len(amounts) == 1 else None
        return Fee(amount_vnd=single, text=clean(text))
    if re.match(r"(khong|mien)\b", plain):
        return Fee(amount_vnd=0, text=FREE_TEXT)
    raise ValueProblem(f"không đọc được mức phí “{clean(text)}” (ví dụ: “50.000 đồng”, “Không”)")


def _items(text: str) -> list[str]:
    """The lines of a cell listing several things (one per line, or separated by ';')."""
    parts = re.split(r"[\n;]+", normalize_unicode(text))
    items = [re.sub(r"^\s*(?:[-+•*]|\d+[.)])\s*", "", part) for part in parts]
    return [clean(item) for item in items if len(clean(item)) >= 3]


def _level(name: str) -> Level:
    key = text_key(name)
    words = set(key.split())
    if "huyen" in words or key.startswith("phong giao duc"):
        raise ValueProblem(f"“{name}” là cấp huyện, không còn từ ngày 01/7/2025")
    if key.startswith("bo ") or "bo giao duc" in key:
        return Level.ministry
    if key.startswith("so "):
        return Level.province
    if {"xa", "phuong"} & set(key.replace("xa hoi", "").split()) or "dac khu" in key:
        return Level.commune
    if "tinh" in words or "thanh pho" in key:
        return Level.province
    if any(word in key for word in ("truong", "co so", "trung tam", "hieu truong")):
        return Level.institution
    raise ValueProblem(f"không xác định được “{name}” thuộc cấp nào (Bộ, tỉnh, xã hay cơ sở)")


def parse_authorities(text: str) -> list[Authority]:
    """'Sở Giáo dục và Đào tạo; UBND cấp xã' -> authorities with their level."""
    names = [item.split(":")[-1].strip() for item in _items(text)]
    names = [name for name in names if len(name) >= 3]
    if not names:
        raise ValueProblem(f"không đọc được cơ quan thực hiện “{clean(text)}”")
    return [Authority(level=_level(name), name=name) for name in names]


@dataclass(frozen=True)
class ChannelFacts:
    """How a list says a file may be handed in; ``online`` None = online, level not stated."""

    desk: bool
    post: bool
    online: OnlineService | None


def parse_channels(text: str) -> ChannelFacts:
    """'Trực tiếp; Trực tuyến toàn trình; Qua dịch vụ bưu chính công ích' -> the three ways."""
    plain = _plain(text)
    desk = "truc tiep" in plain
    post = "buu chinh" in plain or "buu dien" in plain
    online: OnlineService | None = OnlineService.none
    if any(word in plain for word in ("truc tuyen", "dich vu cong", "qua mang", "online")):
        online = None
        if "toan trinh" in plain or "muc do 4" in plain:
            online = OnlineService.full
        elif "mot phan" in plain or "muc do 3" in plain:
            online = OnlineService.partial
    if not desk and not post and online is OnlineService.none:
        raise ValueProblem(
            f"không đọc được cách nộp “{clean(text)}” (trực tiếp, bưu chính hay trực tuyến)"
        )
    return ChannelFacts(desk=desk, post=post, online=online)


def parse_legal_basis(text: str) -> list[str]:
    items = _items(text)
    if not items:
        raise ValueProblem(f"không đọc được căn cứ pháp lý “{clean(text)}”")
    return items


_LEGAL_NUMBER = re.compile(r"\d+(?:\.\d+)?/(?:\d{4}/)?[A-ZĐ][A-ZĐ0-9-]*")


def legal_numbers(lines: list[str]) -> frozenset[str]:
    """The numbers of the texts cited ("10/2026/TT-BGDĐT"): wording around them varies."""
    text = normalize_unicode(" ".join(lines)).upper()
    return frozenset(_LEGAL_NUMBER.findall(re.sub(r"\s*([/-])\s*", r"\1", text)))


def _said(text: str) -> str:
    return re.sub(r"\b0+(\d)", r"\1", text_key(text))


def describe_time(time: ProcessingTime) -> str:
    unit = "ngày làm việc" if time.working_days else "ngày"
    figure = f"{time.days} {unit}" if time.days is not None else "không có một con số chung"
    return figure if _said(figure) == _said(time.text) else f"{figure} — “{time.text}”"


def describe_fee(fee: Fee) -> str:
    if fee.amount_vnd is None:
        figure = "mức thu không cố định hoặc chưa rõ"
    else:
        figure = vnd(fee.amount_vnd) if fee.amount_vnd else "không thu phí, lệ phí"
    return figure if _said(figure) == _said(fee.text) else f"{figure} — “{fee.text}”"


_ONLINE = {
    OnlineService.full: "trực tuyến toàn trình",
    OnlineService.partial: "trực tuyến một phần",
}


def describe_channels(desk: bool, post: bool, online: OnlineService) -> str:
    ways = [way for way, on in (("trực tiếp", desk), ("bưu chính", post)) if on]
    ways += [_ONLINE[online]] if online in _ONLINE else []
    return ", ".join(ways) or "không có cách nộp nào"
