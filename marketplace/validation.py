"""What every write service shares, below the features: the error a service raises for
bad input, and gettext that also works in the CLI."""
from __future__ import annotations

from typing import Any

from flask import has_request_context

from .i18n import _translations


def _(text: str, **variables: Any) -> str:
    """gettext inside a request (Flask-Babel's, through the per-request lookup of
    ``i18n._translations``); the Vietnamese source text in the CLI (no locale there)."""
    if has_request_context():
        text = _translations().ugettext(text)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, num: int, **variables: Any) -> str:
    """ngettext as ``_`` above: the request's language inside a request, the Vietnamese
    source (one form) in the CLI. ``%(num)d`` is the count."""
    variables.setdefault("num", num)
    text = _translations().ungettext(singular, plural, num) if has_request_context() else singular
    return text % variables


class ValidationError(Exception):
    """Bad input for a write service. ``field`` names the first bad field;
    ``errors`` maps every bad field to its Vietnamese message."""

    def __init__(self, field: str, message: str, errors: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        self.errors = dict(errors or {field: message})

    @classmethod
    def from_errors(cls, errors: dict[str, str]) -> ValidationError:
        field, message = next(iter(errors.items()))
        return cls(field, message, errors)
