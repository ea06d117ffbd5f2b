"""Staff workspace pages (/nhan-vien)."""
from __future__ import annotations

from flask import render_template

from .access import staff_blueprint

bp = staff_blueprint("staff", __name__)


@bp.get("/")
def home():
    return render_template("staff/home.html")
