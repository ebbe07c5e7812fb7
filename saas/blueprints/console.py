"""The merchant console: landing page per role, team and audit trail."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.datastructures import MultiDict
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from saas.blueprints import cases_console
from saas.blueprints.access import require_tenant_staff, roles_required
from saas.blueprints.core import refused
from saas.email_addresses import valid_email
from saas.extensions import db
from saas.forms import ShopProfileFields, choices, valid_phone
from saas.models.audit import AuditEvent
from saas.models.user import User
from saas.services import accounts, assignment, audit, business_calendar
from tenants.resolver import current_tenant, pull_slug
from tenants.scoping import get_for_tenant_or_404

bp = Blueprint("console", __name__, url_prefix="/<slug>/console")
bp.url_value_preprocessor(pull_slug)
bp.before_request(require_tenant_staff)

ROLE_CHOICES = [("agent", _l("Agent")), ("admin", _l("Admin")), ("owner", _l("Owner"))]


class MemberForm(FlaskForm):
    role = SelectField(_l("Role"), choices=choices(ROLE_CHOICES))
    is_enabled = BooleanField(_l("Account enabled"))


class NewMemberForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(_l("Please enter a name.")), Length(max=80)])
    email = EmailField(
        _l("Email"),
        validators=[DataRequired(_l("Please enter your email.")), valid_email, Length(max=254)],
    )
    role = SelectField(_l("Role"), choices=choices(ROLE_CHOICES[:2]))
    password = PasswordField(
        _l("Initial password"),
        validators=[
            DataRequired(_l("Please enter your password.")),
            Length(min=10, max=200, message=_l("The password must have at least 10 characters.")),
        ],
    )


class ShopForm(ShopProfileFields, FlaskForm):
    """What a shop's managers keep up to date themselves: names, contacts, colour and where returns go."""

    return_recipient = StringField(_l("Returns: recipient"), validators=[Length(max=80)])
    return_phone = StringField(_l("Returns: phone"), validators=[Length(max=40), valid_phone])
    return_address_zh = TextAreaField(_l("Returns: address (Chinese)"), validators=[Length(max=300)])
    return_address_en = TextAreaField(_l("Returns: address (English, optional)"), validators=[Length(max=300)])

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        together = (self.return_recipient, self.return_phone, self.return_address_zh)
        blank = [f for f in together if not (f.data or "").strip()]
        if 0 < len(blank) < len(together):  # a slip with half an address sends parcels nowhere
            for f in blank:
                f.errors = list(f.errors) + [
                    _l("Consumers send returns here: please fill in the recipient, the phone and the address together.")
                ]
            ok = False
        return ok


SHOP_FIELDS = (
    "name_zh",
    "name_en",
    "contact_phone",
    "contact_email",
    "brand_colour",
    "return_recipient",
    "return_phone",
    "return_address_zh",
    "return_address_en",
)


def _team():
    return db.session.scalars(
        select(User).where(User.tenant_id == current_tenant.id).order_by(User.role, User.name)
    ).all()


HOME_CAP = 999  # the console home counts this far, and shows "999+" beyond


def _needs_now() -> list[dict]:
    """What needs the signed-in agent now: each count with the link to the queue that lists it."""
    out = []
    for key, args in assignment.HOME_LINKS:
        stmt = cases_console.queue_query(MultiDict(args), current_user)
        count = db.session.scalar(cases_console.queue_count_query(stmt, HOME_CAP))
        out.append(
            {
                "key": key,
                "label": str(assignment.HOME_LABELS[key]),
                "count": count,
                "more": count > HOME_CAP,
                "url": url_for("cases_console.queue", **args),
            }
        )
    return out


@bp.get("/")
def home():
    return render_template(
        "console/home.html",
        needs=_needs_now(),
        cap=HOME_CAP,
        calendar_missing=business_calendar.missing_years_warning(current_tenant),
    )


@bp.route("/settings", methods=["GET", "POST"])
@roles_required("owner", "admin")
def shop_settings():
    """The shop's profile: the public pages, messages and return slips show these."""
    shop = current_tenant._get_current_object()
    form = ShopForm(obj=shop)
    if form.validate_on_submit():
        changed = {}
        for name in SHOP_FIELDS:
            value = " ".join((getattr(form, name).data or "").split())
            if value != getattr(shop, name):
                changed[name] = value
                setattr(shop, name, value)
        if changed:
            audit.record(shop.id, current_user, "shop.updated", shop, **changed)
            db.session.commit()
        flash(_("Shop settings saved."), "success")
        return redirect(url_for(".shop_settings"))
    return render_template("console/settings.html", form=form), 400 if form.errors else 200


@bp.route("/team", methods=["GET", "POST"])
def team():
    form = NewMemberForm()
    if current_user.can_manage and form.validate_on_submit():
        # The same answer whether or not the address has an account on some shop.
        accounts.add_staff_if_free(
            current_tenant,
            current_user,
            email=form.email.data,
            name=form.name.data,
            role=form.role.data,
            password=form.password.data,
        )
        db.session.commit()
        flash(
            _(
                "Done: the member is in the list below unless the address is already in use. "
                "Someone who already has an account needs another address."
            ),
            "success",
        )
        return redirect(url_for(".team"))
    return render_template(
        "console/team.html",
        members=_team(),
        form=form,
        auto_assign=assignment.auto_assign_on(current_tenant.id),
        available=assignment.available_ids(current_tenant.id),
    )


@bp.post("/team/<int:user_id>/availability")
def availability(user_id: int):
    """A member says whether they take new cases now (a manager may say so for anyone of the team)."""
    member = get_for_tenant_or_404(User, user_id)
    available = request.form.get("available") == "1"
    try:
        assignment.set_available(member, current_user, available)
    except assignment.AssignmentError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash(
            _("%(name)s takes new cases now.", name=member.name)
            if available
            else _("%(name)s takes no new cases for now.", name=member.name),
            "success",
        )
    return redirect(url_for(".team"))


@bp.post("/team/auto-assign")
@roles_required("owner", "admin")
def auto_assign():
    """The shop hands its new cases out in turn among the available members, or not."""
    on = request.form.get("auto_assign") == "1"
    assignment.set_auto_assign(current_tenant._get_current_object(), current_user, on)
    db.session.commit()
    flash(
        _("New cases are now handed out in turn among the available members.")
        if on
        else _("New cases are no longer handed out automatically."),
        "success",
    )
    return redirect(url_for(".team"))


@bp.route("/team/<int:user_id>", methods=["GET", "POST"])
def member(user_id: int):
    # Users are not TenantScoped (supervisors have none); the getter checks tenant_id itself.
    member = get_for_tenant_or_404(User, user_id)
    form = MemberForm(obj=member)
    if form.validate_on_submit():
        if not current_user.can_manage:
            abort(403)
        try:
            accounts.update_staff(
                current_tenant, current_user, member, role=form.role.data, is_enabled=form.is_enabled.data
            )
        except accounts.AccountError as exc:
            return refused(exc, url_for(".member", user_id=member.id))
        db.session.commit()
        flash(_("Changes saved."), "success")
        return redirect(url_for(".team"))
    return render_template("console/member.html", member=member, form=form)


@bp.get("/audit")
@roles_required("owner", "admin")
def audit_log():
    events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.created_at.desc()).limit(200)).all()
    return render_template(
        "console/audit.html", events=events, targets=audit.target_labels(events), action_label=audit.action_label
    )


@bp.get("/audit/<int:event_id>")
@roles_required("owner", "admin")
def audit_event(event_id: int):
    event = get_for_tenant_or_404(AuditEvent, event_id)
    return render_template(
        "console/audit_event.html",
        event=event,
        target=audit.target_labels([event])[event.id],
        action_label=audit.action_label,
        detail_rows=audit.detail_rows,
    )
