"""The deterministic demo catalog as a plan: plain values, no database.

``build_plan()`` is pure: a fixed ``random.Random`` seed, the vocabulary of ``demo.data``
and the fixed ``BASE_DATE`` give the same catalog on every machine and every run.
``demo.seed`` turns a plan into rows.
"""
from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

from ..catalog.services import certificate_expiry
from ..text import VN_TZ, add_months, fold, slugify, today_vn
from . import data as d
from .photos import PhotoSpec

MERGER_DAY = date(2025, 7, 1)  # districts abolished, Bắc Kạn merged into Thái Nguyên
MINISTRY_RENAMED = date(2025, 3, 1)  # MARD + MONRE → Bộ Nông nghiệp và Môi trường
DEMO_DOMAIN = "ocop-demo.example.com"


@dataclass
class SellerPlan:
    slug: str
    name: str
    kind: str
    brand: str
    trade: str
    area: str  # area name
    status: str = "approved"
    verified: bool = True
    story: str = ""
    address: str = ""
    phone: str = ""
    email: str = ""
    website: str = ""
    created_at: datetime | None = None
    real: bool = False


@dataclass
class CertPlan:
    stars: int
    score: int
    decision_number: str
    issued_on: date
    issuing_level: str
    issuing_body: str
    verified_at: datetime | None


@dataclass
class ProductPlan:
    seller: str  # seller slug
    family: str
    name: str
    slug: str
    code: str
    unit: str
    price_vnd: int
    description: str
    status: str
    published_at: datetime | None
    created_at: datetime
    view_count: int
    photo_title: str
    featured: bool = False
    cert: CertPlan | None = None
    rural: tuple[str, int] | None = None  # (level, year)
    real: bool = False
    stars_hint: int | None = None
    rural_national: bool = False

    @property
    def category(self) -> str:
        return d.FAMILY_BY_KEY[self.family].category


@dataclass
class CatalogPlan:
    sellers: list[SellerPlan] = field(default_factory=list)
    products: list[ProductPlan] = field(default_factory=list)
    # Certifications of other kinds than OCOP (demo/certifications.py).
    certifications: list = field(default_factory=list)

    def seller(self, slug: str) -> SellerPlan:
        return self._sellers_by_slug[slug]

    def index(self) -> None:
        self._sellers_by_slug = {s.slug: s for s in self.sellers}


def vn_moment(day: date, hour: int = 9, minute: int = 0) -> datetime:
    """A Vietnamese wall-clock moment as an aware UTC datetime."""
    return datetime.combine(day, time(hour, minute), tzinfo=VN_TZ).astimezone(timezone.utc)


BASE_MOMENT = vn_moment(d.BASE_DATE, 8)


def _weighted_order(rng: random.Random, items: Sequence, weights: Sequence[float]) -> list:
    """Weighted sampling without replacement of all items (Efraimidis–Spirakis)."""
    keyed = [(rng.random() ** (1.0 / w), i) for i, w in enumerate(weights)]
    keyed.sort(reverse=True)
    return [items[i] for _, i in keyed]


def _weighted_choice(rng: random.Random, pairs: Sequence[tuple]) -> object:
    total = sum(p[-1] for p in pairs)
    x = rng.uniform(0, total)
    for p in pairs:
        x -= p[-1]
        if x <= 0:
            return p
    return pairs[-1]


def _round_price(value: float) -> int:
    step = 10_000 if value >= 1_000_000 else 1_000
    return max(step, int(round(value / step)) * step)


def _stem(stem: str, brand: str) -> tuple[str, str | None]:
    """(name stem with the brand, unit override or None)."""
    text, _, unit = stem.partition("|")
    return text.format(brand=brand), unit or None


def _size(spec: tuple) -> tuple[str, float, str]:
    label, qty = spec[0], spec[1]
    return label, qty, spec[2] if len(spec) > 2 else label


def _phone(rng: random.Random) -> str:
    return rng.choice(d.MOBILE_PREFIXES) + "".join(str(rng.randrange(10)) for _ in range(7))


def _person(rng: random.Random) -> str:
    return f"{rng.choice(d.SURNAMES)} {rng.choice(d.GIVEN)}"


def _areas_by_district() -> dict[str, list[d.AreaSpec]]:
    out: dict[str, list[d.AreaSpec]] = {}
    for area in d.AREAS:
        out.setdefault(area.district, []).append(area)
    return out


AREA_BY_NAME = {a.name: a for a in d.AREAS}


def _seller_details(rng: random.Random, s: SellerPlan, taken_emails: set[str]) -> None:
    year = rng.randint(2008, 2023)
    story = [
        d.STORY_SENTENCES[0].format(name=s.name, year=year, area=s.area, members=rng.randint(7, 60)),
    ]
    extra = rng.sample(d.STORY_SENTENCES[1:], k=rng.randint(2, 3))
    story += [
        x.format(name=s.name, hectares=rng.randint(2, 80), person=_person(rng)) for x in extra
    ]
    s.story = " ".join(story)
    s.address = f"{rng.choice(d.STREETS)} {rng.choice(d.HAMLETS)}, {s.area}, tỉnh Thái Nguyên"
    s.phone = _phone(rng)
    local = slugify(s.brand).replace("-", "") or "lienhe"
    # Reserved example domain (RFC 2606): demo mail can never reach a real mailbox.
    email = f"{local}@{DEMO_DOMAIN}"
    n = 2
    while email in taken_emails:
        email = f"{local}{n}@{DEMO_DOMAIN}"
        n += 1
    taken_emails.add(email)
    s.email = email
    if s.kind == "enterprise" or rng.random() < 0.15:
        s.website = s.website or f"https://{local}.{DEMO_DOMAIN}"
    s.created_at = vn_moment(date(2023, 1, 1) + timedelta(days=rng.randint(0, 400)), 10)


def _plan_sellers(rng: random.Random, plan: CatalogPlan) -> None:
    names: set[str] = set()
    slugs: set[str] = set()
    emails: set[str] = set()
    for p in d.PRODUCERS:
        s = SellerPlan(slug=slugify(p.name), name=p.name, kind=p.kind, brand=p.brand, trade=p.trade,
                       area=p.area, real=True, website=p.website)
        names.add(p.name)
        slugs.add(s.slug)
        plan.sellers.append(s)
    by_district = _areas_by_district()
    trades = [(t, t.share) for t in d.TRADES]
    for i in range(d.GENERATED_SELLERS + d.PENDING_SELLERS):
        trade: d.Trade = _weighted_choice(rng, trades)[0]  # type: ignore[index]
        kind, prefix, _ = _weighted_choice(rng, d.SELLER_FORMS)  # type: ignore[misc]
        district = rng.choice(trade.districts)
        area = rng.choice(by_district[district])
        for _attempt in range(50):
            roll = rng.random()
            if kind == "household" and roll < 0.35:
                brand = _person(rng)
            elif roll < 0.6:
                brand = rng.choice(d.BRAND_NAMES)
            else:
                brand = area.short
            word = rng.choice(trade.words)
            if kind == "household" and rng.random() < 0.3:
                name = f"Cơ sở {word} {brand}"
            else:
                name = f"{prefix} {word} {brand}"
            slug = slugify(name)
            if name not in names and slug not in slugs:
                break
        else:  # pragma: no cover - the vocabulary is large enough
            raise RuntimeError("demo seller names exhausted")
        names.add(name)
        slugs.add(slug)
        status = "pending" if i >= d.GENERATED_SELLERS else "approved"
        plan.sellers.append(SellerPlan(
            slug=slug, name=name, kind=kind, brand=brand, trade=trade.key, area=area.name, status=status,
            verified=status == "approved" and rng.random() < 0.88,
        ))
    for s in plan.sellers:
        if s.real:
            s.verified = True
        _seller_details(rng, s, emails)
    plan.index()


def _candidates(rng: random.Random, seller: SellerPlan) -> list[tuple[str, str, tuple, tuple]]:
    """Every (family, stem, size, pack) the seller could sell, in a weighted random order.

    Like a real producer, a seller makes one or two product lines (stems) of each family
    it works in, in several sizes and packagings."""
    trade = d.TRADE_BY_KEY[seller.trade]
    items, weights = [], []
    for fam_key, weight in trade.families:
        fam = d.FAMILY_BY_KEY[fam_key]
        # "Tân Cương" is a geographical indication: only sellers there use it in a name.
        allowed = [st for st in fam.stems if "Tân Cương" not in st or seller.area == "xã Tân Cương"]
        stems = rng.sample(allowed, min(len(allowed), rng.choice((1, 1, 2))))
        combos = [(fam_key, stem, size, pack) for stem in stems for size in fam.sizes for pack in fam.packs]
        for combo in combos:
            items.append(combo)
            weights.append(weight / len(combos) * 100)
    return _weighted_order(rng, items, weights)


def _initials(slug: str) -> str:
    return "".join(w[0] for w in slug.split("-") if w)


class _Slugs:
    def __init__(self) -> None:
        self.taken: set[str] = set()

    def make(self, name: str, suffix: str) -> str:
        root = slugify(name, max_length=90) or "san-pham"
        candidate = root
        if candidate in self.taken:
            candidate = f"{root}-{slugify(suffix, max_length=20)}"
        n = 2
        while candidate in self.taken:
            candidate = f"{root}-{n}"
            n += 1
        self.taken.add(candidate)
        return candidate


def _description(rng: random.Random, fam: d.Family, seller: SellerPlan, extra: str = "") -> str:
    k = rng.randint(2, min(3, len(fam.sentences)))
    picked = sorted(rng.sample(range(len(fam.sentences)), k))
    parts = [fam.sentences[i].format(brand=seller.brand, area=seller.area, seller=seller.name) for i in picked]
    if extra:
        parts.insert(0, extra)
    if len(parts) < 4 and rng.random() < 0.5:
        parts.append(rng.choice(d.GENERIC_SENTENCES))
    return " ".join(parts[:4])


def _product(rng: random.Random, seller: SellerPlan, combo, code: str, slugs: _Slugs, *, status: str,
             name: str | None = None, price_level: float = 1.0,
             line_prices: dict[tuple[str, str], float] | None = None) -> ProductPlan:
    fam_key, stem, size_spec, pack = combo
    fam = d.FAMILY_BY_KEY[fam_key]
    size_label, qty, unit_size = _size(size_spec)
    pack_label, unit_tpl, factor = pack
    short, unit_override = _stem(stem, seller.brand)
    full = name or " ".join(x for x in (short, size_label, pack_label) if x)
    # One price per kilo (litre, piece…) for a product line; bigger sizes are a little
    # cheaper per unit, gift packagings dearer.
    line = (seller.slug, name or short)
    per_unit = (line_prices or {}).get(line)
    if per_unit is None:
        low, high = fam.price
        per_unit = low + (high - low) * min(1.0, max(0.0, rng.betavariate(2, 2.5) * price_level))
        if line_prices is not None:
            line_prices[line] = per_unit
    step = fam.sizes.index(size_spec) if size_spec in fam.sizes else 0
    price = _round_price(per_unit * qty * factor * (1 - 0.04 * step))
    unit = unit_override or unit_tpl.format(size=unit_size)
    published_at = None
    created_at = BASE_MOMENT - timedelta(seconds=rng.randint(0, 730 * 86400))
    if status in ("published", "archived"):
        published_at = created_at + timedelta(hours=rng.randint(2, 96))
        if published_at > BASE_MOMENT:
            published_at = BASE_MOMENT - timedelta(minutes=rng.randint(1, 600))
            created_at = published_at - timedelta(hours=2)
    views = min(25_000, int(rng.paretovariate(1.15) * 9) - 9 + rng.randint(0, 6))
    return ProductPlan(
        seller=seller.slug, family=fam_key, name=full, slug=slugs.make(full, _initials(seller.slug)), code=code, unit=unit,
        price_vnd=price, description=_description(rng, fam, seller), status=status, published_at=published_at,
        created_at=created_at, view_count=max(0, views), photo_title=name or short,
    )


def _plan_products(rng: random.Random, plan: CatalogPlan) -> None:
    slugs = _Slugs()
    approved = [s for s in plan.sellers if s.status == "approved"]
    candidates = {s.slug: _candidates(rng, s) for s in plan.sellers}
    used: dict[str, int] = {s.slug: 0 for s in plan.sellers}  # next candidate index
    counts: dict[str, int] = {s.slug: 0 for s in plan.sellers}  # products made (for codes)
    price_level = {s.slug: rng.uniform(0.75, 1.25) for s in plan.sellers}
    names_by_seller: dict[str, set[str]] = {s.slug: set() for s in plan.sellers}
    line_prices: dict[tuple[str, str], float] = {}

    def code_for(s: SellerPlan) -> str:
        counts[s.slug] += 1
        initials = "".join(w[0] for w in fold(s.brand).split())[:4].upper() or "SP"
        return f"{initials}-{counts[s.slug]:03d}"

    def next_product(s: SellerPlan, status: str) -> ProductPlan | None:
        cands = candidates[s.slug]
        while used[s.slug] < len(cands):
            combo = cands[used[s.slug]]
            used[s.slug] += 1
            fam_key, stem, size_spec, pack = combo
            name = " ".join(x for x in (_stem(stem, s.brand)[0], size_spec[0], pack[0]) if x)
            if name in names_by_seller[s.slug]:
                continue
            names_by_seller[s.slug].add(name)
            return _product(rng, s, combo, code_for(s), slugs, status=status, price_level=price_level[s.slug],
                            line_prices=line_prices)
        return None

    # 1. The real, named products.
    for producer in d.PRODUCERS:
        s = plan.seller(slugify(producer.name))
        for rp in producer.products:
            fam = d.FAMILY_BY_KEY[rp.family]
            # The named product in its premium packaging (gift box, glass bottle…).
            own = (min(rp.size, len(fam.sizes) - 1), max(range(len(fam.packs)), key=lambda i: fam.packs[i][2]))
            combo = (rp.family, "{brand}", fam.sizes[own[0]], fam.packs[own[1]])
            p = _product(rng, s, combo, code_for(s), slugs, status="published", name=rp.name,
                         price_level=price_level[s.slug], line_prices=line_prices)
            p.real, p.stars_hint, p.rural_national = True, rp.stars, rp.rural_national
            p.view_count += rng.randint(300, 1500)
            names_by_seller[s.slug].add(rp.name)
            plan.products.append(p)
            # Two packagings of the named product ("Chè móc câu Hảo Đạt 200 g hộp giấy").
            sizes = list(range(len(fam.sizes)))
            picks = [(min(1, len(fam.sizes) - 1), 0), (rng.choice(sizes), rng.randrange(len(fam.packs)))]
            for size_i, pack_i in picks:
                if (size_i, pack_i) == own:
                    continue
                combo = (rp.family, rp.name, fam.sizes[size_i], fam.packs[pack_i])
                name = " ".join(x for x in (rp.name, fam.sizes[size_i][0], fam.packs[pack_i][0]) if x)
                if name in names_by_seller[s.slug]:
                    continue
                names_by_seller[s.slug].add(name)
                plan.products.append(_product(rng, s, combo, code_for(s), slugs, status="published",
                                              price_level=price_level[s.slug], line_prices=line_prices))

    # 2. How many generated products each approved seller gets: a skewed share, at least 2.
    target = d.PUBLIC_PRODUCTS - len(plan.products)
    weights = {s.slug: min(8.0, rng.paretovariate(1.6)) for s in approved}
    total_w = sum(weights.values())
    wanted = {s.slug: 2 + int((target - 2 * len(approved)) * weights[s.slug] / total_w) for s in approved}
    capacity = {s.slug: len(candidates[s.slug]) for s in approved}
    for s in approved:
        wanted[s.slug] = min(wanted[s.slug], capacity[s.slug])
    # Hand out the remainder one by one to the sellers with the largest weight and room.
    order = sorted(approved, key=lambda s: (-weights[s.slug], s.slug))
    i = 0
    while sum(wanted.values()) < target:
        s = order[i % len(order)]
        if wanted[s.slug] < capacity[s.slug]:
            wanted[s.slug] += 1
        i += 1
    for s in approved:
        for _ in range(wanted[s.slug]):
            p = next_product(s, "published")
            if p is None:  # duplicate names used the room up: another seller takes it
                break
            plan.products.append(p)
    # Top up (names that collided) from the sellers with the most room.
    by_room = sorted(approved, key=lambda s: (-(capacity[s.slug] - used[s.slug]), s.slug))
    j = 0
    while sum(1 for p in plan.products if p.status == "published") < d.PUBLIC_PRODUCTS:
        p = next_product(by_room[j % len(by_room)], "published")
        if p is not None:
            plan.products.append(p)
        j += 1

    # 3. Products nobody may see: hidden statuses of approved sellers, and every product
    #    of the pending sellers (published, but their seller is not approved yet).
    hidden_sellers = rng.sample(approved, len(approved))
    made = 0
    for s in hidden_sellers:
        if made == d.NON_PUBLIC_PRODUCTS:
            break
        p = next_product(s, d.HIDDEN_STATUSES[made % len(d.HIDDEN_STATUSES)])
        if p is not None:  # None: the seller has no product line left
            plan.products.append(p)
            made += 1
    for s in plan.sellers:
        if s.status == "pending":
            for _ in range(rng.randint(3, 5)):
                p = next_product(s, "published")
                if p is not None:
                    plan.products.append(p)


def _issuer(rng: random.Random, stars: int, issued: date, area: d.AreaSpec) -> tuple[str, str, str]:
    """(issuing level, body, decision number) as the decision would have been written."""
    number = rng.randint(120, 4800)
    district = d.DISTRICTS[area.district]
    if stars == 5:
        if issued < MINISTRY_RENAMED:
            return "central", "Bộ Nông nghiệp và Phát triển nông thôn", f"{number}/QĐ-BNN-VPĐP"
        return "central", "Bộ Nông nghiệp và Môi trường", f"{number}/QĐ-BNNMT"
    if stars == 3 and issued < MERGER_DAY and rng.random() < 0.7:
        return "district", district.issuer, f"{number}/QĐ-UBND"
    if district.bac_kan and issued < MERGER_DAY:
        return "province", "UBND tỉnh Bắc Kạn", f"{number}/QĐ-UBND"
    return "province", "UBND tỉnh Thái Nguyên", f"{number}/QĐ-UBND"


def _cert(rng: random.Random, stars: int, issued: date, area: d.AreaSpec, *, verified: bool = True) -> CertPlan:
    low, high = {3: (50, 69), 4: (70, 89), 5: (90, 100)}[stars]
    level, body, number = _issuer(rng, stars, issued, area)
    verified_at = None
    if verified:
        day = min(issued + timedelta(days=rng.randint(3, 45)), d.BASE_DATE - timedelta(days=1))
        verified_at = vn_moment(day, rng.randint(8, 16), rng.randint(0, 59))
    return CertPlan(stars=stars, score=rng.randint(low, high), decision_number=number, issued_on=issued,
                    issuing_level=level, issuing_body=body, verified_at=verified_at)


def _plan_certificates(rng: random.Random, plan: CatalogPlan) -> None:
    public = [p for p in plan.products if p.status == "published" and plan.seller(p.seller).status == "approved"]
    earliest = add_months(d.BASE_DATE, -30)
    span = (d.BASE_DATE - timedelta(days=10) - earliest).days

    def issue_day() -> date:
        return earliest + timedelta(days=rng.randint(0, span))

    need = dict(d.OCOP_STARS_MIX)
    chosen: list[tuple[ProductPlan, int]] = []
    for p in public:
        if p.stars_hint:
            chosen.append((p, p.stars_hint))
            need[p.stars_hint] -= 1
    kind_weight = {"cooperative": 3.0, "enterprise": 2.5, "household": 1.0}
    pool = [p for p in public if not p.stars_hint and d.FAMILY_BY_KEY[p.family].ocop]
    pool = _weighted_order(rng, pool, [kind_weight[plan.seller(p.seller).kind] for p in pool])
    it = iter(pool)
    for stars in (4, 3, 5):
        for _ in range(max(0, need[stars])):
            chosen.append((next(it), stars))
    for p, stars in chosen:
        p.cert = _cert(rng, stars, issue_day(), AREA_BY_NAME[plan.seller(p.seller).area])
        p.view_count = int(p.view_count * rng.uniform(1.5, 3.0)) + 40
    # Certificates that must show no badge: expired, and not yet verified by staff.
    for _ in range(d.EXPIRED_CERTIFICATES):
        p = next(it)
        issued = add_months(d.BASE_DATE, -rng.randint(38, 46))
        p.cert = _cert(rng, rng.choice((3, 3, 4)), issued, AREA_BY_NAME[plan.seller(p.seller).area])
        assert certificate_expiry(issued) < d.BASE_DATE
    for _ in range(d.UNVERIFIED_CERTIFICATES):
        p = next(it)
        p.cert = _cert(rng, rng.choice((3, 4)), d.BASE_DATE - timedelta(days=rng.randint(5, 40)),
                       AREA_BY_NAME[plan.seller(p.seller).area], verified=False)


def _plan_rural_industry(rng: random.Random, plan: CatalogPlan) -> None:
    public = [p for p in plan.products if p.status == "published" and plan.seller(p.seller).status == "approved"]
    national = [p for p in public if p.rural_national]
    for p in national:
        p.rural = ("national", 2023)
    pool = [p for p in public if not p.rural_national and d.FAMILY_BY_KEY[p.family].rural]
    machines = [p for p in pool if not d.FAMILY_BY_KEY[p.family].ocop]
    rng.shuffle(machines)
    others = [p for p in pool if d.FAMILY_BY_KEY[p.family].ocop]
    others = _weighted_order(rng, others, [3.0 if p.real else 1.0 for p in others])
    picked = machines[:8] + others[: d.RURAL_INDUSTRY_TOTAL - len(national) - min(8, len(machines))]
    for k, p in enumerate(picked):
        level = "region" if k % 7 == 3 and sum(1 for q in picked[:k] if q.rural and q.rural[0] == "region") < d.RURAL_REGION else "province"
        p.rural = (level, rng.randint(2019, 2025))
        p.view_count += rng.randint(20, 200)


def _plan_featured(rng: random.Random, plan: CatalogPlan) -> None:
    certified = [p for p in plan.products if p.cert and p.cert.verified_at and p.cert.issued_on > add_months(d.BASE_DATE, -31)]
    five = [p for p in certified if p.cert.stars == 5]
    four = sorted((p for p in certified if p.cert.stars == 4), key=lambda p: (-p.view_count, p.slug))
    for p in (five + four)[: d.FEATURED]:
        p.featured = True


def _plan_near_expiry(plan: CatalogPlan, today: date) -> None:
    """A few valid 3★ certificates (first by slug) re-dated to expire ``NEAR_EXPIRY_DAYS``
    after the seed day: still valid, so they count among the 173. Uses no randomness, so
    the rest of the catalog is unchanged."""
    threes = sorted((p for p in plan.products if p.cert and p.cert.stars == 3 and p.cert.verified_at),
                    key=lambda p: p.slug)
    for p, days in zip(threes, d.NEAR_EXPIRY_DAYS):
        issued = add_months(today + timedelta(days=days), -36)
        p.cert.issued_on = issued
        p.cert.verified_at = vn_moment(issued + timedelta(days=14), 10)


def build_plan(today: date | None = None) -> CatalogPlan:
    """The catalog; ``today`` (default: today in Việt Nam) only dates the near-expiry
    certificates."""
    rng = random.Random(d.RANDOM_SEED)
    plan = CatalogPlan()
    _plan_sellers(rng, plan)
    _plan_products(rng, plan)
    _plan_certificates(rng, plan)
    _plan_rural_industry(rng, plan)
    _plan_featured(rng, plan)
    _plan_near_expiry(plan, today or today_vn())
    from .certifications import plan_certifications

    plan.certifications = plan_certifications(plan)
    return plan


def photo_specs(plan: CatalogPlan) -> list[PhotoSpec]:
    """One photo per product. Like a real seller, the size and packaging variants of a
    product line share the picture (same spec → same content-addressed files), which
    keeps the seed fast; every product still has its own photo row."""
    root_of = {name: root for name, _, root in d.CHILD_CATEGORIES}
    specs = []
    for p in plan.products:
        fam = d.FAMILY_BY_KEY[p.family]
        seller = plan.seller(p.seller)
        specs.append(PhotoSpec(seed=f"{p.seller}/{p.photo_title}", root=root_of[fam.category], motif=fam.motif,
                               title=p.photo_title, subtitle=seller.name))
    return specs


def _public_plans(plan: CatalogPlan) -> list[ProductPlan]:
    return [p for p in plan.products if p.status == "published" and plan.seller(p.seller).status == "approved"]


def _valid_stars(p: ProductPlan, on: date) -> int:
    c = p.cert
    if c is None or c.verified_at is None or not c.issued_on <= on <= certificate_expiry(c.issued_on):
        return 0
    return c.stars


def collection_picks(plan: CatalogPlan, today: date | None = None) -> list[tuple[tuple, str, list[ProductPlan]]]:
    """(spec, placement, products) of each demo collection, chosen by rule from the plan."""
    today = today or today_vn()
    public = _public_plans(plan)
    by_views = sorted(public, key=lambda p: (-p.view_count, p.slug))
    five = [p for p in by_views if _valid_stars(p, today) == 5]
    tea = sorted((p for p in public if p.category == "Chè (trà)" and _valid_stars(p, today)),
                 key=lambda p: (-_valid_stars(p, today), -p.view_count, p.slug))
    gifts = [p for p in by_views if "hộp quà" in p.name or "quà tặng" in p.name]
    noodles_category = d.COLLECTION_NOODLES[3]
    noodles = sorted((p for p in public if p.category == noodles_category),
                     key=lambda p: (-_valid_stars(p, today), -p.view_count, p.slug))
    return [
        (d.COLLECTION_FIVE_STARS, "home_hero", five),
        (d.COLLECTION_TEA, "home_row", tea[: d.COLLECTION_ROW_PRODUCTS]),
        (d.COLLECTION_GIFTS, "home_row", gifts[: d.COLLECTION_GIFT_PRODUCTS]),
        (d.COLLECTION_NOODLES, "category", noodles[: d.COLLECTION_ROW_PRODUCTS]),
    ]


def plan_digest(plan: CatalogPlan) -> str:
    """The same digest computed from a plan (before any database work)."""
    h = hashlib.sha256()
    for p in sorted(plan.products, key=lambda p: p.slug):
        stars = p.cert.stars if p.cert else None
        h.update(repr((p.slug, p.name, p.price_vnd, p.status, p.seller, stars)).encode())
    return h.hexdigest()
