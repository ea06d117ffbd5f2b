"""Search endpoints: as-you-type suggestions for the header box."""
from __future__ import annotations

from flask import Blueprint, jsonify, request, url_for

from . import get_search

bp = Blueprint("search", __name__)

SUGGEST_LIMIT = 8


@bp.get("/goi-y")
def suggest():
    """``GET /goi-y?q=tan cu`` → ``{"suggestions": [{"text", "slug", "url"}]}``."""
    q = request.args.get("q", "", type=str) or ""
    suggestions = get_search().suggest(q[:200], SUGGEST_LIMIT)
    response = jsonify(
        {
            "suggestions": [
                {"text": s.text, "slug": s.slug, "url": _product_url(s.slug)}
                for s in suggestions
            ]
        }
    )
    response.headers["Cache-Control"] = "public, max-age=60"
    return response


def _product_url(slug: str) -> str:
    try:
        return url_for("catalog.product", slug=slug)
    except Exception:  # noqa: BLE001 — the product page endpoint is another feature's
        return f"/san-pham/{slug}"
