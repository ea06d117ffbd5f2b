"""Reading a seller's spreadsheet (CSV or XLSX) into rows keyed by field.

The file type is told by its content, not its name. Headers are matched after folding
(no diacritics, lower case, spaces/dashes as underscores), so ``Mã sản phẩm``,
``ma_san_pham``, ``MA SAN PHAM`` and ``code`` are the same column.
"""
from __future__ import annotations

import csv
import io
import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import BinaryIO

from ..text import fold

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000  # product rows (blank lines do not count)
MAX_COLUMNS = 40  # a header wider than this is refused; cells past the header are never read

# field → (Vietnamese header used in exports, accepted variants after normalising)
COLUMNS: dict[str, tuple[str, tuple[str, ...]]] = {
    "code": ("ma_san_pham", ("ma_san_pham", "ma_sp", "ma", "code", "sku", "product_code", "ma_hang")),
    "name": ("ten_san_pham", ("ten_san_pham", "ten_sp", "ten", "name", "product_name", "ten_hang")),
    "category": ("danh_muc", ("danh_muc", "category", "loai", "nhom", "nhom_san_pham")),
    "price": ("gia", ("gia", "gia_vnd", "gia_ban", "don_gia", "price", "price_vnd")),
    "unit": ("don_vi", ("don_vi", "don_vi_tinh", "dvt", "quy_cach", "unit", "packaging")),
    "description": ("mo_ta", ("mo_ta", "mo_ta_san_pham", "description")),
    "area": ("khu_vuc", ("khu_vuc", "dia_ban", "xa_phuong", "area", "locality")),
    # Supply capacity (issue 19), all optional.
    "monthly_volume": ("san_luong_thang", ("san_luong_thang", "san_luong_moi_thang", "san_luong", "monthly_volume")),
    "volume_unit": ("don_vi_san_luong", ("don_vi_san_luong", "dv_san_luong", "volume_unit")),
    "min_order_qty": ("don_toi_thieu", ("don_toi_thieu", "don_hang_toi_thieu", "dat_toi_thieu", "moq",
                                        "min_order", "min_order_qty")),
    "lead_time_days": ("so_ngay_chuan_bi", ("so_ngay_chuan_bi", "thoi_gian_chuan_bi", "ngay_chuan_bi",
                                            "lead_time", "lead_time_days")),
    "packaging": ("dong_goi", ("dong_goi", "quy_cach_dong_goi", "packaging_options")),
    "season": ("mua_vu", ("mua_vu", "thang_co_hang", "mua", "season", "season_months")),
    # The marketplace's own id, written by the export: rows without a code re-import.
    "id": ("id", ("id", "ma_he_thong", "product_id")),
}
REQUIRED = ("code", "name", "category", "price", "unit")
# Columns an export writes that an import reads past on purpose.
IGNORED = ("trang_thai", "status", "duong_dan", "url", "ngay_cap_nhat")

_ALIASES = {alias: fld for fld, (_, aliases) in COLUMNS.items() for alias in aliases}
_NON_WORD = re.compile(r"[^a-z0-9]+")


def _(text: str, **variables) -> str:
    """gettext in a request; the Vietnamese source text in the CLI."""
    from flask import has_request_context
    from flask_babel import gettext

    if has_request_context():
        return gettext(text, **variables)
    return text % variables if variables else text


class ImportFileError(ValueError):
    """The file as a whole cannot be read; ``message`` is Vietnamese UI text."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class Table:
    columns: dict[str, str]  # field → header as written in the file
    rows: list[tuple[int, dict[str, object]]]  # (spreadsheet row number, field → value)
    ignored_headers: list[str] = field(default_factory=list)
    kind: str = "csv"
    blank_rows: int = 0  # blank lines after the header, skipped

    def header(self, fld: str) -> str:
        return self.columns.get(fld) or COLUMNS[fld][0]


def normalise_header(value: object) -> str:
    return _NON_WORD.sub("_", fold(str(value or ""))).strip("_")


def _cell(value: object) -> object:
    """Text stays text (trimmed); whole floats become ints; dates become dd/mm/yyyy."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, str):
        return value.strip()
    return value


def _decode_csv(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFileError(
            _(
                "Tệp CSV không dùng mã hoá UTF-8 (có thể là Windows-1258 hoặc Latin-1), nên chữ tiếng Việt sẽ bị lỗi. "
                "Trong Excel hãy chọn Lưu thành → “CSV UTF-8 (Comma delimited)”, hoặc tải lên tệp .xlsx."
            )
        ) from None


def _csv_rows(data: bytes) -> Iterator[list[object]]:
    text = _decode_csv(data)
    if "\x00" in text:
        raise ImportFileError(_("Tệp không phải bảng tính CSV hoặc XLSX."))
    first_line = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for row in reader:
            yield [_cell(v) for v in row[:MAX_COLUMNS + 1]]
    except csv.Error:
        raise ImportFileError(_("Tệp CSV bị lỗi định dạng (dấu ngoặc kép không khớp?).")) from None


MAX_XLSX_UNZIPPED = 100 * 1024 * 1024  # a 5 MB workbook never legitimately holds more
# Work bound for a workbook: 5,000 products × 40 columns, plus slack. openpyxl parses
# every cell of a row even when only the header's columns are kept (~4 µs each), so the
# cells of every worksheet are counted first (a byte scan of the XML) and a workbook with
# more is refused before any parsing: 1,000 rows × 1,300 numbers took 17 s to preview before.
MAX_XLSX_CELLS = 250_000
_ROOT_TAG = re.compile(rb"<([A-Za-z_][\w.-]*:)?worksheet[\s>]")


def _check_zip(data: bytes) -> None:
    """Refuse zip bombs and oversized sheets before openpyxl inflates or parses anything
    (its read-only loader scans every sheet that lacks a ``<dimension>`` at open)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            if sum(info.file_size for info in infos) > MAX_XLSX_UNZIPPED:
                raise ImportFileError(_("Tệp XLSX quá lớn khi giải nén. Hãy xoá bớt trang tính hoặc lưu thành CSV UTF-8."))
            cells = 0
            for info in infos:
                if info.file_size and not info.is_dir():
                    with archive.open(info) as member:
                        cells += _count_cells(member, MAX_XLSX_CELLS - cells)
                if cells > MAX_XLSX_CELLS:
                    raise ImportFileError(
                        _(
                            "Trang tính có quá nhiều ô (hơn %(limit)s). Hãy xoá các cột không dùng "
                            "hoặc lưu thành CSV UTF-8.",
                            limit=f"{MAX_XLSX_CELLS:,}".replace(",", "."),
                        )
                    )
    except (zipfile.BadZipFile, zlib.error, OSError, ValueError, EOFError, RuntimeError) as exc:
        if isinstance(exc, ImportFileError):
            raise
        raise ImportFileError(_("Tệp XLSX bị hỏng hoặc không đúng định dạng. Hãy mở lại trong Excel và lưu thành .xlsx.")) from None


def _count_cells(stream: BinaryIO, limit: int) -> int:
    """Number of ``<c>`` elements in a worksheet's XML (without parsing it), stopping
    early once over ``limit``; 0 for a member that is not a worksheet. Text never holds
    a raw ``<``, so only tags match."""
    head = stream.read(1 << 16)
    root = _ROOT_TAG.search(head)
    if root is None:
        return 0
    prefix = root.group(1) or b""
    tags = tuple(b"<" + prefix + b"c" + end for end in (b" ", b">", b"/", b"\t", b"\n", b"\r"))
    keep = len(tags[0]) - 1  # a tag split between two reads is counted once
    count, tail, chunk = 0, b"", head
    while chunk:
        block = tail + chunk
        count += sum(block.count(tag) for tag in tags) - sum(tail.count(tag) for tag in tags)
        if count > limit:
            break
        tail = block[-keep:]
        chunk = stream.read(1 << 20)
    return count


def _xlsx_rows(data: bytes) -> Iterator[list[object]]:
    """Rows of the first sheet, each cut to MAX_COLUMNS + 1 cells (wider is refused by
    ``read_table``); a workbook with more than MAX_XLSX_CELLS cells is refused unread."""
    from openpyxl import load_workbook

    _check_zip(data)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 — openpyxl raises many kinds for a broken file
        raise ImportFileError(_("Tệp XLSX bị hỏng hoặc không đúng định dạng. Hãy mở lại trong Excel và lưu thành .xlsx.")) from None
    try:
        sheet = workbook.worksheets[0]
        for row in sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS + 1):
            yield [_cell(v) for v in row]
    except (zipfile.BadZipFile, KeyError, ValueError, TypeError, OSError):
        raise ImportFileError(_("Tệp XLSX bị hỏng hoặc không đúng định dạng. Hãy mở lại trong Excel và lưu thành .xlsx.")) from None
    finally:
        workbook.close()


def sniff_kind(data: bytes) -> str:
    if data.startswith(b"PK\x03\x04"):
        return "xlsx"
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        return "xls"
    return "csv"


def read_table(data: bytes) -> Table:
    """Parse an uploaded spreadsheet. Raises ImportFileError for a file that cannot be
    used at all (size, type, encoding, header, row count)."""
    if not data:
        raise ImportFileError(_("Chưa chọn tệp hoặc tệp rỗng."))
    if len(data) > MAX_FILE_BYTES:
        raise ImportFileError(_("Tệp quá lớn: tối đa 5 MB."))
    kind = sniff_kind(data)
    if kind == "xls":
        raise ImportFileError(_("Định dạng Excel .xls cũ không được hỗ trợ. Hãy lưu thành .xlsx hoặc CSV UTF-8."))
    raw = _xlsx_rows(data) if kind == "xlsx" else _csv_rows(data)

    def blank(row) -> bool:
        return all(v in ("", None) for v in row)

    # The header is the first non-blank row.
    headers = None
    number = 0
    for number, row in enumerate(raw, start=1):
        if not blank(row):
            headers = row
            break
    if headers is None:
        raise ImportFileError(_("Tệp không có dữ liệu."))
    while headers and headers[-1] in ("", None):
        headers = headers[:-1]
    if len(headers) > MAX_COLUMNS:
        raise ImportFileError(
            _(
                "Tệp có quá nhiều cột (tối đa %(max)d). Hãy xoá các cột không dùng đến.",
                max=MAX_COLUMNS,
            )
        )
    positions: dict[str, int] = {}
    columns: dict[str, str] = {}
    ignored: list[str] = []
    for index, header in enumerate(headers):
        key = normalise_header(header)
        fld = _ALIASES.get(key)
        if fld and fld not in positions:
            positions[fld] = index
            columns[fld] = str(header).strip()
        elif key and key not in IGNORED:
            ignored.append(str(header).strip())
    missing = [COLUMNS[f][0] for f in REQUIRED if f not in positions]
    if missing:
        raise ImportFileError(
            _(
                "Thiếu cột bắt buộc: %(cols)s. Dòng đầu tiên của tệp phải là tên cột: "
                "ma_san_pham, ten_san_pham, danh_muc, gia, don_vi (mo_ta, khu_vuc không bắt buộc).",
                cols=", ".join(missing),
            )
        )
    # Only the header's columns are looked at; blank lines are skipped and counted, and
    # a file with more product rows than the cap is refused whole (never cut short).
    width = len(headers)
    rows: list[tuple[int, dict[str, object]]] = []
    blank_rows = 0
    for number, row in enumerate(raw, start=number + 1):
        row = row[:width]
        if blank(row):
            blank_rows += 1
            continue
        if len(rows) == MAX_ROWS:
            raise ImportFileError(
                _(
                    "Tệp có hơn 5.000 dòng sản phẩm (không tính dòng trống), nên chưa nhập dòng nào. "
                    "Hãy chia thành nhiều tệp nhỏ hơn."
                )
            )
        rows.append((number, {fld: (row[i] if i < len(row) else "") for fld, i in positions.items()}))
    if not rows:
        raise ImportFileError(_("Tệp chỉ có dòng tiêu đề, chưa có sản phẩm nào."))
    return Table(columns=columns, rows=rows, ignored_headers=ignored, kind=kind, blank_rows=blank_rows)


# --- export ---------------------------------------------------------------

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# A leading apostrophe is the escape itself, so text that already starts with one is
# escaped too: "'=x" exports as "''=x" and comes back as "'=x" (an exact round trip).
_ESCAPED_START = _FORMULA_START + ("'",)


def safe_cell(value: object) -> object:
    """Neutralise spreadsheet formulas: text starting with = + - @ (or ') gets a leading '."""
    if isinstance(value, str) and value.startswith(_ESCAPED_START):
        return "'" + value
    return value


def unescape_cell(value: object) -> object:
    """Undo ``safe_cell`` on import, so an exported file re-imports unchanged. A lone
    leading apostrophe before other text (typed by hand) is kept."""
    if isinstance(value, str) and len(value) > 1 and value[0] == "'" and value[1] in "=+-@\t\r'":
        return value[1:]
    return value
