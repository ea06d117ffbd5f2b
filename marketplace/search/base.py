"""The search interface every backend implements, and its value types.

Pages, the JSON API and the CLI build a ``SearchQuery`` and get a ``SearchResult``
of product ids in ranked order; they load rows with ``catalog.cards.cards_by_ids``
(pages) or ``catalog.queries.products_by_ids`` (API), so templates never know which
backend ran.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

SORTS = ("relevance", "price_asc", "price_desc", "newest", "popular")
# The facet filters are declared in search/filters.py.

# Price bands for the facet: (key, min inclusive, max exclusive or None)
PRICE_BANDS: tuple[tuple[str, int, int | None], ...] = (
    ("under-100k", 0, 100_000),
    ("100k-300k", 100_000, 300_000),
    ("300k-1m", 300_000, 1_000_000),
    ("1m-5m", 1_000_000, 5_000_000),
    ("over-5m", 5_000_000, None),
)

MAX_QUERY_CHARS = 200
MAX_TOKENS = 10
# How deep any listing can page: results beyond the first MAX_RESULT_WINDOW are never
# served (a page whose first result lies past it is refused). Deep offsets cost every
# backend (Meilisearch warns they can take seconds) and only serve scrapers; buyers
# narrow with filters. Meilisearch's pagination.maxTotalHits is set to the same value.
MAX_RESULT_WINDOW = 10_000


def max_page(per_page: int) -> int:
    """The last page whose first result is within MAX_RESULT_WINDOW."""
    per_page = max(1, int(per_page))
    return max(1, -(-MAX_RESULT_WINDOW // per_page))


def depth_message(per_page: int) -> str:
    """Why a page beyond max_page is refused (pages and the API), naming ``page``."""
    from flask_babel import gettext as _

    return _(
        "Chỉ xem được %(window)s kết quả đầu tiên: với %(per_page)s kết quả mỗi trang, “page” tối đa là %(last)s. "
        "Hãy thu hẹp tìm kiếm bằng bộ lọc.",
        window=f"{MAX_RESULT_WINDOW:,}".replace(",", "."),
        per_page=per_page,
        last=max_page(per_page),
    )


@dataclass(frozen=True)
class SearchQuery:
    """What a buyer asked for. Every filter is optional; slugs are canonical."""

    text: str = ""
    categories: tuple[str, ...] = ()  # category slugs; a slug includes its descendants
    areas: tuple[str, ...] = ()  # area slugs
    ocop_stars: tuple[int, ...] = ()  # subset of (3, 4, 5); only valid certificates count
    rural_industry: bool | None = None
    seller: str | None = None  # seller slug
    min_price: int | None = None
    max_price: int | None = None
    price_bands: tuple[str, ...] = ()  # keys of PRICE_BANDS
    # In season in this month (1–12): seasonal products whose months include it
    # (marketplace.seasons.in_season); "now" is resolved to today's month by the caller.
    season: int | None = None
    sort: str = "relevance"
    page: int = 1
    per_page: int = 24
    with_facets: bool = True
    highlight: bool = False

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page


@dataclass
class SearchResult:
    ids: list[int]  # product ids, ranked, for this page only
    total: int  # exact number of matches over the whole filtered set
    page: int
    per_page: int
    # facet name → value → count, e.g. {"ocop_stars": {"3": 120, "4": 50, "5": 3}}
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    # product id → HTML-safe name with <mark> around matched words
    highlights: dict[int, str] = field(default_factory=dict)
    degraded: bool = False  # the configured engine was down; this came from the database
    backend: str = ""
    corrected_text: str | None = None  # "Có phải bạn muốn tìm: …" when typos were fixed

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @classmethod
    def page_of(cls, query: SearchQuery, ids: list[int], total: int, **extra) -> SearchResult:
        """The result of ``query``'s page (its page number and size)."""
        return cls(ids=ids, total=total, page=query.page, per_page=query.per_page, **extra)


@dataclass(frozen=True)
class Suggestion:
    text: str  # product name as shown
    slug: str  # product slug, for a direct link


@dataclass
class Health:
    backend: str
    ok: bool
    documents: int | None = None
    pending: int = 0  # outbox rows not yet delivered
    last_error: str | None = None
    detail: dict = field(default_factory=dict)
    # "ok", "down", or "rebuilding" (the engine answers, but searches come from the
    # database until its index is repaired); "" lets ``ok`` decide.
    status: str = ""


Progress = Callable[[int], None]


class SearchUnavailable(Exception):
    """The configured engine cannot answer (down, timed out, index missing).

    Backends raise it (or a subclass) for engine trouble; the degraded wrapper in
    ``search/__init__.py`` catches it and answers from the database.
    """


class SearchBackend(ABC):
    name: str = "abstract"
    # False for backends whose index is the database itself: indexing hooks skip them.
    needs_indexing: bool = True
    # True when enqueue() already wrote the index inside the transaction (SQLite FTS5),
    # so nothing is left to do after commit.
    indexes_in_transaction: bool = False

    def enqueue(self, session, product_ids: Iterable[int]) -> None:
        """Called before commit with the ids of products touched in ``session``'s
        transaction (created, changed, deleted, or shown with a changed seller,
        category, area...). Writes go into the same transaction (outbox rows,
        or the embedded index itself). Default: nothing."""
        return None

    @abstractmethod
    def search(self, query: SearchQuery) -> SearchResult: ...

    @abstractmethod
    def suggest(self, prefix: str, limit: int = 8) -> list[Suggestion]: ...

    @abstractmethod
    def index_products(self, product_ids: Iterable[int]) -> None:
        """(Re)index these products; ids no longer public are removed."""

    @abstractmethod
    def delete_products(self, product_ids: Iterable[int]) -> None: ...

    @abstractmethod
    def rebuild(self, progress: Progress | None = None) -> int:
        """Rebuild the whole index from the database; returns documents indexed."""

    @abstractmethod
    def health(self) -> Health: ...

    def update_popularity(self, session, counts: dict[int, int]) -> None:
        """Before commit, in ``session``'s transaction: these products' popularity
        (views of the last 30 days, already written to ``Product.view_count`` in the
        same transaction) changed. Engines update only that value, never reindexing
        the documents. Default: nothing (the database search reads the column)."""
        return None

    def deliver_pending(self) -> None:
        """After commit: send queued index changes (engines with an outbox). Default: nothing."""
        return None

    def maintain(self) -> str | None:
        """The job runner's repairs of an external index (a reindex, lost settings);
        what was done, or None. Default: nothing."""
        return None
