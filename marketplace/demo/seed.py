"""The demo catalog into the database: ``insert_plan()`` turns a plan (``demo.plan``)
into rows through the shared factories (``demo.factories``: slugs, a product's area and
folded search text, certificate expiry), added in batches with periodic flushes;
``wipe_catalog()`` removes the catalog for ``--reset``. The CLI commits once.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

import sqlalchemy as sa

from ..catalog.models import OCOP_GROUPS, Area, AreaAlias, Category, OcopCertification, Product, ProductPhoto
from ..collections.models import Collection
from ..extensions import db
from ..search.synonym_seed import seed_synonyms
from ..sellers.models import Seller
from ..text import add_months, fold
from . import data as d
from .factories import (
    build_area,
    build_category,
    build_certification,
    build_product,
    build_rural_industry,
    build_seller,
    make_collection,
)
from .plan import BASE_MOMENT, CatalogPlan, ProductPlan, collection_picks, vn_moment
from .seasons import supply_values

FLUSH_EVERY = 500

CATALOG_TABLES = (
    "collection_items", "collections", "product_photos", "ocop_certifications", "rural_industry_recognitions", "products",
    "sellers", "area_aliases", "areas", "categories",
)


def wipe_catalog() -> dict[str, int]:
    """Delete every catalog row (products, certificates, photos rows, sellers, categories,
    areas) and the rows of other features that cannot live without them (e.g. inquiries);
    nullable references elsewhere (a user's seller membership) are set to NULL.
    Returns rows deleted per table. Flushes; the caller commits."""
    metadata = db.Model.metadata
    wipe = {name for name in CATALOG_TABLES if name in metadata.tables}
    nullify: list[tuple[sa.Table, sa.Column]] = []
    changed = True
    while changed:  # tables that depend (through non-null foreign keys) on wiped ones
        changed = False
        for table in metadata.sorted_tables:
            if table.name in wipe:
                continue
            for fk in table.foreign_keys:
                if fk.column.table.name in wipe and not fk.parent.nullable:
                    wipe.add(table.name)
                    changed = True
                    break
    for table in metadata.sorted_tables:
        if table.name in wipe:
            continue
        for fk in table.foreign_keys:
            if fk.column.table.name in wipe:
                nullify.append((table, fk.parent))
    db.session.flush()
    for table, column in nullify:
        db.session.execute(sa.update(table).where(column.is_not(None)).values({column.name: None}))
    # Self-references first, so each table empties in any order the database likes.
    for name in ("categories", "areas"):
        table = metadata.tables[name]
        db.session.execute(sa.update(table).values(parent_id=None))
    deleted = {}
    for table in reversed(metadata.sorted_tables):
        if table.name in wipe:
            deleted[table.name] = db.session.execute(sa.delete(table)).rowcount
    db.session.expunge_all()
    return deleted


def _build_categories() -> dict[str, Category]:
    by_name: dict[str, Category] = {}
    roots: dict[str, Category] = {}
    for pos, (slug, name, name_en, group) in enumerate(d.ROOT_CATEGORIES):
        assert group is None or (group == slug and OCOP_GROUPS[group] == name)
        roots[slug] = build_category(slug=slug, name=name, name_en=name_en, ocop_group=group, position=pos)
    for pos, (name, name_en, parent) in enumerate(d.CHILD_CATEGORIES):
        root = roots[parent]
        by_name[name] = build_category(name=name, name_en=name_en, ocop_group=root.ocop_group, parent=root,
                                       position=pos)
    db.session.add_all(list(roots.values()) + list(by_name.values()))
    return by_name


def _aliases(pairs) -> list[AreaAlias]:
    return [AreaAlias(name=n, folded=fold(n), kind=k) for n, k in pairs]


def _build_areas() -> dict[str, Area]:
    province = build_area(name=d.PROVINCE[0], slug=d.PROVINCE[1], kind="province", is_current=True, is_demo=False,
                          aliases=_aliases((n, "former_province") for n in d.PROVINCE_ALIASES))
    areas: dict[str, Area] = {}
    for spec in d.AREAS:
        district = d.DISTRICTS[spec.district]
        aliases = [(n, "former_commune") for n in spec.former] + [(district.alias, "former_district")]
        if district.bac_kan:
            aliases.append(("tỉnh Bắc Kạn", "former_province"))
        areas[spec.name] = build_area(name=spec.name, kind=spec.kind, parent=province, is_current=True,
                                      is_demo=not spec.real, aliases=_aliases(aliases))
    db.session.add(province)
    db.session.add_all(list(areas.values()))
    return areas


def _build_product(p: ProductPlan, seller: Seller, category: Category,
                   photo: tuple[str, int, int] | None) -> Product:
    """The planned product with its photo, certificate and recognition, through the
    shared factories (not added to the session)."""
    product = build_product(
        seller=seller, category=category, area=seller.area, code=p.code, name=p.name, slug=p.slug,
        description=p.description, price_vnd=p.price_vnd, unit=p.unit, status=p.status, featured=p.featured,
        view_count=p.view_count, created_at=p.created_at, updated_at=p.published_at or p.created_at,
        published_at=p.published_at, **supply_values(p.family, p.name, p.slug),
    )
    if photo is not None:
        key, width, height = photo
        product.photos = [ProductPhoto(key=key, width=width, height=height, alt=p.name[:200], position=0)]
    if p.cert is not None:
        c = p.cert
        build_certification(product, stars=c.stars, score=c.score, product_group=category.ocop_group,
                            decision_number=c.decision_number, issued_on=c.issued_on,
                            issuing_level=c.issuing_level, issuing_body=c.issuing_body, verified_at=c.verified_at)
    if p.rural is not None:
        build_rural_industry(product, level=p.rural[0], year=p.rural[1])
    return product


def insert_plan(
    plan: CatalogPlan,
    photos: Sequence[tuple[str, int, int]] | None = None,
    progress: Callable[[int], None] | None = None,
) -> None:
    """Add the planned catalog to the session, flushing in batches. The caller commits."""
    categories = _build_categories()
    areas = _build_areas()
    sellers: dict[str, Seller] = {}
    products: dict[str, Product] = {}
    for s in plan.sellers:
        sellers[s.slug] = build_seller(
            kind=s.kind, name=s.name, slug=s.slug, story=s.story, address=s.address, area=areas[s.area],
            phone=s.phone, email=s.email, website=s.website, status=s.status, verified=s.verified, is_demo=True,
            created_at=s.created_at, updated_at=s.created_at,
        )
    db.session.add_all(list(sellers.values()))
    db.session.flush()
    batch: list[Product] = []
    with db.session.no_autoflush:
        for i, p in enumerate(plan.products):
            product = _build_product(p, sellers[p.seller], categories[p.category],
                                     photos[i] if photos is not None else None)
            batch.append(product)
            products[p.slug] = product
            if len(batch) >= FLUSH_EVERY:
                _flush(batch, progress)
                batch = []
        if batch:
            _flush(batch, progress)
    insert_collections(plan, products)
    seed_synonyms()


def _flush(batch: list[Product], progress: Callable[[int], None] | None) -> None:
    db.session.add_all(batch)
    db.session.flush()
    if progress:
        progress(len(batch))


def insert_collections(plan: CatalogPlan, products: dict[str, Product]) -> list[Collection]:
    """The demo's featured collections: a hero and two rows on the home page (one of them
    seasonal, scheduled from the base date for three months) and one on a category page.
    The cover is the first product's picture. Flushes; the caller commits."""
    categories = {c.name: c for c in db.session.scalars(sa.select(Category))}
    made = []
    for position, (spec, placement, picks) in enumerate(collection_picks(plan)):
        title, slug, description = spec[:3]
        rows = [products[p.slug] for p in picks if p.slug in products]
        extra: dict = {}
        if placement == "category":
            extra["category"] = categories[spec[3]]
        if spec is d.COLLECTION_GIFTS:
            extra["starts_at"] = vn_moment(d.BASE_DATE, 0)
            extra["ends_at"] = vn_moment(add_months(d.BASE_DATE, d.COLLECTION_GIFT_MONTHS), 0)
        cover = next((photo for row in rows for photo in row.photos), None)
        if cover is not None:
            extra.update(cover_key=cover.key, cover_width=cover.width, cover_height=cover.height)
        made.append(make_collection(rows, title=title, slug=slug, description=description, placement=placement,
                                    position=position, created_at=BASE_MOMENT, updated_at=BASE_MOMENT, **extra))
    return made


def catalog_digest() -> str:
    """A digest of what a buyer sees of the catalog: (slug, name, price, seller, stars).

    Stars are those of any certificate (valid or not), so the digest does not depend on
    today's date."""
    rows = db.session.execute(
        sa.select(Product.slug, Product.name, Product.price_vnd, Product.status, Seller.slug,
                  OcopCertification.stars)
        .join(Seller, Product.seller_id == Seller.id)
        .outerjoin(OcopCertification, OcopCertification.product_id == Product.id)
    ).all()
    h = hashlib.sha256()
    for row in sorted(rows):  # Python order: database collations differ
        h.update(repr(tuple(row)).encode())
    return h.hexdigest()
