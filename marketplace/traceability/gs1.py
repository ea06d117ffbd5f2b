"""GTINs and GS1 Digital Links, through the ``biip`` library (GS1 rules are not
re-implemented here).

* ``normalize_gtin``: a GTIN typed by a seller (8, 12, 13 or 14 digits, spaces allowed)
  → its 14-digit form, or ``GtinError`` with a Vietnamese message (wrong check digit, not
  digits, a restricted-circulation number, not a Vietnamese 893 number).
* ``parse_link``: a scanned address ``https://host/01/<GTIN>[/10/<lot>][?17=YYMMDD]`` →
  (GTIN-14, lot or None), or ``LinkError`` for anything else (qualifiers out of order,
  a serial number or other qualifier the floor does not issue, a bad GTIN).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from urllib.parse import quote

from biip import ParseError
from biip.gs1_digital_link_uris import GS1DigitalLinkURI
from biip.gtin import Gtin, GtinFormat

from ..validation import _

VIETNAM_PREFIX = "893"
# Application identifiers a lot link may carry: GTIN, batch/lot (path) and expiry (query).
AI_GTIN, AI_LOT, AI_EXPIRY = "01", "10", "17"


class GtinError(ValueError):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class LinkError(ValueError):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def normalize_gtin(value: object) -> str:
    """The 14-digit GTIN of ``value``; raises GtinError with a Vietnamese message."""
    text = "".join(str(value or "").split()).replace("-", "")
    if not text.isdigit() or len(text) not in (8, 12, 13, 14):
        raise GtinError(_("Mã GTIN (mã vạch) gồm 8, 12, 13 hoặc 14 chữ số, ví dụ 8931234567895."))
    try:
        gtin = Gtin.parse(text)
    except ParseError:
        expected = _expected_check_digit(text)
        raise GtinError(_("Mã GTIN %(gtin)s sai số kiểm tra (chữ số cuối phải là %(digit)s). "
                          "Hãy xem lại mã in dưới mã vạch.", gtin=text, digit=expected)) from None
    if gtin.format in (GtinFormat.GTIN_8, GtinFormat.GTIN_12) or gtin.prefix is None \
            or gtin.prefix.value != VIETNAM_PREFIX:
        raise GtinError(_("Mã GTIN của sản phẩm Việt Nam do GS1 Việt Nam cấp, bắt đầu bằng 893 "
                          "(mã %(gtin)s không phải).", gtin=text))
    return gtin.as_gtin_14()


def _expected_check_digit(text: str) -> str:
    """The check digit ``text``'s payload calls for (only to tell the seller)."""
    from biip.checksums import gs1_standard_check_digit

    return str(gs1_standard_check_digit(text[:-1]))


def display_gtin(gtin14: str | None) -> str:
    """GTIN-13 as printed under the barcode (GTIN-14 kept when it has an indicator)."""
    if not gtin14:
        return ""
    return gtin14[1:] if gtin14.startswith("0") else gtin14


def link_path(gtin14: str, lot_code: str | None = None, best_before: date | None = None) -> str:
    """``/01/<GTIN-14>[/10/<lot>][?17=YYMMDD]``: the path of a GS1 Digital Link."""
    path = f"/{AI_GTIN}/{gtin14}"
    if lot_code:
        path += f"/{AI_LOT}/{quote(lot_code, safe='')}"
    if best_before is not None:
        path += f"?{AI_EXPIRY}={best_before:%y%m%d}"
    return path


@dataclass(frozen=True)
class ParsedLink:
    gtin: str  # 14 digits
    lot: str | None


def parse_link(url: str) -> ParsedLink:
    """Parse a GS1 Digital Link with ``biip``; only GTIN, lot and expiry are accepted."""
    try:
        link = GS1DigitalLinkURI.parse(url)
    except ParseError as exc:
        text = str(exc)
        if "qualifier" in text:
            raise LinkError(_("Đường dẫn GS1 có các phần không đúng thứ tự hoặc không được dùng ở sàn: "
                              "sau mã GTIN (01) chỉ có mã lô (10).")) from None
        raise LinkError(_("Đường dẫn GS1 không hợp lệ: cần dạng /01/<mã GTIN>/10/<mã lô>.")) from None
    gtin = lot = None
    for element in link.element_strings:
        ai = element.ai.ai
        if ai == AI_GTIN and gtin is None:
            gtin = element.value
        elif ai == AI_LOT and lot is None:
            lot = element.value
        elif ai in (AI_GTIN, AI_LOT):
            raise LinkError(_("Đường dẫn GS1 ghi mã (%(ai)s) hai lần.", ai=ai))
        elif ai == AI_EXPIRY:
            continue
        else:
            raise LinkError(_("Đường dẫn GS1 có thêm phần (%(ai)s) mà sàn không cấp: mã QR của sàn chỉ gồm "
                              "mã GTIN (01), mã lô (10) và hạn dùng (17).", ai=ai))
    if gtin is None:
        raise LinkError(_("Đường dẫn GS1 không hợp lệ: cần dạng /01/<mã GTIN>/10/<mã lô>."))
    try:
        gtin = normalize_gtin(gtin)
    except GtinError as exc:
        raise LinkError(exc.message) from None
    return ParsedLink(gtin, lot)
