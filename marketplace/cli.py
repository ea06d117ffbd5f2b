"""Attaches each feature's command group to the `flask` CLI."""
from __future__ import annotations

import importlib

from flask import Flask

# Modules exposing ``register(app)`` that add their commands.
CLI_MODULES = (
    "marketplace.demo.cli",
    "marketplace.search.cli",
    "marketplace.accounts.cli",
    "marketplace.sellers.cli",
    "marketplace.imports.cli",
    "marketplace.analytics.cli",
    "marketplace.ops.cli",
    "marketplace.staff.cli",
)


def init_cli(app: Flask) -> None:
    for name in CLI_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue  # feature without commands yet
        module.register(app)
