"""Cross-cutting web helpers: Jinja filters, security headers, context."""
from __future__ import annotations

from flask import Flask
from markupsafe import Markup, escape
from werkzeug.routing import BaseConverter

from ..text import SLUG_PATTERN, format_date, format_datetime, format_epoch, format_vnd


class SlugConverter(BaseConverter):
    """``<slug:name>``: a malformed slug is a 404 at routing, before any view or SQL."""

    regex = SLUG_PATTERN


def _stars(n: int | None) -> str:
    return "★" * int(n or 0)


def init_web(app: Flask) -> None:
    from .integers import IdConverter
    from .urls import url_for_value

    app.url_map.converters["slug"] = SlugConverter
    app.url_map.converters["id"] = IdConverter
    app.add_template_filter(format_vnd, "vnd")
    app.add_template_filter(format_date, "date_vn")
    app.add_template_filter(format_datetime, "datetime_vn")
    app.add_template_filter(format_epoch, "epoch_datetime")
    app.add_template_filter(_stars, "stars")
    app.add_template_global(url_for_value, "url_for_value")

    @app.template_filter("nl2br")
    def nl2br(value: str | None) -> Markup:
        return Markup("<br>").join(escape(line) for line in (value or "").splitlines())

    @app.context_processor
    def inject_site() -> dict:
        from ..i18n import current_locale
        return {"site_name": app.config["SITE_NAME"], "current_locale": str(current_locale())}

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'self'",
        )
        return response
