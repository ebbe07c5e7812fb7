"""The operator's pages for supervisors: accounts, tenant grants (with dates and photo access), revocation."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, DateField, EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, ValidationError

from saas.blueprints.access import require_role
from saas.email_addresses import valid_email
from saas.extensions import db
from saas.forms import YEAR, DateWithin, PlainForm
from saas.i18n import current_lang
from saas.models.supervision import Sample, SupervisorGrant
from saas.models.user import User
from saas.services import accounts, supervision
from tenants.clock import shop_today
from tenants.models import Tenant
from tenants.scoping import cross_tenant

bp = Blueprint("admin_supervision", __name__, url_prefix="/admin/supervisors")
bp.before_request(require_role("operator"))


class SupervisorForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(_l("Please enter a name.")), Length(max=80)])
    email = EmailField(
        _l("Email"), validators=[DataRequired(_l("Please enter your email.")), valid_email, Length(max=254)]
    )
    password = PasswordField(
        _l("Initial password"),
        validators=[
            DataRequired(_l("Please enter your password.")),
            Length(min=10, max=200, message=_l("The password must have at least 10 characters.")),
        ],
    )

    def validate_email(self, field):
        if accounts.email_taken(field.data):
            raise ValidationError(_l("This email already has an account."))


class GrantForm(FlaskForm):
    tenant_id = SelectField(_l("Shop"), coerce=int)
    # A grant is for a review: it starts within a year and lasts at most a few years.
    starts_on = DateField(
        _l("From"),
        validators=[
            DataRequired(_l("Please enter the first day of access.")),
            DateWithin(past_days=YEAR, future_days=YEAR),
        ],
    )
    ends_on = DateField(
        _l("Until (inclusive)"),
        validators=[
            DataRequired(_l("Please enter the last day of access.")),
            DateWithin(past_days=YEAR, future_days=3 * YEAR),
        ],
    )
    evidence_images = BooleanField(_l("Evidence photos visible (videos are never shown)"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.tenant_id.choices = [
            (t.id, f"{t.name(current_lang())} ({t.slug})")
            for t in db.session.scalars(select(Tenant).order_by(Tenant.slug))
        ]

    def validate_ends_on(self, field):
        if field.data and self.starts_on.data and field.data < self.starts_on.data:
            raise ValidationError(_l("The end date cannot be before the start date."))


def _supervisor_or_404(supervisor_id: int) -> User:
    user = db.session.get(User, supervisor_id)
    if user is None or user.role != "supervisor":
        abort(404)
    return user


@bp.route("/", methods=["GET", "POST"])
def list_supervisors():
    form = SupervisorForm()
    if form.validate_on_submit():
        user = supervision.create_supervisor(
            current_user, name=form.name.data, email=form.email.data, password=form.password.data
        )
        db.session.commit()
        flash(_("Supervisor account created: %(email)s.", email=user.email), "success")
        return redirect(url_for(".supervisor", supervisor_id=user.id))
    people = supervision.supervisors()
    grants = {u.id: supervision.grants_of(u) for u in people}
    return render_template(
        "admin/supervisors/list.html", form=form, supervisors=people, grants=grants, lang=current_lang()
    ), (400 if form.is_submitted() else 200)


def _detail(user: User, form: GrantForm, status: int = 200):
    grants = supervision.grants_of(user)
    with cross_tenant("operator reviews a supervisor's samples"):
        samples = list(
            db.session.scalars(select(Sample).where(Sample.supervisor_id == user.id).order_by(Sample.created_at.desc()))
        )
        for s in samples:
            _ = s.tenant, len(s.items)
    return render_template(
        "admin/supervisors/detail.html",
        person=user,
        grants=grants,
        form=form,
        samples=samples,
        plain=PlainForm(),
        lang=current_lang(),
        state=lambda g: g.state_on(shop_today(g.tenant)),
    ), status


@bp.get("/<int:supervisor_id>")
def supervisor(supervisor_id: int):
    return _detail(_supervisor_or_404(supervisor_id), GrantForm())


@bp.post("/<int:supervisor_id>/grants")
def add_grant(supervisor_id: int):
    user = _supervisor_or_404(supervisor_id)
    form = GrantForm()
    if not form.validate_on_submit():
        return _detail(user, form, 400)
    tenant = db.session.get(Tenant, form.tenant_id.data)
    if tenant is None:
        abort(404)
    try:
        supervision.grant(
            current_user,
            user,
            tenant,
            starts_on=form.starts_on.data,
            ends_on=form.ends_on.data,
            evidence_images=form.evidence_images.data,
        )
    except supervision.SupervisionError as exc:
        db.session.rollback()
        for name, message in exc.errors.items():
            if hasattr(form, name):
                getattr(form, name).errors = list(getattr(form, name).errors) + [message]
        return _detail(user, form, 400)
    db.session.commit()
    flash(_("Access granted to %(shop)s.", shop=tenant.name(current_lang())), "success")
    return redirect(url_for(".supervisor", supervisor_id=user.id))


@bp.post("/grants/<int:grant_id>/revoke")
def revoke_grant(grant_id: int):
    row = db.session.get(SupervisorGrant, grant_id)
    if row is None:
        abort(404)
    if not PlainForm().validate_on_submit():
        abort(400)
    supervision.revoke(current_user, row)
    db.session.commit()
    flash(_("Access revoked."), "success")
    return redirect(url_for(".supervisor", supervisor_id=row.supervisor_id))
