"""Locale selection: ?lang= → session → Vietnamese.

The browser's Accept-Language is deliberately not used: many Vietnamese buyers run
phones set to English, and the trade floor speaks Vietnamese unless asked otherwise.
Outside a request (CLI commands, background work) the default locale applies.
"""
from __future__ import annotations

from flask import current_app, has_request_context, request, session
from flask.globals import _cv_app
from jinja2 import pass_context
from markupsafe import Markup


def select_locale() -> str:
    default = current_app.config["BABEL_DEFAULT_LOCALE"]
    if not has_request_context():
        return default
    languages = current_app.config["LANGUAGES"]
    args = request.args
    lang = args["lang"] if "lang" in args else None  # (MultiDict.get raises and catches a KeyError)
    visitor = session._get_current_object()
    if lang in languages:
        visitor["lang"] = lang
        return lang
    if visitor.get("lang") in languages:
        return visitor["lang"]
    return default


_LOCALES: dict[str, object] = {}


def selected_locale():  # noqa: ANN201 — babel's Locale
    """``select_locale()`` as the babel ``Locale`` Flask-Babel would parse it into, made
    once per identifier: parsing one costs ~20 µs, on every request."""
    name = select_locale()
    locale = _LOCALES.get(name)
    if locale is None:
        from babel import Locale

        locale = _LOCALES[name] = Locale.parse(name)
    return locale


def select_timezone() -> str:
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]


def _babel_note():  # noqa: ANN202 — Flask-Babel's per-request SimpleNamespace, or None
    """``g._flask_babel`` read from the app context itself (no ``g`` proxy lookups: this
    runs ~70 times a page), None before Flask-Babel made it or outside an app context."""
    app_ctx = _cv_app.get(None)
    return None if app_ctx is None else getattr(app_ctx.g, "_flask_babel", None)


def current_locale():  # noqa: ANN201 — babel's Locale or None
    """``flask_babel.get_locale()``: the locale Flask-Babel noted for this request (or
    forced), else Flask-Babel's own lookup."""
    note = _babel_note()
    locale = getattr(note, "babel_locale", None) if note is not None else None
    if locale is not None:
        return locale
    from flask_babel import get_locale

    return get_locale()


def _translations():  # noqa: ANN202 — babel's Translations or NullTranslations
    """``flask_babel.get_translations()``, looked up once per request and locale.

    Flask-Babel's own lookup walks several ``g`` proxies and formats the locale's name on
    every call; a product page makes ~45 of them. The result depends only on the request's
    locale and domain (what ``force_locale`` and ``refresh`` change), so it is noted on
    Flask-Babel's per-request namespace with both and used while they are the same objects.
    """
    from flask_babel import get_translations

    ctx = _babel_note()
    if ctx is None:  # no locale chosen yet, or outside an app context
        return get_translations()
    noted = getattr(ctx, "marketplace_translations", None)
    locale, domain = getattr(ctx, "babel_locale", None), getattr(ctx, "babel_domain", None)
    if noted is not None and locale is not None and noted[0] is locale and noted[1] is domain:
        return noted[2]
    translations = get_translations()
    ctx.marketplace_translations = (getattr(ctx, "babel_locale", None), getattr(ctx, "babel_domain", None),
                                    translations)
    return translations


# Translated template strings without variables, formatted, per translations object.
MARKUP_KEPT = 20_000
_markup_kept: dict[object, dict[str, Markup]] = {}


def install_template_gettext(app) -> None:  # noqa: ANN001
    """The templates' ``_``/``gettext``/``ngettext``/``pgettext``/``npgettext``: Flask-Babel's
    (installed by ``babel.init_app``) on ``_translations()``.

    ``_`` and ``gettext``, ~45 calls a page, are one function doing what Jinja's newstyle
    gettext does (translate, mark safe when autoescaping, always ``%``-format) without
    its two extra ``Context.call`` hops (``_`` → ``gettext`` → the callable)."""
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
        newstyle=True,
    )

    @pass_context
    def gettext(context, string: str, **variables):  # noqa: ANN001, ANN202
        if not context.eval_ctx.autoescape:
            return _translations().ugettext(string) % variables
        # Kept per catalog (a translations object lives as long as its locale is loaded):
        # most calls are a constant string without variables.
        translations = _translations()
        kept = _markup_kept.get(translations)  # keyed by the object itself (hashed by identity)
        if kept is None:
            if len(_markup_kept) >= 16:  # catalogs reloaded (tests make many apps): start again
                _markup_kept.clear()
            kept = _markup_kept[translations] = {}
        if not variables:
            rv = kept.get(string)
            if rv is None:
                rv = Markup(translations.ugettext(string)) % variables  # newstyle: "%%" is "%" always
                if len(kept) < MARKUP_KEPT:
                    kept[string] = rv
            return rv
        return Markup(translations.ugettext(string)) % variables

    app.jinja_env.globals.update(_=gettext, gettext=gettext)
