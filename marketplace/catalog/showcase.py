"""Curated blocks on catalog pages: the home page's banners and rows, a category's rows.

The catalog draws them but does not choose them. A feature above the catalog
(``collections``) registers one provider for the app when its blueprint is registered, so
the catalog never imports that feature. Without a provider the pages show no curated
blocks and no cached page ends on a schedule.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from flask import Flask, current_app

_KEY = "catalog.showcase"


class ShowcaseProvider(Protocol):
    def home(self) -> list[Any]:
        """The home page's blocks, without their cards."""

    def card_ids(self, blocks: list[Any]) -> list[int]:
        """The product ids the blocks show (loaded with the page's other cards)."""

    def home_context(self, blocks: list[Any], cards: dict[int, Any]) -> dict[str, list[Any]]:
        """Template variables of the home page's blocks, given the cards by id."""

    def category(self, category_id: int) -> list[Any]:
        """A category page's blocks, with their cards."""

    def next_boundary(self, session: Any, now: datetime) -> datetime | None:
        """The next moment a block starts or ends without any write, or None."""


class _NoShowcase:
    def home(self) -> list[Any]:
        return []

    def card_ids(self, blocks: list[Any]) -> list[int]:
        return []

    def home_context(self, blocks: list[Any], cards: dict[int, Any]) -> dict[str, list[Any]]:
        return {"hero_collections": [], "row_collections": []}

    def category(self, category_id: int) -> list[Any]:
        return []

    def next_boundary(self, session: Any, now: datetime) -> datetime | None:
        return None


def register(app: Flask, provider: ShowcaseProvider) -> None:
    app.extensions[_KEY] = provider


def provider() -> ShowcaseProvider:
    return current_app.extensions.get(_KEY) or _NoShowcase()
