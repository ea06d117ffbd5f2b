"""The demo's certifications beyond OCOP, from ``shared/data/thai-nguyen-catalog-facts.md``
("Certifications and geographical indications").

Sourced (facts file): the Tân Cương geographical indication for tea (granted by the
National Office of Intellectual Property in October 2007, the communes Phúc Xuân, Phúc
Trìu and Tân Cương, 4,861.8 ha, managed by the city's People's Committee, no time
limit); the tea collective marks "Chè Thái Nguyên" (owned by the provincial Farmers'
Union), "Chè La Bằng", "Chè Trại Cài", "Chè Vô Tranh", "Chè Phổ Yên"; "Na La Hiên"
(custard apple, collective mark July 2018); VietGAP tea being common around Tân Cương.

Invented (plausible, as the facts file asks): which generated sellers hold what, every
certificate number, the certifying bodies of VietGAP/organic/GlobalGAP/HACCP, the areas
and their sizes, the growing-area code format, dates. Real producers (``SellerPlan.real``)
get only what follows from where they are (the GI of their commune, the province's tea
mark), never an invented VietGAP, organic or GlobalGAP claim.

The plan draws from its own random generator, so adding it changes nothing else of the
catalog (the 2,760 products, 173 OCOP certificates and 90 rural-industry marks).
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from . import data as d

RANDOM_SEED = d.RANDOM_SEED + 18  # issue 18

GI_NAME = "Tân Cương"
GI_GRANTED = date(2007, 10, 13)  # agro.gov.vn, 13/10/2007
GI_PLACE = "Xã Phúc Xuân, Phúc Trìu, Tân Cương (cũ), 4.861,8 ha; CDĐL do Cục Sở hữu trí tuệ cấp tháng 10/2007"
GI_AREAS = ("xã Tân Cương", "xã Đại Phúc")  # today's communes holding the three former ones
# (mark, the areas whose tea sellers may use it, owner); "Chè Thái Nguyên": any tea seller of the province.
TEA_MARKS = (
    ("Chè La Bằng", ("xã La Bằng",), "UBND xã La Bằng"),
    ("Chè Trại Cài", ("xã Trại Cau",), "Hội Nông dân xã Minh Lập"),
    ("Chè Vô Tranh", ("xã Vô Tranh",), "UBND xã Vô Tranh"),
    ("Chè Phổ Yên", ("phường Phổ Yên", "xã Thành Công", "xã Minh Đức"), "Hội Nông dân thành phố Phổ Yên"),
)
PROVINCE_MARK = ("Chè Thái Nguyên", "Hội Nông dân tỉnh Thái Nguyên")
NA_LA_HIEN = ("Na La Hiên", ("xã La Hiên",), "UBND xã La Hiên", date(2018, 7, 20))
VIETGAP_BODIES = (
    "Trung tâm Kiểm nghiệm và Chứng nhận chất lượng TQC",
    "Công ty CP Chứng nhận và Giám định VinaCert",
    "Trung tâm Chứng nhận Phù hợp (QUACERT)",
    "Trung tâm Khuyến nông tỉnh Thái Nguyên",
)
ORGANIC = (("TCVN 11041", "Công ty CP Chứng nhận và Giám định VinaCert"),
           ("TCVN 11041", "Trung tâm Chứng nhận Phù hợp (QUACERT)"),
           ("EU Organic", "Control Union Vietnam"),
           ("USDA Organic", "Control Union Vietnam"))
GLOBALGAP_BODY = "Control Union Vietnam"
HACCP_BODIES = ("Trung tâm Chứng nhận Phù hợp (QUACERT)", "Bureau Veritas Việt Nam")
GROWING_AREA_BODY = "Chi cục Trồng trọt và Bảo vệ thực vật tỉnh Thái Nguyên"
HAMLETS = ("Nam Đồng", "Hồng Thái", "Soi Mít", "Khuôn Ngục", "Đồng Kiệm", "Đồng Tâm", "Gò Móc", "Khuôn Gà",
           "Y Na", "Nhà Thờ", "Đội Cấn", "Lam Sơn", "Hòa Bình", "Tân Thái", "Đồng Chòi", "Xóm Núi")


@dataclass
class OtherCertPlan:
    seller: str  # seller slug
    kind: str
    number: str
    issuer: str
    issued_on: date
    expires_on: date | None
    scope: str = "seller"
    products: list[str] = field(default_factory=list)  # product slugs (scope "products")
    scheme: str | None = None
    place: str | None = None
    verified: bool = True
    rejected: str | None = None  # staff's reason


def _years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29/02
        return day.replace(year=day.year + years, day=28)


def plan_certifications(plan) -> list[OtherCertPlan]:  # noqa: ANN001 — seed.CatalogPlan
    rng = random.Random(RANDOM_SEED)
    base = d.BASE_DATE
    approved = [s for s in plan.sellers if s.status == "approved"]
    products: dict[str, list[str]] = {}
    for p in plan.products:
        if p.status == "published":
            products.setdefault(p.seller, []).append(p.slug)
    out: list[OtherCertPlan] = []
    n = iter(range(1, 100_000))

    def day_between(first: date, last: date) -> date:
        return first + timedelta(days=rng.randint(0, max(0, (last - first).days)))

    tea = [s for s in approved if s.trade == "che"]
    bac_kan = {a.name for a in d.AREAS if d.DISTRICTS[a.district].bac_kan}
    for s in tea:
        # The Tân Cương GI: every tea seller of its communes is allowed to use it.
        if s.area in GI_AREAS:
            out.append(OtherCertPlan(
                s.slug, "geographical_indication", f"{next(n):03d}/QĐ-SDCDĐL",
                "UBND thành phố Thái Nguyên (tổ chức quản lý CDĐL Tân Cương)",
                day_between(date(2012, 1, 1), base - timedelta(days=200)), None, scheme=GI_NAME, place=GI_PLACE))
        # Collective marks: the local one, else the province's for about half of them.
        local = next((m for m in TEA_MARKS if s.area in m[1]), None)
        if local is not None or (s.area not in bac_kan and (s.real or rng.random() < 0.45)):
            name, owner = (local[0], local[2]) if local is not None else PROVINCE_MARK
            issued = day_between(base - timedelta(days=9 * 365), base - timedelta(days=120))
            out.append(OtherCertPlan(
                s.slug, "collective_mark", f"4-0{rng.randint(100000, 399999)}-000",
                f"Cục Sở hữu trí tuệ (chủ sở hữu: {owner})", issued, _years(issued, 10), scheme=name))
        if s.real:
            continue
        # VietGAP tea areas: cooperatives and companies several areas, households one.
        if rng.random() < 0.9:
            areas = rng.randint(2, 6) if s.kind != "household" else rng.randint(1, 2)
            mine = products.get(s.slug, [])
            for _ in range(areas):
                issued = day_between(base - timedelta(days=3 * 365 + 60), base - timedelta(days=20))
                hectares = round(rng.uniform(1.5, 18.0), 1)
                place = f"Xóm {rng.choice(HAMLETS)}, {s.area}, {hectares:.1f} ha".replace(".", ",")
                scoped = s.kind != "household" and len(mine) > 1
                out.append(OtherCertPlan(
                    s.slug, "vietgap", f"VietGAP-TT-{issued:%y}-{rng.randint(1, 12):02d}-{next(n):04d}",
                    rng.choice(VIETGAP_BODIES), issued, _years(issued, 3),
                    scope="products" if scoped else "seller",
                    products=rng.sample(mine, rng.randint(1, min(3, len(mine)))) if scoped else [],
                    place=place))
            # A growing-area code for one of those areas (export and traceability).
            if rng.random() < 0.25:
                out.append(OtherCertPlan(
                    s.slug, "growing_area_code", f"VN-TNGO-{next(n):04d}", GROWING_AREA_BODY,
                    day_between(base - timedelta(days=700), base - timedelta(days=30)), None,
                    place=f"Xóm {rng.choice(HAMLETS)}, {s.area}"))
    # Organic and GlobalGAP sellers (generated ones only), HACCP/ISO 22000 processors.
    generated = [s for s in approved if not s.real]
    organic = rng.sample([s for s in generated if s.trade in ("che", "nong-san", "mat-ong", "duoc-lieu")], 12)
    for s in organic:
        scheme, body = rng.choice(ORGANIC)
        issued = day_between(base - timedelta(days=700), base - timedelta(days=30))
        out.append(OtherCertPlan(s.slug, "organic", f"HC-{issued:%Y}-{next(n):04d}", body, issued,
                                 _years(issued, 2) if scheme == "TCVN 11041" else issued + timedelta(days=365),
                                 scheme=scheme))
    for s in rng.sample([s for s in generated if s.trade in ("che", "trai-cay") and s.kind == "enterprise"]
                        or generated, 5):
        issued = day_between(base - timedelta(days=330), base - timedelta(days=15))
        out.append(OtherCertPlan(s.slug, "globalgap", f"GGN-40630{rng.randint(10000000, 99999999)}",
                                 GLOBALGAP_BODY, issued, issued + timedelta(days=365), scheme="IFA v6"))
    for s in rng.sample([s for s in generated if s.trade in ("thuc-pham", "mien", "che", "ruou")
                         and s.kind == "enterprise"], 8):
        issued = day_between(base - timedelta(days=1000), base - timedelta(days=30))
        out.append(OtherCertPlan(s.slug, "haccp_iso22000", f"QC-{issued:%y}-{next(n):05d}", rng.choice(HACCP_BODIES),
                                 issued, _years(issued, 3), scheme=rng.choice(("HACCP", "ISO 22000:2018"))))
    for s in [s for s in approved if s.trade == "trai-cay" and s.area in NA_LA_HIEN[1]]:
        out.append(OtherCertPlan(s.slug, "collective_mark", "4-0301234-000",
                                 f"Cục Sở hữu trí tuệ (chủ sở hữu: {NA_LA_HIEN[2]})", NA_LA_HIEN[3],
                                 _years(NA_LA_HIEN[3], 10), scheme=NA_LA_HIEN[0]))
    # What staff still have to do: a few waiting, one refused, some VietGAP not renewed.
    vietgap = [c for c in out if c.kind == "vietgap"]
    for c in rng.sample(vietgap, 6):
        c.verified = False
    refused = rng.choice([c for c in vietgap if c.verified])
    refused.verified, refused.rejected = False, "Bản quét mờ, không đọc được số giấy chứng nhận."
    for c in rng.sample([c for c in vietgap if c.verified], 10):
        c.issued_on = base - timedelta(days=rng.randint(3 * 365 + 5, 3 * 365 + 200))
        c.expires_on = _years(c.issued_on, 3)
    return out


def insert_certifications(plans: list[OtherCertPlan], sellers: dict, products: dict) -> int:
    """Add the planned certifications (``sellers``/``products``: the inserted rows by
    slug); staff verified them about two weeks after issue. Flushes; returns how many."""
    from ..certifications.models import Certification
    from ..extensions import db
    from .plan import vn_moment as _at

    rows = []
    for c in plans:
        checked = _at(min(c.issued_on + timedelta(days=14), d.BASE_DATE - timedelta(days=1)), 10)
        cert = Certification(
            seller=sellers[c.seller], kind=c.kind, scope=c.scope, number=c.number, issuer=c.issuer,
            scheme=c.scheme, place=c.place, issued_on=c.issued_on, expires_on=c.expires_on,
            verified_at=checked if c.verified else None,
            rejected_at=checked if c.rejected else None, review_note=c.rejected,
        )
        cert.products = [products[slug] for slug in c.products]
        rows.append(cert)
    db.session.add_all(rows)
    db.session.flush()
    # The folded search column carries the words of each product's valid certifications.
    from ..catalog.product_data import build_search_text
    from ..certifications.queries import search_words_by_product

    by_id = {p.id: p for p in products.values()}
    for pid, words in search_words_by_product(list(by_id)).items():
        if words:
            by_id[pid].search_text = build_search_text(by_id[pid], cert_words=words)
    db.session.flush()
    return len(rows)
