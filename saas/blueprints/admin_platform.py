"""The operator desk's platform pages: tenants (create, suspend), the complaints queue, monthly scorecards."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from wtforms import DecimalField, EmailField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from saas.blueprints.access import require_role
from saas.email_addresses import valid_email
from saas.extensions import db
from saas.forms import PlainForm, ShopProfileFields, choices
from saas.i18n import current_lang
from saas.models.base import utcnow
from saas.services import complaint_compensations, complaint_desk, complaints, scorecards, shops
from tenants.clock import shop_today
from tenants.models import Tenant

bp = Blueprint("admin_platform", __name__, url_prefix="/admin")
bp.before_request(require_role("operator"))


# ---------------------------------------------------------------- tenants

LOCALE_CHOICES = [("zh_Hans", "中文"), ("en", "English")]


def _checked(check, field) -> None:
    """A shops.check_* rule as a WTForms validation: its refusal is the field's error."""
    try:
        check(field.data or "")
    except shops.ShopError as exc:
        raise ValidationError(exc.message) from None


class TenantForm(ShopProfileFields, FlaskForm):
    slug = StringField(_l("Slug (web address)"), validators=[DataRequired(_l("Please enter a slug.")), Length(max=40)])
    timezone = StringField(
        _l("Time zone"),
        default="Asia/Shanghai",
        validators=[DataRequired(_l("Please enter a time zone.")), Length(max=64)],
    )
    default_locale = SelectField(_l("Default language"), choices=choices(LOCALE_CHOICES), default="zh_Hans")
    owner_name = StringField(_l("Owner's name"), validators=[DataRequired(_l("Please enter a name.")), Length(max=80)])
    owner_email = EmailField(
        _l("Owner's email (sign-in)"),
        validators=[DataRequired(_l("Please enter your email.")), valid_email, Length(max=254)],
    )
    owner_password = PasswordField(
        _l("Owner's initial password"),
        validators=[
            DataRequired(_l("Please enter your password.")),
            Length(min=10, max=200, message=_l("The password must have at least 10 characters.")),
        ],
    )

    def validate_slug(self, field):
        _checked(shops.check_slug, field)

    def validate_timezone(self, field):
        _checked(shops.check_timezone, field)

    def validate_owner_email(self, field):
        _checked(shops.check_owner_email, field)


def _tenants_page(form: TenantForm, status: int = 200):
    tenants, staff = shops.overview()
    return render_template(
        "admin/platform/tenants.html", form=form, tenants=tenants, staff=staff, action_form=PlainForm()
    ), status


@bp.route("/tenants", methods=["GET", "POST"])
def tenants():
    form = TenantForm()
    if request.method == "GET":
        return _tenants_page(form)
    if not form.validate_on_submit():
        return _tenants_page(form, 400)
    fields = (
        "slug",
        "name_zh",
        "name_en",
        "contact_phone",
        "contact_email",
        "timezone",
        "default_locale",
        "brand_colour",
        "owner_name",
        "owner_email",
        "owner_password",
    )
    try:
        tenant = shops.create_shop(current_user, **{name: form[name].data for name in fields})
        db.session.commit()
    except shops.ShopError as exc:  # taken between the form's check and the service's
        db.session.rollback()
        form[exc.field].errors = list(form[exc.field].errors) + [exc.message]
        return _tenants_page(form, 400)
    except IntegrityError:
        # The same slug or email created at the same moment elsewhere.
        db.session.rollback()
        form.slug.errors = list(form.slug.errors) + [
            _("This slug or the owner's email was taken just now. Please check and try again.")
        ]
        return _tenants_page(form, 409)
    flash(_("Shop %(slug)s created with its owner account.", slug=tenant.slug), "success")
    return redirect(url_for(".tenants"))


def _tenant_or_404(tenant_id: int) -> Tenant:
    tenant = db.session.get(Tenant, tenant_id)
    if tenant is None:
        abort(404)
    return tenant


@bp.post("/tenants/<int:tenant_id>/suspend")
def suspend_tenant(tenant_id: int):
    tenant = _tenant_or_404(tenant_id)
    shops.suspend(tenant, current_user)
    db.session.commit()
    flash(
        _(
            "Shop %(slug)s is suspended: its public pages and console are closed and its staff cannot sign in.",
            slug=tenant.slug,
        ),
        "success",
    )
    return redirect(url_for(".tenants"))


@bp.post("/tenants/<int:tenant_id>/reactivate")
def reactivate_tenant(tenant_id: int):
    tenant = _tenant_or_404(tenant_id)
    shops.reactivate(tenant, current_user)
    db.session.commit()
    flash(_("Shop %(slug)s is active again.", slug=tenant.slug), "success")
    return redirect(url_for(".tenants"))


# ---------------------------------------------------------------- complaints


class ForwardForm(FlaskForm):
    note = TextAreaField(_l("Note to the shop (optional)"), validators=[Optional(), Length(max=complaints.TEXT_MAX)])


class ReplyForm(FlaskForm):
    reply = TextAreaField(
        _l("Answer to the consumer"),
        validators=[DataRequired(_l("Please write the answer.")), Length(max=complaints.TEXT_MAX)],
    )


class CompensationForm(FlaskForm):
    amount = DecimalField(_l("Amount (yuan)"), places=2, validators=[DataRequired(_l("Please enter the amount."))])
    reason = TextAreaField(
        _l("Reason (which term the shop did not keep)"),
        validators=[DataRequired(_l("Please give the reason.")), Length(max=complaints.TEXT_MAX)],
    )


def _tenant_names() -> dict[int, Tenant]:
    return {t.id: t for t in db.session.scalars(select(Tenant))}


@bp.get("/complaints")
def complaint_queue():
    show = "all" if request.args.get("show") == "all" else "open"
    return render_template(
        "admin/platform/complaints.html",
        rows=complaint_desk.operator_queue(show),
        show=show,
        tenants=_tenant_names(),
        now=utcnow(),
    )


def _complaint(complaint_id: int):
    complaint = complaint_desk.for_operator(complaint_id)
    if complaint is None:
        abort(404)
    return complaint


def _complaint_page(complaint, forward_form=None, reply_form=None, compensation_form=None, status: int = 200):
    return render_template(
        "admin/platform/complaint.html",
        complaint=complaint,
        tenant=db.session.get(Tenant, complaint.tenant_id),
        forward_form=forward_form or ForwardForm(formdata=None),
        reply_form=reply_form or ReplyForm(formdata=None),
        compensation_form=compensation_form or CompensationForm(formdata=None),
        action_form=PlainForm(),
        now=utcnow(),
        lang=current_lang(),
    ), status


@bp.get("/complaints/<int:complaint_id>")
def complaint_detail(complaint_id: int):
    return _complaint_page(_complaint(complaint_id))


def _refused(exc: complaints.ComplaintError):
    db.session.rollback()
    flash(exc.message, "error")


@bp.post("/complaints/<int:complaint_id>/forward")
def complaint_forward(complaint_id: int):
    complaint = _complaint(complaint_id)
    form = ForwardForm()
    if not form.validate_on_submit():
        return _complaint_page(complaint, forward_form=form, status=400)
    try:
        complaint_desk.forward(complaint, current_user, form.note.data or "")
    except complaints.ComplaintError as exc:
        _refused(exc)
    else:
        db.session.commit()
        flash(_("Forwarded to the shop for verification."), "success")
    return redirect(url_for(".complaint_detail", complaint_id=complaint_id))


@bp.post("/complaints/<int:complaint_id>/reply")
def complaint_reply(complaint_id: int):
    complaint = _complaint(complaint_id)
    form = ReplyForm()
    if not form.validate_on_submit():
        return _complaint_page(complaint, reply_form=form, status=400)
    try:
        sent = complaint_desk.reply(complaint, current_user, form.reply.data)
    except complaints.ComplaintError as exc:
        _refused(exc)
    else:
        db.session.commit()
        flash(_("Answer saved; %(n)s messages to the consumer are on their way.", n=len(sent)), "success")
    return redirect(url_for(".complaint_detail", complaint_id=complaint_id))


@bp.post("/complaints/<int:complaint_id>/compensations")
def complaint_compensation(complaint_id: int):
    complaint = _complaint(complaint_id)
    form = CompensationForm()
    if not form.validate_on_submit():
        return _complaint_page(complaint, compensation_form=form, status=400)
    try:
        complaint_compensations.record_compensation(complaint, current_user, form.amount.data, form.reason.data)
    except complaints.ComplaintError as exc:
        db.session.rollback()
        form.amount.errors = list(form.amount.errors) + [exc.message]
        return _complaint_page(_complaint(complaint_id), compensation_form=form, status=400)
    db.session.commit()
    flash(_("Advance compensation recorded; it is to be recovered from the shop."), "success")
    return redirect(url_for(".complaint_detail", complaint_id=complaint_id))


@bp.post("/compensations/<int:compensation_id>/recovered")
def compensation_recovered(compensation_id: int):
    comp = complaint_compensations.compensation_for_operator(compensation_id)
    if comp is None:
        abort(404)
    try:
        complaint_compensations.mark_recovered(comp, current_user)
    except complaints.ComplaintError as exc:
        _refused(exc)
    else:
        db.session.commit()
        flash(_("Marked as recovered from the shop."), "success")
    return redirect(url_for(".complaint_detail", complaint_id=comp.complaint_id))


# ---------------------------------------------------------------- scorecards


def _month():
    month = scorecards.parse_month(request.args.get("month"))
    if request.args.get("month") and month is None:
        abort(400)
    return month or scorecards.previous_month(shop_today(None))


@bp.get("/scorecards")
def scorecard_list():
    month = _month()
    return render_template(
        "admin/platform/scorecards.html", cards=scorecards.monthly(month), month=month, lang=current_lang()
    )


@bp.get("/scorecards.csv")
def scorecard_csv():
    month = _month()
    body = scorecards.to_csv(scorecards.monthly(month))
    return Response(
        body,
        mimetype="text/csv; charset=utf-8",
        headers={"Content-Disposition": f"attachment; filename=scorecards-{month:%Y-%m}.csv"},
    )
