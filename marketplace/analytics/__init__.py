"""Visit and search analytics: exact, privacy-first counters.

* ``recording.py`` — one ``after_request`` hook counts a page view per (day, kind,
  object) with an UPSERT on the request's own connection, right after the response is
  built (nothing buffered, nothing lost when a worker dies); searches and their clicks.
* ``queries.py`` — reads for the dashboards; ``services.py`` — baseline, rollup
  (popularity into search), purge; ``charts.py`` — server-rendered SVG charts.
* ``views.py`` — the seller's figures (/dashboard/thong-ke) and, registered with it,
  the staff dashboards (``staff_views.py``, /nhan-vien/thong-ke).

Catalog code never imports this package: views send ``signals.page_viewed`` /
``product_viewed`` / ``search_performed``, and the receivers here note what to count.
"""
