"""The dependency arrows between feature packages run one way.

Features above the catalog (staff, collections, the seller dashboard, imports, …) may
import the catalog; the catalog imports none of them. It may read the schema of the
features its rows belong to (``sellers.models``, ``accounts.models``: a product has a
seller), nothing else of theirs. Shared pieces live below every feature
(``marketplace/validation.py``, ``text.py``, ``web/``), so no feature reaches into
another's views or private names. Read from the source with ``ast``: nothing is imported.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "marketplace"
FEATURES = sorted(p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file())

# Features that build on the catalog; the catalog must not import them.
ABOVE_CATALOG = ("analytics", "api", "collections", "dashboard", "demo", "imports", "inquiries", "jobs", "labels",
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
