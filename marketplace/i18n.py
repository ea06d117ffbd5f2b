"""Locale selection: ?lang= → session → Vietnamese.

The browser's Accept-Language is deliberately not used: many Vietnamese buyers run
phones set to English, and the trade floor speaks Vietnamese unless asked otherwise.
Outside a request (CLI commands, background work) the default locale applies.
"""
from __future__ import annotations

from flask import current_app, has_request_context, request, session


def select_locale() -> str:
    default = current_app.config["BABEL_DEFAULT_LOCALE"]
    if not has_request_context():
        return default
    languages = current_app.config["LANGUAGES"]
    lang = request.args.get("lang")
    if lang in languages:
        session["lang"] = lang
        return lang
    if session.get("lang") in languages:
        return session["lang"]
    return default


def select_timezone() -> str:
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]
