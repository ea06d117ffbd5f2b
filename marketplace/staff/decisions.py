"""One staff decision taken from a form with a reason (hide, reject, suspend…): the
shared step of the staff views and of the features' own staff pages (lots)."""
from __future__ import annotations

from collections.abc import Callable

from flask import abort, flash, redirect

from ..extensions import db
from ..validation import ValidationError
from .forms import ReasonForm


def decide(action: Callable[[str], object], success: str, back: str):  # noqa: ANN201 (a response)
    """Run ``action(reason)`` from a ReasonForm POST: commit on success, or roll back and
    show the service's message; back to ``back`` either way."""
    form = ReasonForm()
    if not form.validate_on_submit():
        if not form.is_submitted() or "csrf_token" in form.errors:
            abort(400)
        flash(" ".join(str(e) for errors in form.errors.values() for e in errors), "error")
        return redirect(back)
    try:
        action(form.reason.data)
    except ValidationError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash(success, "success")
    return redirect(back)
