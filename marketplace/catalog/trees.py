"""The category and area trees, read once per transaction.

A buyer page needs the categories several times (the category page with its trail and
children, the allowed slugs of a filter, the facet tree, the home figures' roll-up) and
the areas a few times (the area page, its parent and children, the facet labels); both
tables are small, so each is read whole, as plain rows (no ORM objects), once, and kept
in ``session.info`` for the current transaction only: a commit or rollback starts a new
transaction (and a new read), and a flush that touches a category or an area drops the
copy at once. Nothing outlives the transaction, so every change is
seen by the next request in every process.
"""
from __future__ import annotations

import functools
from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session, scoped_session

from ..extensions import db
from .models import Area, Category

_CATEGORIES = "_catalog_category_tree"
_AREAS = "_catalog_area_tree"


class Tree:
    """Rows of one self-referencing table in display order, with parents and children
    resolved in memory."""

    def __init__(self, nodes: list) -> None:
        self.all = nodes
        self.by_id = {n.id: n for n in nodes}
        self.by_slug = {n.slug: n for n in nodes}
        self._children: dict[int | None, list] = {}
        for node in nodes:
            self._children.setdefault(node.parent_id, []).append(node)

    def roots(self) -> list:
        return self._children.get(None, [])

    def children(self, node_id: int | None) -> list:
        return self._children.get(node_id, [])

    def ancestors(self, node) -> list:
        """From the root down to the node's parent (a cycle in bad data stops the walk)."""
        trail, seen = [], {node.id}
        parent = self.by_id.get(node.parent_id)
        while parent is not None and parent.id not in seen:
            seen.add(parent.id)
            trail.insert(0, parent)
            parent = self.by_id.get(parent.parent_id)
        return trail

    def descendant_ids(self, slugs: Iterable[str]) -> list[int]:
        """Ids of the named nodes and all their descendants."""
        wanted = set(slugs)
        stack = [n.id for n in self.all if n.slug in wanted]
        result: list[int] = []
        seen: set[int] = set()
        while stack:
            node_id = stack.pop()
            if node_id in seen:
                continue
            seen.add(node_id)
            result.append(node_id)
            stack.extend(n.id for n in self.children(node_id))
        return result


def _memo(key: str, stmt: sa.Select) -> Tree:
    """The tree read by ``stmt`` (a statement built once), for this transaction."""
    session = db.session
    real = session() if isinstance(session, scoped_session) else session
    memo = real.info.get(key)
    if (memo is not None and memo[0] is not None and memo[0] is real.get_transaction()
            and not real.new and not real.dirty and not real.deleted):  # unflushed changes: read again
        return memo[1]
    tree = Tree(list(real.execute(stmt)))
    real.info[key] = (real.get_transaction(), tree)
    return tree


@functools.cache
def _category_rows() -> sa.Select:
    return sa.select(
        Category.id, Category.parent_id, Category.slug, Category.name, Category.name_en, Category.ocop_group,
        Category.position,
    ).order_by(Category.position, Category.name)


@functools.cache
def _area_rows() -> sa.Select:
    return sa.select(
        Area.id, Area.parent_id, Area.slug, Area.name, Area.kind, Area.is_current,
    ).order_by(Area.name, Area.id)


def category_tree() -> Tree:
    """Every category (its columns, as rows) ordered by (position, name)."""
    return _memo(_CATEGORIES, _category_rows())


def area_tree() -> Tree:
    """Every area (its columns, as rows) ordered by name."""
    return _memo(_AREAS, _area_rows())


@event.listens_for(Session, "after_flush")
def _forget_changed(session: Session, _flush_context) -> None:
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Category):
            session.info.pop(_CATEGORIES, None)
        elif isinstance(obj, Area):
            session.info.pop(_AREAS, None)
