"""Locale selection: ?lang= → session → Accept-Language → Vietnamese."""
from __future__ import annotations

from flask import current_app, request, session


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    lang = request.args.get("lang")
    if lang in languages:
        session["lang"] = lang
        return lang
    if session.get("lang") in languages:
        return session["lang"]
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str:
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]
