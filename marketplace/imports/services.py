"""Applying a spreadsheet to a seller's catalog through the catalog write services.

``apply_import`` runs every row through ``create_product`` / ``update_product`` (the
same validation as the dashboard form) inside the caller's transaction and collects
each row's problems. It only flushes: the caller commits when the result has no
problem and rolls back otherwise — so a preview is the same run rolled back, and a
commit is all-or-nothing.
"""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

from ..catalog.models import Area, AreaAlias, Category, Product, ProductRevision
from ..catalog.product_data import PRODUCT_FIELDS, REVIEWED_FIELDS, validate_product_data
from ..catalog.services import ProductBatch, pending_revision, update_product
from ..extensions import db
from ..seasons import format_months
from ..sellers.models import Seller
from ..text import fold
from ..validation import ValidationError
from .spreadsheet import COLUMNS, Table, _, safe_cell, unescape_cell

# Catalog service field → spreadsheet field
SERVICE_TO_FIELD = {
    "code": "code",
    "name": "name",
    "category_id": "category",
    "price_vnd": "price",
    "unit": "unit",
    "description": "description",
    "area_id": "area",
    "monthly_volume": "monthly_volume",
    "volume_unit": "volume_unit",
    "min_order_qty": "min_order_qty",
    "lead_time_days": "lead_time_days",
    "packaging": "packaging",
    "season_mask": "season",
}
# Capacity columns: read as written (the catalog service parses and bounds them).
CAPACITY_COLUMNS = ("monthly_volume", "volume_unit", "min_order_qty", "lead_time_days", "packaging")
# Area names are often written with or without their administrative prefix.
_AREA_PREFIXES = ("xa ", "phuong ", "thi tran ", "huyen ", "thanh pho ", "tp ", "thi xa ", "tinh ")


# Row actions, in the order the summary lists them. On a published product a change of
# name, description or category goes into its pending revision for staff review
# (catalog.services.update_product): "review" rows changed only those, "update_review"
# rows also changed live fields (price, unit, ...).
ACTIONS = ("create", "update", "review", "update_review", "unchanged")


@dataclass
class RowOutcome:
    row: int
    code: str
    name: str
    action: str = ""  # one of ACTIONS, or "" (not applied)
    problems: list[tuple[str, str]] = field(default_factory=list)  # (column header, message)
    updated: list[str] = field(default_factory=list)  # columns changed on the product itself
    review: list[str] = field(default_factory=list)  # columns whose new values wait for staff approval
    withdrawn: list[str] = field(default_factory=list)  # columns whose pending change went back to the approved value


@dataclass
class ImportResult:
    rows: list[RowOutcome]
    ignored_headers: list[str]
    blank_rows: int = 0  # blank lines after the header, skipped (never counted as products)

    @property
    def rows_read(self) -> int:
        return len(self.rows) + self.blank_rows

    @property
    def problems(self) -> list[tuple[int, str, str]]:
        return [(r.row, column, message) for r in self.rows for column, message in r.problems]

    @property
    def ok(self) -> bool:
        return not any(r.problems for r in self.rows)

    def count(self, action: str) -> int:
        return sum(1 for r in self.rows if r.action == action and not r.problems)

    @property
    def sent_for_review(self) -> bool:
        return any(self.count(action) for action in ("review", "update_review"))

    @property
    def review_note(self) -> str:
        """Why some changes are not visible yet ("" when no row sent any for review)."""
        if not self.sent_for_review:
            return ""
        return _("Thay đổi tên, mô tả hoặc danh mục của sản phẩm đang hiển thị cần nhân viên duyệt: "
                 "người mua vẫn thấy phiên bản đã duyệt cho tới khi thay đổi được duyệt.")

    def counts_text(self) -> str:
        """"2 thêm mới, 1 cập nhật, 1 gửi duyệt, 0 không đổi" (the review counts only when not 0)."""
        labels = {
            "create": lambda n: _("%(n)d thêm mới", n=n),
            "update": lambda n: _("%(n)d cập nhật", n=n),
            "review": lambda n: _("%(n)d gửi duyệt", n=n),
            "update_review": lambda n: _("%(n)d vừa cập nhật vừa gửi duyệt", n=n),
            "unchanged": lambda n: _("%(n)d không đổi", n=n),
        }
        parts = []
        for action in ACTIONS:
            n = self.count(action)
            if n or action not in ("review", "update_review"):
                parts.append(labels[action](n))
        return ", ".join(parts)


_PARENTHESIS = re.compile(r"\s*\([^)]*\)\s*$")


def _strip_prefix(text: str) -> str:
    for prefix in _AREA_PREFIXES:
        if text.startswith(prefix):
            return text[len(prefix):]
    return text


def _area_keys(folded: str) -> set[str]:
    """"xã Tân Cương (cũ)" is found as written, without "xã", and without "(cũ)"."""
    bare = _PARENTHESIS.sub("", folded)
    return {folded, _strip_prefix(folded), bare, _strip_prefix(bare)} - {""}


class Lookups:
    """Category and area names/slugs/aliases, folded, loaded once per import."""

    def __init__(self) -> None:
        self.categories: dict[str, set[int]] = {}
        for cid, name, slug in db.session.execute(sa.select(Category.id, Category.name, Category.slug)):
            self.categories.setdefault(fold(name), set()).add(cid)
            self.categories.setdefault(slug, set()).add(cid)
        self.areas: dict[str, set[int]] = {}
        self.current_areas: set[int] = set()
        for aid, name, slug, current in db.session.execute(sa.select(Area.id, Area.name, Area.slug, Area.is_current)):
            if current:
                self.current_areas.add(aid)
            for key in _area_keys(fold(name)) | {slug}:
                self.areas.setdefault(key, set()).add(aid)
        for aid, folded in db.session.execute(sa.select(AreaAlias.area_id, AreaAlias.folded)):
            for key in _area_keys(folded):
                self.areas.setdefault(key, set()).add(aid)

    @staticmethod
    def _one(found: set[int], prefer: set[int] | None = None) -> int | None:
        if len(found) == 1:
            return next(iter(found))
        if prefer:
            preferred = found & prefer
            if len(preferred) == 1:
                return next(iter(preferred))
        return None

    def category(self, text: str) -> tuple[int | None, str | None]:
        key = fold(text)
        found = self.categories.get(key) or self.categories.get(key.replace(" ", "-"), set())
        if not found:
            return None, _("Không tìm thấy danh mục “%(value)s”.", value=text)
        cid = self._one(found)
        if cid is None:
            return None, _("Có nhiều danh mục tên “%(value)s”; hãy ghi mã (slug) của danh mục.", value=text)
        return cid, None

    def area(self, text: str) -> tuple[int | None, str | None]:
        key = fold(text)
        found = (
            self.areas.get(key)
            or self.areas.get(_strip_prefix(key))
            or self.areas.get(_PARENTHESIS.sub("", key))
            or self.areas.get(key.replace(" ", "-"), set())
        )
        if not found:
            return None, _("Không tìm thấy khu vực “%(value)s”.", value=text)
        aid = self._one(found, self.current_areas)
        if aid is None:
            return None, _("Có nhiều khu vực tên “%(value)s”; hãy ghi rõ hơn (ví dụ mã slug).", value=text)
        return aid, None


def _text(value: object) -> str:
    return str(unescape_cell(value if value is not None else "")).strip()


def _row_data(values: dict[str, object], table: Table, lookups: Lookups) -> tuple[dict, list[tuple[str, str]]]:
    """Spreadsheet values → the catalog services' data dict, plus lookup problems."""
    data: dict[str, object] = {}
    problems: list[tuple[str, str]] = []
    for fld in ("code", "name", "unit", "description"):
        if fld in table.columns:
            data[fld] = _text(values.get(fld))
    if "price" in table.columns:
        price = unescape_cell(values.get("price"))
        data["price_vnd"] = price.strip() if isinstance(price, str) else price
    for fld in CAPACITY_COLUMNS:
        if fld in table.columns:
            value = unescape_cell(values.get(fld))
            data[fld] = value.strip() if isinstance(value, str) else value
    if "season" in table.columns:
        value = unescape_cell(values.get("season"))
        data["season_mask"] = value.strip() if isinstance(value, str) else value
    if "category" in table.columns:
        text = _text(values.get("category"))
        if not text:
            problems.append((table.header("category"), _("Thiếu danh mục.")))
        else:
            cid, problem = lookups.category(text)
            if problem:
                problems.append((table.header("category"), problem))
            data["category_id"] = cid
    if "area" in table.columns:
        text = _text(values.get("area"))
        if text:
            aid, problem = lookups.area(text)
            if problem:
                problems.append((table.header("area"), problem))
            data["area_id"] = aid
        else:
            data["area_id"] = None
    return data, problems


def _snapshot(product: Product) -> dict:
    return {f: getattr(product, f) for f in PRODUCT_FIELDS}


def _pending_fields(seller: Seller) -> dict[int, dict]:
    """product id → the fields of its pending revision, for the seller's products (one query)."""
    stmt = (
        sa.select(ProductRevision.product_id, ProductRevision.fields)
        .join(Product, Product.id == ProductRevision.product_id)
        .where(Product.seller_id == seller.id, ProductRevision.status == "pending")
    )
    return {product_id: dict(fields or {}) for product_id, fields in db.session.execute(stmt)}


def _record_update(outcome: RowOutcome, table: Table, before: dict, after: dict,
                   pending_before: dict, pending_after: dict) -> None:
    """What an update did: live columns changed, changes sent for review, pending ones withdrawn."""

    def columns(fields) -> list[str]:
        return [table.header(SERVICE_TO_FIELD[f]) for f in PRODUCT_FIELDS if f in fields]

    outcome.updated = columns({f for f in PRODUCT_FIELDS if after[f] != before[f]})
    outcome.review = columns({f for f, v in pending_after.items() if f not in pending_before or pending_before[f] != v})
    outcome.withdrawn = columns(set(pending_before) - set(pending_after))
    changed = bool(outcome.updated or outcome.withdrawn)
    if outcome.review:
        outcome.action = "update_review" if changed else "review"
    else:
        outcome.action = "update" if changed else "unchanged"


def _product_by_id(text: str, by_id: dict[int, Product]) -> Product | None:
    """The seller's product whose exported id this is (another seller's id: None)."""
    if not (text.isascii() and text.isdigit() and len(text) <= 18):
        return None
    return by_id.get(int(text))


def apply_import(
    seller: Seller,
    table: Table,
    *,
    progress: Callable[[Iterable], Iterable] | None = None,
    actor=None,
) -> ImportResult:
    """Create or update ``seller``'s products from ``table``.

    A row is matched to an existing product by the exported ``id`` column when the file
    has one and the row fills it (so products without a code re-import), otherwise by
    product code. New products are created in one batch (one flush at the end).
    Flushes only. Every row is checked even after a problem so the seller sees all of
    them at once; the caller must roll back unless ``result.ok``.
    """
    lookups = Lookups()
    mine = list(db.session.scalars(sa.select(Product).where(Product.seller_id == seller.id)))
    existing = {p.code: p for p in mine if p.code is not None}
    by_id = {p.id: p for p in mine} if "id" in table.columns else {}
    pending = _pending_fields(seller)
    batch = ProductBatch(seller)
    seen: dict[str, int] = {}
    seen_ids: dict[int, int] = {}
    outcomes: list[RowOutcome] = []
    broken = False
    rows: Iterable = table.rows if progress is None else progress(table.rows)
    for number, values in rows:
        data, problems = _row_data(values, table, lookups)
        code = str(data.get("code") or "")
        outcome = RowOutcome(row=number, code=code, name=str(data.get("name") or ""), problems=problems)
        outcomes.append(outcome)
        if broken:
            continue
        product_id = _text(values.get("id")) if "id" in table.columns else ""
        product = None
        if product_id:
            product = _product_by_id(product_id, by_id)
            if product is None:
                outcome.problems.append(
                    (table.header("id"), _("Không có sản phẩm nào của bạn mang id %(id)s.", id=product_id[:20]))
                )
            elif product.id in seen_ids:
                outcome.problems.append(
                    (table.header("id"), _("Sản phẩm id %(id)s trùng với dòng %(row)d.", id=product.id, row=seen_ids[product.id]))
                )
            else:
                seen_ids[product.id] = number
        elif not code:
            outcome.problems.append((table.header("code"), _("Thiếu mã sản phẩm (dùng để nhận ra sản phẩm khi nhập lại).")))
        else:
            product = existing.get(code)
        if code and code in seen:
            outcome.problems.append(
                (table.header("code"), _("Mã sản phẩm %(code)s trùng với dòng %(row)d.", code=code, row=seen[code]))
            )
        elif code:
            seen[code] = number
        if outcome.problems:
            # Still run the catalog checks for the other columns, on a throwaway dict.
            data = {k: v for k, v in data.items() if k not in ("code",) and v is not None}
            _collect_service_errors(seller, data, product, outcome, table)
            continue
        try:
            if product is None:
                product = batch.create(data)
                existing[code] = product
                outcome.action = "create"
            else:
                before = _snapshot(product)
                pending_before = pending.get(product.id, {})
                old_code = product.code
                update_product(product, data, actor=actor)
                pending_after = pending_before
                if product.status == "published" and any(f in data for f in REVIEWED_FIELDS):
                    # update_product may have proposed (or withdrawn) a revision
                    revision = pending_revision(product)
                    pending_after = dict(revision.fields) if revision is not None else {}
                _record_update(outcome, table, before, _snapshot(product), pending_before, pending_after)
                if product.code != old_code:  # keep the batch's in-memory code check true
                    batch.codes.discard(old_code)
                    if product.code:
                        batch.codes.add(product.code)
        except ValidationError as exc:
            _add_errors(outcome, exc, table)
        except SQLAlchemyError as exc:  # the transaction is unusable: stop writing
            outcome.problems.append(("", _("Lỗi cơ sở dữ liệu khi lưu dòng này: %(error)s", error=type(exc).__name__)))
            broken = True
    if not broken:
        try:
            db.session.flush()  # the new products, in one go
        except SQLAlchemyError as exc:
            outcomes.append(RowOutcome(row=0, code="", name="", problems=[
                ("", _("Lỗi cơ sở dữ liệu khi lưu dòng này: %(error)s", error=type(exc).__name__))
            ]))
    order = {header: index for index, header in enumerate(table.columns.values())}
    for outcome in outcomes:  # problems in the file's column order
        outcome.problems.sort(key=lambda problem: order.get(problem[0], len(order)))
    return ImportResult(rows=outcomes, ignored_headers=table.ignored_headers, blank_rows=table.blank_rows)


def _add_errors(outcome: RowOutcome, exc: ValidationError, table: Table) -> None:
    """Add the service's messages, one per column (a more specific one already there wins)."""
    for service_field, message in exc.errors.items():
        fld = SERVICE_TO_FIELD.get(service_field)
        column = table.header(fld) if fld else service_field
        if all(existing != column for existing, _message in outcome.problems):
            outcome.problems.append((column, message))


def _collect_service_errors(seller, data: dict, product: Product | None, outcome: RowOutcome, table: Table) -> None:
    """Run the catalog validation without writing, to list a bad row's other problems."""
    data = {k: v for k, v in data.items() if not (k in ("category_id", "area_id") and v is None)}
    try:
        with db.session.no_autoflush:
            validate_product_data(seller, data, product=product)
    except ValidationError as exc:
        _add_errors(outcome, exc, table)
    except (TypeError, ValueError):
        pass


# --- export -----------------------------------------------------------------

EXPORT_FIELDS = ("code", "name", "category", "price", "unit", "description", "area", *CAPACITY_COLUMNS, "season")
EXPORT_HEADERS = [COLUMNS[f][0] for f in EXPORT_FIELDS] + [
    "trang_thai",
    COLUMNS["id"][0],
]


def seller_products(seller: Seller) -> sa.Select:
    return (
        sa.select(Product)
        .where(Product.seller_id == seller.id)
        .order_by(Product.code.is_(None), Product.code, Product.id)
    )


def export_csv(seller: Seller) -> bytes:
    """The seller's whole catalog as CSV, UTF-8 with BOM (Excel shows Vietnamese)."""
    from sqlalchemy.orm import selectinload

    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(EXPORT_HEADERS)
    stmt = seller_products(seller).options(selectinload(Product.category), selectinload(Product.area))
    for product in db.session.scalars(stmt):
        writer.writerow(
            [
                safe_cell(v)
                for v in (
                    product.code or "",
                    product.name,
                    product.category.name if product.category else "",
                    product.price_vnd,
                    product.unit,
                    product.description,
                    product.area.name if product.area else "",
                    *(getattr(product, f) if getattr(product, f) is not None else "" for f in CAPACITY_COLUMNS),
                    format_months(product.season_mask, spreadsheet=True),
                    product.status,
                    product.id,
                )
            ]
        )
    return b"\xef\xbb\xbf" + buf.getvalue().encode("utf-8")
