"""The dependency arrows between the packages of marketplace/ run one way.

``LAYERS`` below is the one declaration of the layer order: base (extensions, text,
validation, …) < the tables (every ``models`` module) < the catalog's read side (what search
indexes and the page cache keys on) < infrastructure (audit, media, web, config, search,
jobs) < catalog < sellers, accounts < the features < the app. Every import of every module
is checked against it, and the few arrows that run upward are listed in ``EXCEPTIONS`` with
their reason. A new package takes its place in the table.

Besides: the catalog imports no feature above it and reads the schema of the features its
rows belong to (``sellers.models``, ``accounts.models``), nothing else of theirs; no feature
reaches into another's views or private names. Read from the source with ``ast``: nothing
is imported.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "marketplace"
FEATURES = sorted(p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file())

# Features that build on the catalog; the catalog must not import them.
ABOVE_CATALOG = ("alerts", "analytics", "api", "collections", "dashboard", "demo", "imports", "inquiries", "jobs", "labels",
                 "ops", "staff")
# Features whose rows a product points at: the catalog reads their models only.
CATALOG_READS_MODELS_OF = ("accounts", "sellers")


def _modules(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.py"))


def imported_names(path: Path) -> list[tuple[str, str | None, int]]:
    """(module, imported name or None, line) of every import in ``path``, relative
    imports resolved against the module's package; function-level imports included."""
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    package = list(parts[:-1])  # a package's __init__ resolves against the package itself
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.extend((alias.name, None, node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            for alias in node.names:
                out.append((module, alias.name, node.lineno))
    return out


def _targets(module: str, name: str | None) -> list[str]:
    """The modules an import may load: ``from marketplace.staff import cli`` loads
    ``marketplace.staff.cli`` as well as the package."""
    return [module] + ([f"{module}.{name}"] if name and name != "*" else [])


def _feature_of(module: str) -> tuple[str, str] | None:
    """(feature, rest) of ``marketplace.<feature>.<rest>``; None outside the feature packages."""
    bits = module.split(".")
    if len(bits) < 2 or bits[0] != "marketplace" or bits[1] not in FEATURES:
        return None
    return bits[1], ".".join(bits[2:])


def test_the_resolver_sees_relative_and_nested_imports():
    # A check that cannot see imports proves nothing: prove it on known source.
    source = PACKAGE / "catalog" / "home.py"
    found = {module for module, _name, _line in imported_names(source)}
    assert "marketplace.catalog" in found and "marketplace.catalog.cards" in found
    assert "marketplace.text" in found
    nested = {module for module, _n, _l in imported_names(PACKAGE / "catalog" / "services.py")}
    assert "marketplace.audit.services" in nested  # imported inside a function


def test_the_catalog_imports_no_feature_above_it():
    wrong = []
    for path in _modules(PACKAGE / "catalog"):
        for module, name, line in imported_names(path):
            for target in _targets(module, name):
                feature = _feature_of(target)
                if feature is None:
                    continue
                owner, rest = feature
                if owner in ABOVE_CATALOG:
                    wrong.append(f"{path.relative_to(PACKAGE)}:{line} imports {target}")
                elif owner in CATALOG_READS_MODELS_OF and rest.split(".")[0] not in ("", "models"):
                    wrong.append(f"{path.relative_to(PACKAGE)}:{line} imports {target} (only its models)")
    assert wrong == []


@pytest.mark.parametrize("feature", FEATURES)
def test_no_feature_uses_another_features_views_or_private_names(feature):
    wrong = []
    for path in _modules(PACKAGE / feature):
        for module, name, line in imported_names(path):
            for target in _targets(module, name):
                owner = _feature_of(target)
                if owner is None or owner[0] == feature:
                    continue
                last = owner[1].rsplit(".", 1)[-1]
                if last in ("views", "staff_views"):
                    wrong.append(f"{path.relative_to(PACKAGE)}:{line} imports {target} (a view module)")
            owner = _feature_of(module)
            if owner is not None and owner[0] != feature and name and name.startswith("_"):
                wrong.append(f"{path.relative_to(PACKAGE)}:{line} imports {module}.{name} (a private name)")
    assert wrong == []


# ---------------------------------------------------------------- the layer order
# Every module of marketplace/ has a place in this table, lowest first; a module may import
# only from places before its own (or from its own). Entries are module prefixes, the
# longest one wins ("catalog.queries" before "catalog"). The order inside a layer counts as
# well, so the arrows between two features also run one way. The one unordered layer is the
# tables: every package's ``models`` module may name another's rows (foreign keys and
# relationships; their imports are for type checking only).
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("base", ("extensions", "text", "i18n", "validation", "durations", "signals", "mail", "slugs")),
    ("tables", tuple(f"{p.parent.name}.models" for p in sorted(PACKAGE.glob("*/models.py")))),
    # The catalog's read side: its change bookkeeping, trees, public queries, field rules and
    # showcase slot. The documented exception to "infrastructure below the catalog": search
    # indexes and filters products through it and the page cache keys pages on it; neither
    # reaches the catalog's services, views or listing (those import search, web and media).
    # The season rules (seasons.months, capacity; the package re-exports them) sit here too:
    # the catalog's field rules and cards and the search filters read a product's months.
    # GS1 parsing (traceability.gs1), a product's certifications and lots as shown (their
    # queries) join it: the catalog's field rules and product page read them.
    ("catalog read side", ("traceability.gs1", "certifications.queries", "catalog.generation", "catalog.trees",
                           "catalog.queries", "traceability.queries", "seasons", "seasons.calendar",
                           "catalog.product_data", "catalog.showcase")),
    # media: storage, renditions and the photo files' bookkeeping (media.views is a feature).
    ("infrastructure", ("audit", "media", "web", "config", "search", "jobs")),
    ("catalog", ("catalog",)),
    ("sellers and accounts", ("sellers", "accounts")),
    ("features", ("media.views", "labels", "certifications", "staff", "traceability", "inquiries", "imports",
                  "collections", "analytics", "seasons.views", "alerts", "sourcing", "dashboard", "api", "ops",
                  "demo")),
    # The app: the factory (marketplace/__init__.py), the CLI list and the module loading all models.
    ("app", ("models", "cli", "")),
)
UNORDERED_LAYERS = ("tables",)

# (importing module, imported module): why this arrow runs upward. Keep it short.
EXCEPTIONS = {
    ("jobs", "analytics.services"): "the built-in jobs (jobs/__init__.py) call the analytics rollup, lazily",
    ("jobs", "staff.services"): "the built-in jobs call the certificate reminders, lazily",
    ("jobs", "demo.refresh"): "the built-in jobs re-date the demo certificates, lazily",
    ("jobs", "alerts.services"): "the built-in jobs send the season alerts' digests, lazily",
    ("jobs", "certifications.services"): "the built-in jobs re-index products whose certificates lapsed, lazily",
    ("jobs", "sourcing.services"): "the built-in jobs close sourcing requests at their deadline, lazily",
    ("catalog.generation", "search.base"): "the price scope (lprice) names the search facet's price bands, "
                                           "lazily",
    ("accounts.cli", "models"): "`flask users` loads every model before it touches a user",
}


def _ranks() -> dict[str, tuple[int, int]]:
    ranks = {}
    for layer, (name, prefixes) in enumerate(LAYERS):
        for position, prefix in enumerate(prefixes):
            ranks[prefix] = (layer, 0 if name in UNORDERED_LAYERS else position)
    return ranks


RANKS = _ranks()


def _within(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def _place(module: str) -> str | None:
    """The table entry of ``module`` (dotted, without ``marketplace.``; "" is the factory):
    its longest prefix in the table."""
    if module == "":
        return ""
    found = [prefix for prefix in RANKS if prefix and _within(module, prefix)]
    return max(found, key=len) if found else None


def _excepted(source: str, target: str) -> bool:
    return any(_within(source, here) and _within(target, there) for here, there in EXCEPTIONS)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imported_module(module: str, name: str | None) -> str | None:
    """What an import loads of marketplace, dotted without ``marketplace.``: the submodule
    for ``from marketplace.catalog import queries``, else the module; None outside."""
    if module != "marketplace" and not module.startswith("marketplace."):
        return None
    dotted = module[len("marketplace."):] if module != "marketplace" else ""
    if name and name != "*":
        candidate = PACKAGE.joinpath(*filter(None, dotted.split(".")), name)
        if candidate.with_suffix(".py").is_file() or (candidate / "__init__.py").is_file():
            return f"{dotted}.{name}".lstrip(".")
    return dotted


def upward_imports() -> tuple[list[str], list[str]]:
    """(imports against the layer order, modules without a place in the table)."""
    wrong, unplaced = [], []
    for path in _modules(PACKAGE):
        if "translations" in path.parts:
            continue
        source = _module_name(path)
        here = _place(source)
        if here is None:
            unplaced.append(source)
            continue
        for module, name, line in imported_names(path):
            target = _imported_module(module, name)
            if target is None:
                continue
            there = _place(target)
            if there is None:
                unplaced.append(target)
                continue
            if there == here or RANKS[there] < RANKS[here]:
                continue
            if RANKS[there][0] == RANKS[here][0] and LAYERS[RANKS[here][0]][0] in UNORDERED_LAYERS:
                continue
            if _excepted(source, target):
                continue
            wrong.append(f"{path.relative_to(PACKAGE)}:{line} [{here or 'app'}] imports {target} [{there}]")
    return wrong, sorted(set(unplaced))


def test_every_module_has_a_place_in_the_layer_order():
    # A new package joins the table (and so the check) in the layer it belongs to.
    assert upward_imports()[1] == []


def test_imports_run_down_the_layer_order():
    wrong, _unplaced = upward_imports()
    assert wrong == []


def test_the_layer_check_sees_an_upward_import():
    # A check that cannot fail proves nothing: known arrows, both ways.
    assert _place("catalog.services") == "catalog" and _place("catalog.queries") == "catalog.queries"
    assert _imported_module("marketplace.catalog", "queries") == "catalog.queries"
    assert _imported_module("marketplace.web.auth", "require_seller") == "web.auth"
    assert RANKS[_place("search.indexing")] < RANKS[_place("catalog.services")]
    assert RANKS[_place("staff.cli")] > RANKS[_place("sellers.cli")]
    assert RANKS[_place("dashboard.views")] > RANKS[_place("labels.views")]
    assert _place("") == "" and _place("models") == "models" and _place("catalog.models") == "catalog.models"
    assert _place("no_such_package.views") is None
    for (here, there), reason in EXCEPTIONS.items():
        assert RANKS[_place(there)] > RANKS[_place(here)], f"{here} -> {there} is not upward: drop it ({reason})"
