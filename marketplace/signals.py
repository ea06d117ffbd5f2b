"""Application signals: the seams between features.

Catalog code sends these after a successful commit; search indexing and analytics
subscribe, so the catalog never imports either.
"""
from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

# sender: the app; kwargs: product_ids (list[int]) — created, updated, status changed or deleted
products_changed = _signals.signal("products-changed")
# sender: the app; kwargs: seller_ids (list[int]) — name/area/status change shown in results
sellers_changed = _signals.signal("sellers-changed")
# sender: the app; kwargs: category_ids (list[int])
categories_changed = _signals.signal("categories-changed")
# sender: the app; kwargs: product_id (int), seller_id (int, the owner), request info
product_viewed = _signals.signal("product-viewed")
# sender: the app; kwargs: kind ("home", "search", "seller", "category", "area", ...),
# object_id (int | None), seller_id (int | None: the seller whose own visits are not counted).
# Sent by a public page's view once it knows what it shows (analytics counts it).
page_viewed = _signals.signal("page-viewed")
# sender: the app; kwargs: query (SearchQuery), total (int)
search_performed = _signals.signal("search-performed")
# sender: the app — the synonyms table changed (backends refresh what they cache)
synonyms_changed = _signals.signal("synonyms-changed")
