"""The shop's list of case reasons (售后原因), kept by its managers: add, rename, reorder, (de)activate."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.exc import IntegrityError
from wtforms import SelectField, StringField
from wtforms.validators import Length

from saas.blueprints.access import require_tenant_staff, roles_required
from saas.extensions import db
from saas.forms import choices
from saas.i18n import current_lang
from saas.input_guard import InputRefused, form_text
from saas.models.reason import CODE_MAX, NAME_MAX
from saas.services import reasons
from tenants.resolver import current_tenant, pull_slug

bp = Blueprint("reasons_console", __name__, url_prefix="/<slug>/console")
bp.url_value_preprocessor(pull_slug)
bp.before_request(require_tenant_staff)

NAME_TOO_LONG = _l("A reason's name has at most %(max)d characters.")


def _tidy(value) -> str:
    return " ".join((value or "").split())


class AddReasonForm(FlaskForm):
    name_zh = StringField(
        _l("Name (Chinese)"), filters=[_tidy], validators=[Length(max=NAME_MAX, message=NAME_TOO_LONG)]
    )
    name_en = StringField(
        _l("Name (English, optional)"), filters=[_tidy], validators=[Length(max=NAME_MAX, message=NAME_TOO_LONG)]
    )
    parent = SelectField(_l("Place"), choices=[], validate_choice=False)
    code = StringField(
        _l("Code (optional)"),
        filters=[lambda v: (v or "").strip().lower()],
        validators=[Length(max=CODE_MAX, message=_l("A code has at most %(max)d characters."))],
        render_kw={
            "placeholder": _l("Made from the English name when left empty"),
            "autocapitalize": "off",
            "spellcheck": "false",
        },
    )


def _page(form: AddReasonForm, status: int = 200):
    lang = current_lang()
    groups = reasons.tree(current_tenant)
    form.parent.choices = choices(
        [("", _l("Top level"))]
        + [
            (g.reason.code, _("Under %(name)s", name=g.reason.name(lang)))
            for g in groups
            if g.reason.parent_code is None
        ]
    )
    return render_template("console/reasons.html", groups=groups, form=form, lang=lang), status


@bp.get("/reasons")
@roles_required("owner", "admin")
def list_reasons():
    return _page(AddReasonForm())


@bp.post("/reasons")
@roles_required("owner", "admin")
def add_reason():
    form = AddReasonForm()
    if form.validate_on_submit():
        try:
            reason = reasons.add(
                current_tenant,
                current_user,
                name_zh=form.name_zh.data,
                name_en=form.name_en.data,
                parent_code=form.parent.data,
                code=form.code.data,
            )
            db.session.commit()
        except reasons.ReasonError as exc:
            db.session.rollback()
            getattr(form, exc.field if exc.field in form else "name_zh").errors.append(exc.message)
        except IntegrityError:  # the same code added by someone else at the same moment
            db.session.rollback()
            form.code.errors.append(reasons.ReasonError("code_taken").message)
        else:
            flash(
                _("Reason added: %(name)s (code %(code)s).", name=reason.name(current_lang()), code=reason.code),
                "success",
            )
            return redirect(url_for(".list_reasons") + f"#reason-{reason.id}")
    flash(_("The reason was not added: please see the message under “Add a reason”."), "error")
    return _page(form, 400)


def _reason(reason_id: int):
    reason = reasons.get(current_tenant, reason_id)
    if reason is None:
        abort(404)
    return reason


@bp.post("/reasons/<int:reason_id>")
@roles_required("owner", "admin")
def change_reason(reason_id: int):
    """One row's buttons: save its names, move it up or down, take it out of use or back."""
    reason = _reason(reason_id)
    do = request.form.get("do", "")
    try:
        if do == "rename":
            changed = reasons.rename(
                current_tenant,
                current_user,
                reason,
                name_zh=form_text(request.form, "name_zh", NAME_MAX),
                name_en=form_text(request.form, "name_en", NAME_MAX),
            )
            done = _("Names saved; the code %(code)s stays.", code=reason.code) if changed else _("Nothing changed.")
        elif do in ("up", "down"):
            reasons.move(current_tenant, current_user, reason, -1 if do == "up" else 1)
            done = _("Order saved.")
        elif do in ("deactivate", "reactivate"):
            reasons.set_active(current_tenant, current_user, reason, do == "reactivate")
            done = (
                _("%(name)s is offered at verification again.", name=reason.name(current_lang()))
                if reason.active
                else _("%(name)s is no longer offered; cases that have it keep it.", name=reason.name(current_lang()))
            )
        else:
            abort(400)
    except InputRefused:
        db.session.rollback()
        flash(str(NAME_TOO_LONG) % {"max": NAME_MAX}, "error")
    except reasons.ReasonError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash(done, "success")
    return redirect(url_for(".list_reasons") + f"#reason-{reason.id}")
