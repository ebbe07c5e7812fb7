"""Consumer tracking at /<slug>/track: look a case up by number + second factor, follow and answer it."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from saas import request_memo
from saas.blueprints.intake import remember_case
from saas.caches import case_pages
from saas.email_addresses import email_matches
from saas.extensions import db, limiter
from saas.i18n import current_lang
from saas.identifiers import normalise_case_number
from saas.masking import mask_email, mask_mobile
from saas.models.case import Case, Evidence
from saas.models.complaint import AdvanceCompensation
from saas.phones import last4_matches
from saas.services import case_consumer_steps, case_evidence, case_view, cases
from tenants.resolver import current_tenant, pull_slug
from tenants.scoping import get_for_tenant_or_404

bp = Blueprint("tracking", __name__, url_prefix="/<slug>/track")
bp.url_value_preprocessor(pull_slug)


class LookupForm(FlaskForm):
    number = StringField(
        _l("Case number"), validators=[DataRequired(_l("Please enter the case number.")), Length(max=40)]
    )
    factor = StringField(
        _l("Last 4 digits of your mobile, or your email"),
        validators=[DataRequired(_l("Please enter the last 4 digits of your mobile or your email.")), Length(max=254)],
    )


class MessageForm(FlaskForm):
    text = TextAreaField(_l("Your message"), validators=[DataRequired(_l("Please write a message.")), Length(max=4000)])


class ReturnForm(FlaskForm):
    carrier = StringField(_l("Carrier"), validators=[DataRequired(_l("Please enter the carrier.")), Length(max=40)])
    tracking = StringField(
        _l("Tracking number"), validators=[DataRequired(_l("Please enter the tracking number.")), Length(max=64)]
    )


class UpdatesForm(FlaskForm):
    sms = BooleanField(_l("Text messages"))
    email = BooleanField(_l("Emails"))


def _flash_errors(form: FlaskForm) -> None:
    """A refused form on the case page: its messages shown after the redirect back to the page."""
    for errors in form.errors.values():
        for e in errors:
            flash(e, "error")


def _failed(response) -> bool:
    return bool(request_memo.get("track_failed"))


def _case_key() -> str:
    number = normalise_case_number(request.form.get("number", "")) or request.form.get("number", "")[:40]
    return f"track-case:{number.upper()}"


def _ip_limit() -> str:
    return current_app.config["RATELIMIT_TRACK_IP"]


def _case_limit() -> str:
    return current_app.config["RATELIMIT_TRACK_CASE"]


def _match(number: str, factor: str) -> Case | None:
    normalised = normalise_case_number(number)
    if normalised is None:
        return None
    case = db.session.scalar(select(Case).where(Case.tenant_id == current_tenant.id, Case.number == normalised))
    if case is None:
        return None
    factor = factor.strip()
    if "@" in factor:
        return case if case.email and email_matches(factor, case.email) else None
    return case if case.mobile and last4_matches(case.mobile, factor) else None


@bp.route("", methods=["GET", "POST"])
@limiter.limit(_ip_limit, methods=["POST"], deduct_when=_failed)
@limiter.limit(_case_limit, key_func=_case_key, methods=["POST"], deduct_when=_failed)
def lookup():
    form = LookupForm()
    if request.method == "POST" and form.validate_on_submit():
        case = _match(form.number.data, form.factor.data)
        if case is None:
            # One answer for an unknown number and a wrong second factor, byte for byte.
            request_memo.put("track_failed", True)
            # The typed number survives the redirect (the second factor, the secret part, does not);
            # kept in the session so that the answer is the same redirect whatever was typed.
            session["track_number"] = form.number.data.strip()[:40]
            return redirect(url_for(".lookup", failed=1), 303)
        remember_case(case.id)
        return redirect(url_for(".case_page", number=case.number), 303)
    failed = request.args.get("failed") == "1"
    kept = session.pop("track_number", None) if failed else None
    if request.method == "GET":
        # A link in an SMS or email (?number=…) or a refused try: the person only adds the second factor.
        form.number.data = (request.args.get("number") or kept or "").strip()[:40]
    return render_template("public/track_lookup.html", form=form, failed=failed)


def _tracked_case(number: str) -> Case:
    """A case this browser proved it owns; anything else is a 404, whatever exists."""
    return _owned(select(Case), number)[0]


def _owned(stmt, number: str):
    normalised = normalise_case_number(number)
    row = (
        db.session.execute(stmt.where(Case.tenant_id == current_tenant.id, Case.number == normalised)).first()
        if normalised
        else None
    )
    if row is None or row[0].id not in session.get("tracked", []):
        abort(404)
    return row


def _page_case(number: str) -> tuple[Case, list]:
    """The case with what its page shows, in as few queries as the data allows: the case and
    whether it has files or compensations, then its events and clocks, then files and
    compensations only where there are some."""
    case, has_evidence, has_compensations = _owned(
        select(Case, case_view.has_rows(Evidence), case_view.has_rows(AdvanceCompensation)), number
    )
    return case, case_view.load_page_data(case, has_evidence, has_compensations)


def _case_page(case: Case, compensations: list, message_form: MessageForm, status: int = 200, just_filed: bool = False):
    return render_template(
        "public/track_case.html",
        case=case,
        view=case_view.for_consumer(case, current_lang()),
        compensations=compensations,
        message_form=message_form,
        # formdata=None: a refused message re-renders this page from its POST, whose
        # fields must not fill the other forms (an unticked SMS box would unsubscribe).
        return_form=ReturnForm(formdata=None),
        just_filed=just_filed,
        updates_form=UpdatesForm(formdata=None, sms=case.sms_consent, email=case.email_consent),
        contacts={"sms": mask_mobile(case.mobile), "email": mask_email(case.email)},
    ), status


@bp.get("/<number>")
def case_page(number: str):
    normalised = normalise_case_number(number) or ""
    kept = case_pages.cached(current_tenant.id, normalised)
    if kept is not None:
        return kept
    case_token = case_pages.token_before_loading(current_tenant.id, normalised)
    case, compensations = _page_case(number)
    just_filed = session.pop("just_filed", None) == case.id
    return case_pages.render_and_keep(
        current_tenant.id,
        case.id,
        normalised,
        lambda: _case_page(case, compensations, MessageForm(), just_filed=just_filed)[0],
        keep=not just_filed,
        case_token=case_token,
    )


@bp.post("/<number>/message")
@limiter.limit("30 per hour")
def message(number: str):
    case = _tracked_case(number)
    form = MessageForm()
    if not form.validate_on_submit():
        _flash_errors(form)
        return redirect(url_for(".case_page", number=case.number))
    try:
        checked = case_evidence.check_files(request.files.getlist("evidence"))
    except case_evidence.EvidenceRefused as exc:
        flash(exc.message(current_lang()), "error")
        return _case_page(case, case_view.load_page_data(case), form, status=400)
    event = case_consumer_steps.consumer_message(case, form.text.data)
    case_evidence.attach(case, checked, uploaded_by="consumer", event=event)
    db.session.commit()
    flash(_("Your message was sent."), "success")
    return redirect(url_for(".case_page", number=case.number))


@bp.post("/<number>/return")
def return_shipped(number: str):
    case = _tracked_case(number)
    form = ReturnForm()
    if form.validate_on_submit():
        try:
            case_consumer_steps.consumer_return_shipped(case, form.carrier.data, form.tracking.data)
        except cases.CaseError as exc:
            db.session.rollback()
            flash(exc.message, "error")
        else:
            db.session.commit()
            flash(_("Thank you: your return parcel is registered."), "success")
    else:
        _flash_errors(form)
    return redirect(url_for(".case_page", number=case.number))


@bp.post("/<number>/updates")
@limiter.limit("30 per hour")
def updates(number: str):
    """Which channels bring news about this case; the consumer may stop (or restart) them at any time."""
    case = _tracked_case(number)
    form = UpdatesForm()
    if form.validate_on_submit():
        if case_consumer_steps.set_update_channels(case, form.sms.data, form.email.data) is not None:
            db.session.commit()
        flash(_("Your choice is saved."), "success")
    else:
        _flash_errors(form)
    return redirect(url_for(".case_page", number=case.number))


@bp.get("/<number>/slip")
def slip(number: str):
    case = _tracked_case(number)
    return render_template("slip.html", case=case, view=case_view.slip(case, current_lang()))


@bp.get("/<number>/evidence/<int:evidence_id>")
def evidence_file(number: str, evidence_id: int):
    case = _tracked_case(number)
    item = get_for_tenant_or_404(Evidence, evidence_id)
    path = case_evidence.ready_path(item)  # never the quarantined original
    if item.case_id != case.id or path is None:
        abort(404)
    return send_file(path, mimetype=item.mime, max_age=0)
