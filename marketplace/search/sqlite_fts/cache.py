"""The FTS5 engine's per-process cache (grouped facet rows, ranked and sorted pages,
suggestions), keyed by the index generation so that every process drops what an
index write made stale."""
from __future__ import annotations

from collections import OrderedDict

# The per-process cache of grouped facet rows, ranked pages and suggestions (keys
# start with the index generation). Bounded by weight — one unit per cached facet
# group or id — rather than by entries: a fixed entry count of 256 was smaller than
# one pass of a realistic query mix (each query caches its counts and its page), so
# every query evicted another and "warm" was as slow as cold. 400,000 units is
# roughly 40 MB at most (a dict slot with its int objects per unit).
FACET_CACHE_WEIGHT = 400_000
FACET_CACHE_ENTRIES = 4_096


class WeightedCache:
    """A least-recently-used dict bounded by total weight and entry count."""

    def __init__(self, max_weight: int = FACET_CACHE_WEIGHT, max_entries: int = FACET_CACHE_ENTRIES) -> None:
        self.max_weight = max_weight
        self.max_entries = max_entries
        self._items: OrderedDict = OrderedDict()  # key -> (value, weight)
        self._weight = 0

    def get(self, key):
        item = self._items.get(key)
        if item is None:
            return None
        self._items.move_to_end(key)
        return item[0]

    def put(self, key, value, weight: int) -> None:
        weight = max(1, int(weight))
        if weight > self.max_weight:
            return  # larger than the whole budget: not worth evicting everything
        old = self._items.pop(key, None)
        if old is not None:
            self._weight -= old[1]
        self._items[key] = (value, weight)
        self._weight += weight
        while self._weight > self.max_weight or len(self._items) > self.max_entries:
            _, (_, w) = self._items.popitem(last=False)
            self._weight -= w

    def clear(self) -> None:
        self._items.clear()
        self._weight = 0

    def __len__(self) -> int:
        return len(self._items)

