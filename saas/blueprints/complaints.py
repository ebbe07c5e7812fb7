"""Complaints to the platform: the consumer's form and the merchant's console pages."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from saas import request_memo
from saas.blueprints.access import staff_only
from saas.extensions import db, limiter
from saas.forms import ContactFields, contact_fields
from saas.locale import current_locale
from saas.masking import mask_email, mask_mobile
from saas.models.base import utcnow
from saas.models.complaint import PlatformComplaint
from saas.services import complaints
from tenants.resolver import current_tenant, pull_slug
from tenants.scoping import get_for_tenant_or_404

bp = Blueprint("complaints", __name__, url_prefix="/<slug>")
bp.url_value_preprocessor(pull_slug)


# ---------------------------------------------------------------- the consumer's form


class ComplaintForm(ContactFields, FlaskForm):
    case_number = StringField(_l("Case number (optional)"), validators=[Optional(), Length(max=40)])
    name = StringField(_l("Your name (optional)"), validators=[Optional(), Length(max=80)])
    mobile, email = contact_fields()
    text = TextAreaField(
        _l("What went wrong?"),
        validators=[
            DataRequired(_l("Please describe your complaint.")),
            Length(max=complaints.TEXT_MAX, message=_l("Please keep the text under %(max)d characters.")),
        ],
    )


def _complaint_limit() -> str:
    return current_app.config["RATELIMIT_COMPLAINT"]


@bp.route("/complaints/new", methods=["GET", "POST"])
@limiter.limit(_complaint_limit, methods=["POST"])
def new():
    form = ComplaintForm()
    if request.method == "GET" and request.args.get("case"):
        form.case_number.data = request.args.get("case", "")[:40]
    if request.method == "POST" and form.validate_on_submit():
        try:
            complaint = complaints.submit(
                current_tenant,
                text=form.text.data,
                mobile=form.mobile.data or "",
                email=form.email.data or "",
                name=form.name.data or "",
                case_number=form.case_number.data or "",
                locale=current_locale(),
            )
        except complaints.ComplaintError as exc:
            db.session.rollback()
            target = form.case_number if exc.code.startswith("case") else form.text
            target.errors = list(target.errors) + [exc.message]
        else:
            db.session.commit()
            session["complaint_filed"] = complaint.reference
            session[_SEEN] = (session.get(_SEEN, []) + [complaint.id])[-20:]
            return redirect(url_for(".filed"), 303)
    status = 400 if request.method == "POST" else 200
    return render_template("complaints/new.html", form=form), status


@bp.get("/complaints/filed")
def filed():
    reference = session.get("complaint_filed")
    if not reference:
        return redirect(url_for(".new"))
    return render_template("complaints/filed.html", reference=reference, hours=complaints.answer_hours(current_tenant))


class LookupForm(FlaskForm):
    reference = StringField(
        _l("Complaint number"), validators=[DataRequired(_l("Please enter the complaint number.")), Length(max=40)]
    )
    factor = StringField(
        _l("Last 4 digits of your mobile, or your email"),
        validators=[DataRequired(_l("Please enter the last 4 digits of your mobile or your email.")), Length(max=254)],
    )


def _lookup_failed(response) -> bool:
    return bool(request_memo.get("complaint_lookup_failed"))


def _reference_key() -> str:
    ref = complaints.normalise_reference(request.form.get("reference", "")) or request.form.get("reference", "")[:40]
    return f"complaint-lookup:{ref.upper()}"


def _lookup_ip_limit() -> str:
    return current_app.config["RATELIMIT_COMPLAINT_LOOKUP_IP"]


def _lookup_reference_limit() -> str:
    return current_app.config["RATELIMIT_COMPLAINT_LOOKUP_REF"]


_SEEN = "complaints_seen"  # session: the complaints this browser proved it filed


@bp.route("/complaints/lookup", methods=["GET", "POST"])
@limiter.limit(_lookup_ip_limit, methods=["POST"], deduct_when=_lookup_failed)
@limiter.limit(_lookup_reference_limit, key_func=_reference_key, methods=["POST"], deduct_when=_lookup_failed)
def lookup():
    form = LookupForm()
    if request.method == "GET" and request.args.get("reference"):
        form.reference.data = request.args.get("reference", "")[:40]
    if request.method == "POST" and form.validate_on_submit():
        complaint = complaints.find_for_consumer(current_tenant, form.reference.data, form.factor.data)
        if complaint is None:
            # One answer for an unknown number and a wrong contact, byte for byte.
            request_memo.put("complaint_lookup_failed", True)
            return redirect(url_for(".lookup", failed=1), 303)
        seen = [cid for cid in session.get(_SEEN, []) if cid != complaint.id]
        session[_SEEN] = (seen + [complaint.id])[-20:]
        return redirect(url_for(".status", reference=complaint.reference), 303)
    status = 400 if request.method == "POST" else 200
    return render_template("complaints/lookup.html", form=form, failed=request.args.get("failed") == "1"), status


@bp.get("/complaints/status/<reference>")
def status(reference: str):
    ref = complaints.normalise_reference(reference)
    complaint = (
        db.session.scalar(
            db.select(PlatformComplaint).where(
                PlatformComplaint.tenant_id == current_tenant.id, PlatformComplaint.reference == ref
            )
        )
        if ref
        else None
    )
    if complaint is None or complaint.id not in session.get(_SEEN, []) or complaint.anonymised_at is not None:
        abort(404)
    return render_template("complaints/status.html", complaint=complaint)


# ---------------------------------------------------------------- the merchant's console


class AnswerForm(FlaskForm):
    answer = TextAreaField(
        _l("Your answer to the platform"),
        validators=[
            DataRequired(_l("Please write your answer.")),
            Length(max=complaints.TEXT_MAX, message=_l("Please keep the text under %(max)d characters.")),
        ],
    )


def _merchant_complaint(complaint_id: int) -> PlatformComplaint:
    complaint = get_for_tenant_or_404(PlatformComplaint, complaint_id)
    if not complaint.visible_to_merchant:  # not (yet) forwarded: as if it did not exist
        abort(404)
    return complaint


@bp.get("/console/complaints")
@staff_only
def console_list():
    return render_template(
        "complaints/console_list.html",
        rows=complaints.merchant_list(current_tenant),
        now=utcnow(),
        mask_mobile=mask_mobile,
        mask_email=mask_email,
    )


@bp.route("/console/complaints/<int:complaint_id>", methods=["GET", "POST"])
@staff_only
def console_detail(complaint_id: int):
    complaint = _merchant_complaint(complaint_id)
    form = AnswerForm()
    status = 200
    if request.method == "GET" and complaint.merchant_answer:
        form.answer.data = complaint.merchant_answer
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                complaints.merchant_answer(complaint, current_user, form.answer.data)
            except complaints.ComplaintError as exc:
                db.session.rollback()
                flash(exc.message, "error")
            else:
                db.session.commit()
                flash(_("Your answer was sent to the platform."), "success")
            return redirect(url_for(".console_detail", complaint_id=complaint.id))
        status = 400
    return render_template(
        "complaints/console_detail.html",
        complaint=complaint,
        form=form,
        now=utcnow(),
        mask_mobile=mask_mobile,
        mask_email=mask_email,
    ), status
