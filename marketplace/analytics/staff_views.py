"""Staff dashboards (/nhan-vien/thong-ke): visits, top pages, searches, synonyms."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..extensions import db
from ..search import synonyms
from ..staff.access import staff_blueprint
from ..text import format_date
from . import queries, services
from .charts import day_chart
from .export import csv_response
from .forms import PRESETS, BaselineForm, RemoveSynonymForm, SynonymForm, parse_count, parse_range

bp = staff_blueprint("analytics_staff", __name__, "/nhan-vien/thong-ke")

TOP_KINDS = ("product", "seller", "category", "area", "lot")
TOP_LIMIT = 10


def _range():
    rng, messages = parse_range(request.args)
    for message in messages:
        flash(message, "warning")
    return rng


def _site_chart(series):
    return day_chart(_("Lượt xem trang và khách mỗi ngày"), [p.day for p in series], [p.views for p in series],
                     [p.visitors for p in series], bar_name=_("Lượt xem"), line_name=_("Khách (ước tính)"))


@bp.get("/")
def overview():
    rng = _range()
    series = queries.site_series(rng)
    tops = {kind: queries.top_objects(kind, rng, TOP_LIMIT) for kind in TOP_KINDS}
    figures = queries.site_figures()
    form = BaselineForm(baseline=f"{figures['baseline']:,}".replace(",", "."))
    return render_template(
        "analytics/staff_overview.html", rng=rng, presets=PRESETS, chart=_site_chart(series),
        site_rows=[(format_date(p.day), p.views, p.visitors) for p in series],
        range_views=sum(p.views for p in series), range_visitors=sum(p.visitors for p in series),
        tops=tops, figures=figures, form=form,
    )


@bp.post("/moc-ban-dau")
def baseline():
    form = BaselineForm()
    if form.validate_on_submit():
        value = parse_count(form.baseline.data)
        try:
            if value is None:
                raise services.AnalyticsError("baseline", _("Số lượt ban đầu phải là số nguyên, ví dụ 5.000.000."))
            services.set_baseline(value, actor=current_user)
        except services.AnalyticsError as exc:
            db.session.rollback()
            flash(str(exc.message), "error")
        else:
            db.session.commit()
            flash(_("Đã lưu mốc ban đầu."), "success")
    else:
        flash(_("Biểu mẫu không hợp lệ, vui lòng thử lại."), "error")
    return redirect(url_for(".overview"))


@bp.get("/tim-kiem")
def searches():
    rng = _range()
    series = queries.search_series(rng)
    chart = day_chart(_("Lượt tìm kiếm và lượt tìm có bấm vào kết quả"), [d for d, _s, _c in series],
                      [s for _d, s, _c in series], [c for _d, _s, c in series],
                      bar_name=_("Lượt tìm"), line_name=_("Có bấm kết quả"))
    return render_template(
        "analytics/staff_search.html", rng=rng, presets=PRESETS, chart=chart,
        series_rows=[(format_date(d), s, c) for d, s, c in series],
        totals=queries.search_totals(rng), top=queries.top_queries(rng),
        zero=queries.zero_result_queries(rng), positions=queries.click_positions(rng),
        hidden=queries.hidden_queries(rng), hidden_zero=queries.hidden_queries(rng, zero_only=True),
        synonym_form=SynonymForm(formdata=None),
    )


def _safe_next(target: str | None, default: str) -> str:
    parts = urlsplit(target or "")
    if target and not parts.scheme and not parts.netloc and target.startswith("/nhan-vien/thong-ke"):
        return target
    return default


@bp.get("/tu-dong-nghia")
def synonym_list():
    rows = list(db.session.scalars(synonyms.list_synonyms()))
    return render_template("analytics/staff_synonyms.html", rows=rows, form=SynonymForm(formdata=None, two_way=True),
                           remove_form=RemoveSynonymForm(formdata=None))


@bp.post("/tu-dong-nghia")
def synonym_add():
    form = SynonymForm()
    back = _safe_next(form.next.data, url_for(".synonym_list"))
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for message in errors:
                flash(str(message), "error")
        return redirect(back)
    try:
        created = synonyms.add_synonym(form.term.data, form.synonym.data, two_way=form.two_way.data,
                                       actor=current_user)
    except synonyms.SynonymError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
        return redirect(back)
    db.session.commit()
    if created:
        flash(_("Đã thêm: “%(term)s” cũng tìm “%(synonym)s”.", term=created[0].term, synonym=created[0].synonym),
              "success")
    else:
        flash(_("Cặp từ này đã có sẵn."), "info")
    return redirect(back)


@bp.post("/tu-dong-nghia/xoa")
def synonym_remove():
    form = RemoveSynonymForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        removed = synonyms.remove_synonym(form.term.data or "", form.synonym.data or "", two_way=False,
                                          actor=current_user)
    except synonyms.SynonymError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
        return redirect(url_for(".synonym_list"))
    db.session.commit()
    flash(_("Đã xoá.") if removed else _("Không tìm thấy cặp từ này."), "success" if removed else "info")
    return redirect(url_for(".synonym_list"))


# ----------------------------------------------------------------------- CSV export


def _pct(value: float) -> str:
    return f"{value * 100:.1f}"


@bp.get("/xuat/<name>.csv")
def export(name: str):
    rng, _messages = parse_range(request.args)
    kinds = {"san-pham": "product", "co-so": "seller", "danh-muc": "category", "khu-vuc": "area", "lo-hang": "lot"}
    if name == "ngay":
        rows = [(p.day.isoformat(), p.views, p.visitors) for p in queries.site_series(rng)]
        return csv_response("luot-truy-cap", rng, [_("Ngày"), _("Lượt xem"), _("Khách (ước tính)")], rows)
    if name in kinds:
        rows = [(r.object_id, r.name, r.views) for r in queries.top_objects(kinds[name], rng, limit=None)]
        return csv_response(f"xem-{name}", rng, [_("Mã"), _("Tên"), _("Lượt xem")], rows)
    if name in ("tu-khoa", "khong-ket-qua"):
        zero_only = name == "khong-ket-qua"
        found = queries.zero_result_queries(rng, None) if zero_only else queries.top_queries(rng, None)
        rows = [(r.query, r.searches, r.zero_results, r.results, r.clicked, r.clicks, _pct(r.ctr)) for r in found]
        hidden = queries.hidden_queries(rng, zero_only=zero_only)
        if hidden.queries:
            rows.append((_("‹%(n)s từ khoá khác, mỗi từ khoá dưới %(min)s khách: chỉ hiện số liệu›",
                           n=hidden.queries, min=hidden.min_visitors),
                         hidden.searches, hidden.zero_results, "", "", "", ""))
        return csv_response(name, rng, [_("Từ khoá"), _("Lượt tìm"), _("Không có kết quả"), _("Kết quả (gần nhất)"),
                                        _("Lượt tìm có bấm"), _("Lượt bấm"), _("Tỉ lệ bấm (%)")], rows)
    if name == "tim-kiem-ngay":
        rows = [(d.isoformat(), s, c) for d, s, c in queries.search_series(rng)]
        return csv_response(name, rng, [_("Ngày"), _("Lượt tìm"), _("Lượt tìm có bấm")], rows)
    if name == "vi-tri":
        return csv_response(name, rng, [_("Vị trí"), _("Lượt bấm")], queries.click_positions(rng, limit=1000))
    abort(404)
