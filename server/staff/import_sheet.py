"""A published procedure list (CSV or XLSX) read into rows of text, keyed by what each column holds.

Provinces publish the procedures they handle as the annex of a decision ("Quyết định công bố
danh mục thủ tục hành chính"): a table, one row per procedure, under title rows ("DANH MỤC
THỦ TỤC HÀNH CHÍNH ... (Kèm theo Quyết định số ...)"), often over a row of column numbers
and split by section rows ("I. Lĩnh vực Giáo dục trung học"). Its columns follow the form of
Thông tư 02/2017/TT-VPCP (STT, Tên thủ tục hành chính, Thời hạn giải quyết, Địa điểm thực
hiện, Phí, lệ phí, Căn cứ pháp lý), and lists taken from the national portal add "Mã TTHC",
"Cơ quan thực hiện" and "Cách thức thực hiện"; every office spells them its own way. So the
header row is found, not assumed, and headers are compared without diacritics or case.

The file comes from outside and is not trusted: size, type, encoding and structure are
checked first, and every problem is a :class:`SheetError` in Vietnamese, never a crash.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import PurePath
from typing import Literal

from server.staff.import_values import clean, text_key

Column = Literal[
    "stt", "code", "name", "processing_time", "fee", "authorities", "place", "channels",
    "legal_basis",
]  # fmt: skip

# Header wordings seen in published lists and portal exports, per column.
HEADERS: dict[Column, tuple[str, ...]] = {
    "stt": ("STT", "TT", "Số thứ tự"),
    "code": (
        "Mã TTHC", "Mã số TTHC", "Mã thủ tục", "Mã số thủ tục", "Mã thủ tục hành chính",
        "Mã số thủ tục hành chính", "Mã", "Mã số", "Ký hiệu thủ tục",
    ),
    "name": ("Tên thủ tục hành chính", "Tên thủ tục", "Tên TTHC", "Thủ tục hành chính"),
    "processing_time": (
        "Thời hạn giải quyết", "Thời gian giải quyết", "Thời hạn", "Thời gian xử lý",
        "Ngày thụ lý",
    ),
    "fee": ("Phí, lệ phí", "Lệ phí", "Phí", "Phí và lệ phí", "Mức phí, lệ phí", "Phí/Lệ phí"),
    "authorities": (
        "Cơ quan thực hiện", "Cơ quan giải quyết", "Cơ quan có thẩm quyền", "Thẩm quyền giải quyết",
        "Cơ quan có thẩm quyền giải quyết",
    ),
    "place": ("Địa điểm thực hiện", "Nơi tiếp nhận hồ sơ", "Nơi tiếp nhận và trả kết quả"),
    "channels": ("Cách thức thực hiện", "Hình thức nộp", "Cách thức nộp hồ sơ"),
    "legal_basis": (
        "Căn cứ pháp lý", "Căn cứ pháp lý của TTHC", "Căn cứ pháp lý của thủ tục hành chính",
    ),
}  # fmt: skip
_KEYS = {text_key(alias): column for column, aliases in HEADERS.items() for alias in aliases}
_PREFIXES = sorted((k for k in _KEYS if " " in k), key=len, reverse=True)

MAX_BYTES = 10 * 1024 * 1024
MAX_UNPACKED = 100 * 1024 * 1024  # an XLSX is a zip: refuse one that inflates beyond this
MAX_ROWS = 5000
MAX_COLUMNS = 60  # lists have about ten; a sheet claiming 16384 is not read that far
HEADER_SCAN = 30  # title rows above the header
# What openpyxl raises on a damaged workbook (SyntaxError covers the XML ParseError).
_BROKEN = (zipfile.BadZipFile, KeyError, ValueError, TypeError, AttributeError, IndexError,
           OSError, SyntaxError, EOFError)  # fmt: skip
_ZIP = b"PK\x03\x04"
_OLE = b"\xd0\xcf\x11\xe0"  # Excel 97-2003 .xls


class SheetError(ValueError):
    """A problem with the whole file, said to the officer in Vietnamese."""


@dataclass(frozen=True)
class SheetRow:
    number: int  # as the spreadsheet numbers it, from 1
    cells: dict[Column, str]


@dataclass(frozen=True)
class Sheet:
    headers: dict[Column, str]  # what each recognised column is called in the file
    rows: list[SheetRow]


def column_of(header: str) -> Column | None:
    """What a header cell announces; "(nếu có)" and such asides are ignored."""
    key = text_key(re.sub(r"\([^)]*\)", " ", header))
    if key in _KEYS:
        return _KEYS[key]
    return next((_KEYS[p] for p in _PREFIXES if key.startswith(p + " ")), None)


def read_sheet(data: bytes, filename: str) -> Sheet:
    """The procedure rows of a CSV or XLSX file, or a :class:`SheetError` saying what is wrong."""
    if not data.strip():
        raise SheetError("Dạ, tệp trống, không có nội dung để nhập ạ.")
    if len(data) >= MAX_BYTES:
        raise SheetError("Dạ, tệp từ 10 MB trở lên là quá lớn cho một danh mục thủ tục ạ.")
    suffix = PurePath(filename).suffix.lower()
    if suffix == ".xlsx":
        return _from_xlsx(data, filename)
    if suffix == ".csv":
        return _from_csv(data, filename)
    if suffix == ".xls":
        raise SheetError("Dạ, tệp .xls (Excel 97–2003) chưa đọc được; xin lưu lại thành .xlsx ạ.")
    raise SheetError(f"Dạ, chỉ nhận tệp .csv hoặc .xlsx; “{filename}” không phải hai loại này ạ.")


def _from_csv(data: bytes, filename: str) -> Sheet:
    if data.startswith((_ZIP, _OLE)):
        raise SheetError(f"Dạ, “{filename}” là tệp Excel chứ không phải CSV; xin chọn lại ạ.")
    text, encoding = _decode(data, filename)
    sheets: list[Sheet] = []
    problems: list[SheetError] = []
    for delimiter in (",", ";", "\t"):  # the one whose header names most columns wins
        try:
            table = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
            sheet = _sheet(table)
        except csv.Error as exc:
            raise SheetError(f"Dạ, không đọc được “{filename}” như một tệp CSV ({exc}) ạ.") from exc
        except SheetError as exc:
            problems.append(exc)
            continue
        if sheet is not None:
            sheets.append(sheet)
    if sheets:
        return max(sheets, key=lambda sheet: len(sheet.headers))
    if problems:
        raise problems[0]
    hint = ""
    if encoding != "utf-8":
        hint = f" Tệp không ở dạng UTF-8 (đã thử bảng mã {encoding}); nếu chữ Việt bị lỗi, "
        hint += "xin lưu lại bằng “CSV UTF-8”."
    raise SheetError(_NO_HEADER + hint)


def _decode(data: bytes, filename: str) -> tuple[str, str]:
    """UTF-8 first (with or without BOM), UTF-16 from Excel's "Unicode text", then the Windows
    code pages Vietnamese offices still save CSV files in."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        candidates: tuple[str, ...] = ("utf-16",)
    elif b"\x00" in data:
        raise SheetError(f"Dạ, “{filename}” không phải văn bản CSV (tệp nhị phân hoặc hỏng) ạ.")
    else:
        candidates = ("utf-8-sig", "cp1258", "cp1252")
    for encoding in candidates:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        controls = sum(1 for ch in text if ch < " " and ch not in "\t\r\n")
        if controls <= len(text) // 100:
            return text, encoding.removesuffix("-sig")
    raise SheetError(f"Dạ, “{filename}” không phải văn bản CSV (tệp nhị phân hoặc hỏng) ạ.")


def _from_xlsx(data: bytes, filename: str) -> Sheet:
    import openpyxl  # type: ignore[import-untyped]  # loaded only for an XLSX upload
    from openpyxl.utils.exceptions import InvalidFileException  # type: ignore[import-untyped]

    corrupt = f"Dạ, không mở được “{filename}”: tệp Excel bị hỏng hoặc không phải .xlsx ạ."
    if data.startswith(_OLE):
        raise SheetError("Dạ, tệp này là .xls (Excel 97–2003); xin lưu lại thành .xlsx ạ.")
    if not data.startswith(_ZIP):
        raise SheetError(corrupt)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
        if unpacked > MAX_UNPACKED:
            raise SheetError("Dạ, tệp Excel này khi giải nén quá lớn để nhập ạ.")
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            for worksheet in book.worksheets:
                table = []
                for values in worksheet.iter_rows(max_col=MAX_COLUMNS, values_only=True):
                    table.append([_cell_text(value) for value in values])
                    if len(table) > HEADER_SCAN + MAX_ROWS:
                        break  # enough to know it is too long
                sheet = _sheet(table)
                if sheet is not None:
                    return sheet
        finally:
            book.close()
    except SheetError:
        raise
    except (*_BROKEN, InvalidFileException) as exc:
        raise SheetError(corrupt) from exc
    raise SheetError(_NO_HEADER)


_NO_HEADER = (
    "Dạ, không tìm thấy dòng tiêu đề của bảng: cần cột “Mã TTHC” hoặc “Tên thủ tục hành chính” "
    "cùng các cột như “Thời hạn giải quyết”, “Phí, lệ phí”, “Căn cứ pháp lý” ạ."
)


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date):
        return value.strftime("%d/%m/%Y")
    return str(value)


def _header(cells: list[str]) -> dict[Column, int] | None:
    """Where each column is, if this row is the header: it names a procedure column (code or
    name) and at least one other, so a title row never passes for it."""
    columns: dict[Column, int] = {}
    for index, cell in enumerate(cells):
        column = column_of(cell) if cell.strip() else None
        if column is not None and column not in columns:
            columns[column] = index
    if len(columns) >= 2 and ("code" in columns or "name" in columns):
        return columns
    return None


def _sheet(table: list[list[str]]) -> Sheet | None:
    """The sheet under the first header row, or None when no row reads as a header."""
    found = next(
        ((start, columns) for start, cells in enumerate(table[:HEADER_SCAN])
         if (columns := _header(cells)) is not None),
        None,
    )  # fmt: skip
    if found is None:
        return None
    start, columns = found
    if len(table) - start - 1 > MAX_ROWS:
        raise SheetError(f"Dạ, bảng có hơn {MAX_ROWS} dòng; xin tách thành nhiều tệp nhỏ hơn ạ.")
    if not set(columns) - {"stt", "code", "name"}:
        raise SheetError(
            "Dạ, bảng chỉ có mã và tên thủ tục, chưa có cột thông tin nào để nhập (ví dụ "
            "“Thời hạn giải quyết”, “Phí, lệ phí”) ạ."
        )
    headers = {column: clean(table[start][index]) for column, index in columns.items()}
    rows = []
    for number, cells in enumerate(table[start + 1 :], start=start + 2):
        values = {c: _lines(cells[i]) for c, i in columns.items() if i < len(cells)}
        filled = {column: value for column, value in values.items() if value}
        if not _layout(filled):
            rows.append(SheetRow(number, filled))
    return Sheet(headers, rows)


def _lines(cell: str) -> str:
    """A cell's text, its lines kept: a list of legal texts or authorities is one per line."""
    return "\n".join(line for line in map(clean, cell.splitlines()) if line)


def _layout(filled: dict[Column, str]) -> bool:
    """A row that is part of the table's layout, not a procedure: blank, the row of column
    numbers "(1) (2) (3)", or a section title ("I | Lĩnh vực Giáo dục trung học")."""
    if set(filled) <= {"stt"}:
        return True
    if len(filled) >= 3 and all(re.fullmatch(r"\(?\d{1,2}\)?", v) for v in filled.values()):
        return True
    numbered = re.fullmatch(r"\d+\.?", filled.get("stt", "")) is not None
    return set(filled) <= {"stt", "name"} and not numbered
