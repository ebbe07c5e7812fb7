"""The supervisor's desk: drawing samples of granted tenants' cases, masked case pages, reviews and reports."""

from __future__ import annotations

import io
from datetime import date

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField
from wtforms.validators import Optional, Regexp

from saas.blueprints.access import require_role
from saas.extensions import db
from saas.forms import PAST_YEARS, YEAR, DateWithin, PlainForm, in_the_past
from saas.i18n import current_lang, localtime
from saas.input_guard import bounded_int
from saas.models.supervision import CHECKS, RESULTS
from saas.services import (
    case_evidence,
    case_messages,
    orders,
    report_periods,
    reports,
    supervision,
    supervision_kpis,
    supervision_report,
    supervision_review,
    supervision_sampling,
)

bp = Blueprint("supervise", __name__, url_prefix="/supervise")
bp.before_request(require_role("supervisor"))


@bp.after_request
def _no_store(response):
    # Masked or not, these pages are about other people's cases: keep them out of shared caches.
    response.headers["Cache-Control"] = "no-store"
    return response


class DrawForm(FlaskForm):
    tenant_id = SelectField(_l("Shop"), coerce=int, validate_choice=False)
    period_start = DateField(_l("Resolved or closed from"), validators=[Optional(), in_the_past()])
    period_end = DateField(_l("until (inclusive)"), validators=[Optional(), DateWithin(PAST_YEARS * YEAR, YEAR)])
    size = IntegerField(_l("Sample size"), validators=[Optional()])
    stratified = BooleanField(_l("Stratify by case type (proportional)"))
    seed = StringField(
        _l("Seed (leave empty for a new random one; enter one to reproduce a sample)"),
        validators=[Optional(), Regexp(r"^\s*[0-9]{1,18}\s*$", message=_l("The seed must be a whole number."))],
    )


def _me():
    return current_user._get_current_object()


def _draw_form(**data) -> DrawForm:
    form = DrawForm(**data)
    form.tenant_id.choices = [
        (t.id, t.name(current_lang()))
        for t in sorted(supervision.granted_tenants(_me()).values(), key=lambda t: t.slug)
    ]
    return form


def _home(form: DrawForm, status: int = 200):
    me = _me()
    grants = supervision.active_grants(me)
    return render_template(
        "supervise/home.html",
        form=form,
        grants=grants,
        open_tenants={g.tenant_id for g in grants},
        samples=supervision_sampling.samples_of(me),
        lang=current_lang(),
    ), status


@bp.get("/")
def home():
    # A sample's page links here with its inputs filled in, to reproduce it.
    prefill = {}
    args = request.args
    if args.get("seed", type=bounded_int) is not None:
        prefill = {
            "tenant_id": args.get("tenant_id", type=bounded_int),
            "period_start": _date(args.get("period_start")),
            "period_end": _date(args.get("period_end")),
            "size": args.get("size", type=bounded_int),
            "stratified": args.get("stratified") == "1",
            "seed": args["seed"],
        }
    return _home(_draw_form(data=prefill) if prefill else _draw_form())


def _date(value):
    try:
        return date.fromisoformat(value or "")
    except ValueError:
        return None


@bp.post("/samples")
def draw():
    form = _draw_form()
    if not form.validate_on_submit():
        return _home(form, 400)
    seed = int(form.seed.data.strip()) if (form.seed.data or "").strip() else None
    try:
        sample = supervision_sampling.draw_sample(
            _me(),
            form.tenant_id.data,
            start=form.period_start.data,
            end=form.period_end.data,
            size=form.size.data,
            stratified=bool(form.stratified.data),
            seed=seed,
        )
    except supervision.SupervisionError as exc:
        db.session.rollback()
        for name, message in exc.errors.items():
            getattr(form, name).errors = list(getattr(form, name).errors) + [message]
        return _home(form, 400)
    db.session.commit()
    flash(_("Sample drawn: %(n)s cases, seed %(seed)s.", n=len(sample.items), seed=sample.seed), "success")
    return redirect(url_for(".sample", sample_id=sample.id))


def _opened(sample_id: int) -> supervision_sampling.OpenSample:
    opened = supervision_sampling.open_sample(_me(), sample_id)
    if opened is None:
        abort(404)
    return opened


def _item(opened: supervision_sampling.OpenSample, case_id: int):
    item = supervision_sampling.item_of(opened, case_id)
    if item is None:
        abort(404)
    return item


@bp.get("/samples/<int:sample_id>")
def sample(sample_id: int):
    opened = _opened(sample_id)
    data = supervision_report.report(opened, current_lang())
    return render_template("supervise/sample.html", opened=opened, s=opened.sample, report=data)


def _case_page(opened, item, form=None, errors=None, values=None, status: int = 200):
    supervision_sampling.record_access(
        _me(), item.tenant_id, "view_case", case_id=item.case_id, sample_id=opened.sample.id
    )
    db.session.commit()
    view = supervision_review.masked_case_view(item.case, opened.access.evidence_images, current_lang())
    return render_template(
        "supervise/case.html",
        opened=opened,
        view=view,
        review=supervision_review.masked_review(item),
        form=form or PlainForm(),
        errors=errors or {},
        values=values,
        checks=CHECKS,
        results=RESULTS,
        check_label=supervision.check_label,
        result_label=supervision.result_label,
    ), status


@bp.get("/samples/<int:sample_id>/cases/<int:case_id>")
def case(sample_id: int, case_id: int):
    opened = _opened(sample_id)
    return _case_page(opened, _item(opened, case_id))


@bp.post("/samples/<int:sample_id>/cases/<int:case_id>/review")
def review(sample_id: int, case_id: int):
    opened = _opened(sample_id)
    item = _item(opened, case_id)
    form = PlainForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        supervision_review.save_review(item, _me(), request.form)
    except supervision.SupervisionError as exc:
        db.session.rollback()
        return _case_page(opened, item, form, exc.errors, request.form, 400)
    supervision_sampling.record_access(
        _me(), item.tenant_id, "review", case_id=item.case_id, sample_id=opened.sample.id
    )
    db.session.commit()
    flash(_("Review saved."), "success")
    return redirect(url_for(".case", sample_id=sample_id, case_id=case_id))


@bp.get("/samples/<int:sample_id>/cases/<int:case_id>/photos/<int:evidence_id>")
def photo(sample_id: int, case_id: int, evidence_id: int):
    opened = _opened(sample_id)
    item = _item(opened, case_id)
    photo = supervision_sampling.photo_of(opened, item, evidence_id)
    if photo is None:
        abort(404)
    supervision_sampling.record_access(
        _me(),
        item.tenant_id,
        "view_evidence",
        case_id=item.case_id,
        sample_id=opened.sample.id,
        detail=f"evidence {photo.id}",
    )
    db.session.commit()
    rendition = case_evidence.coarse_rendition(photo)  # spec §6: faces and labels unreadable
    if rendition is None:
        abort(404)
    response = send_file(io.BytesIO(rendition), mimetype="image/jpeg", max_age=0)
    response.headers["Cache-Control"] = "no-store"
    return response


def _log_report(opened, kind: str) -> None:
    for item in opened.items:
        supervision_sampling.record_access(
            _me(), item.tenant_id, kind, case_id=item.case_id, sample_id=opened.sample.id
        )
    db.session.commit()


@bp.get("/samples/<int:sample_id>/report")
def report(sample_id: int):
    opened = _opened(sample_id)
    _log_report(opened, "report")
    return render_template(
        "supervise/report.html",
        report=supervision_report.report(opened, current_lang()),
        s=opened.sample,
        checks=CHECKS,
        check_label=supervision.check_label,
        result_label=supervision.result_label,
    )


@bp.get("/samples/<int:sample_id>/report.csv")
def report_csv(sample_id: int):
    opened = _opened(sample_id)
    _log_report(opened, "export")
    body = supervision_report.report_csv(supervision_report.report(opened, current_lang()), localtime)
    return Response(
        body,
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="supervision-sample-{sample_id}.csv"',
            "Content-Type": "text/csv; charset=utf-8",
        },
    )


@bp.get("/kpis")
def kpis():
    """Key figures of the granted shops for a period: aggregates only, as on the shops' reports pages."""
    args = request.args
    try:
        shops = supervision_kpis.overview(_me(), args.get("period"), args.get("from"), args.get("to"))
    except report_periods.PeriodError as exc:
        return render_template("supervise/kpis.html", shops=[], error=exc.message, args=args, lang=current_lang()), 400
    db.session.commit()  # the access log rows
    return render_template(
        "supervise/kpis.html",
        shops=shops,
        error=None,
        args=args,
        lang=current_lang(),
        label=case_messages.label,
        targets=reports,
        category_label=lambda key: orders.category_label(key, current_lang()),
    )
