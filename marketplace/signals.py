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
# sender: the app; kwargs: product_id (int), request info for analytics
product_viewed = _signals.signal("product-viewed")
# sender: the app; kwargs: query (SearchQuery), total (int)
search_performed = _signals.signal("search-performed")
# sender: the app — the synonyms table changed (backends refresh what they cache)
synonyms_changed = _signals.signal("synonyms-changed")
