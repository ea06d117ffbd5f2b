"""Production lots from a spreadsheet (one row per lot) through the lot services
(``traceability.services``: the same rules as the dashboard form).

Like the product import it only flushes: the preview rolls back, the commit commits only
when every row is good (all or nothing). A row whose lot code the seller already has
updates that lot (the change goes into the lot's public history); a row without a lot code
gets a suggested one.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

from ..catalog.models import Product
from ..extensions import db
from ..sellers.models import Seller
from ..traceability import services as lot_services
from ..traceability.models import Lot
from ..validation import ValidationError
from .services import ImportResult, RowOutcome, _add_errors, _text
from .spreadsheet import Table, _, unescape_cell

# Lot service field → spreadsheet field
SERVICE_TO_FIELD = {"product_id": "product_code", "code": "lot_code", "harvested_on": "harvested_on",
                    "quantity": "quantity", "unit": "unit", "origin": "origin", "best_before": "best_before",
                    "packing_facility": "packing_facility", "notes": "notes"}
_TEXT_FIELDS = ("harvested_on", "unit", "origin", "best_before", "packing_facility", "notes")


def _row_data(values: dict[str, object], table: Table) -> dict:
    data: dict[str, object] = {}
    for fld in _TEXT_FIELDS:
        if fld in table.columns:
            data[fld] = _text(values.get(fld))
    if "quantity" in table.columns:
        quantity = unescape_cell(values.get("quantity"))
        data["quantity"] = quantity.strip() if isinstance(quantity, str) else quantity
    data["code"] = _text(values.get("lot_code")) if "lot_code" in table.columns else ""
    return data


def apply_lot_import(seller: Seller, table: Table, *, progress: Callable[[Iterable], Iterable] | None = None,
                     actor=None) -> ImportResult:
    """Record (or update) ``seller``'s lots from ``table``. Flushes only; the caller
    rolls back unless ``result.ok``. Every row is checked, so all problems show at once."""
    products = {p.code: p for p in db.session.scalars(
        sa.select(Product).where(Product.seller_id == seller.id, Product.code.is_not(None)))}
    by_id = {p.id: p for p in products.values()}
    mine = {lot.code: lot for lot in db.session.scalars(sa.select(Lot).where(Lot.seller_id == seller.id))}
    codes: set[str] = set()  # codes recorded by this file (suggested ones included)
    seen: dict[str, int] = {}
    outcomes: list[RowOutcome] = []
    broken = False
    rows: Iterable = table.rows if progress is None else progress(table.rows)
    for number, values in rows:
        product_code = _text(values.get("product_code"))
        data = _row_data(values, table)
        code = lot_services.normalize_code(data["code"])
        product = products.get(product_code)
        outcome = RowOutcome(row=number, code=code, name=product.name if product else product_code)
        outcomes.append(outcome)
        if broken:
            continue
        if product is None:
            outcome.problems.append((table.header("product_code"), _(
                "Không có sản phẩm nào của bạn mang mã %(code)s.", code=product_code[:64]) if product_code
                else _("Thiếu mã sản phẩm của lô.")))
        if code and code in seen:
            outcome.problems.append((table.header("lot_code"), _(
                "Mã lô %(code)s trùng với dòng %(row)d.", code=code, row=seen[code])))
        elif code:
            seen[code] = number
        data["product_id"] = product.id if product is not None else 0
        existing = mine.get(code) if code else None
        try:
            if existing is not None and not outcome.problems:
                if existing.product_id != data["product_id"]:
                    raise ValidationError("product_id", _("Lô %(code)s đã ghi cho sản phẩm khác; không đổi được "
                                                          "sản phẩm của một lô.", code=code))
                revisions = len(existing.revisions)
                lot_services.update_lot(existing, {k: v for k, v in data.items() if k != "product_id"}, actor=actor)
                outcome.action = "update" if len(existing.revisions) > revisions else "unchanged"
            elif not outcome.problems:
                lot = lot_services.create_lot(seller, data, actor=actor, codes_in_use=codes, products=by_id)
                outcome.code = lot.code
                outcome.action = "create"
            else:
                with db.session.no_autoflush:  # the other columns' problems, nothing written
                    lot_services.validate_lot_data(seller, {k: v for k, v in data.items() if k != "product_id"}
                                                   | {"product_id": data["product_id"] or (next(iter(by_id), 0))},
                                                   codes_in_use=codes, products=by_id)
        except ValidationError as exc:
            _add_errors(outcome, exc, table, SERVICE_TO_FIELD)
        except SQLAlchemyError as exc:
            outcome.problems.append(("", _("Lỗi cơ sở dữ liệu khi lưu dòng này: %(error)s", error=type(exc).__name__)))
            broken = True
    order = {header: index for index, header in enumerate(table.columns.values())}
    for outcome in outcomes:
        outcome.problems.sort(key=lambda problem: order.get(problem[0], len(order)))
    return ImportResult(rows=outcomes, ignored_headers=table.ignored_headers, blank_rows=table.blank_rows,
                        kind="lots")
