"""The shop's personal-data retention setting (PIPL): how long customers' data is kept after a case closes."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import IntegerField
from wtforms.validators import InputRequired, NumberRange

from saas.blueprints.access import roles_required, staff_only
from saas.extensions import db
from saas.services import retention
from tenants.resolver import current_tenant, pull_slug

bp = Blueprint("retention_console", __name__, url_prefix="/<slug>")
bp.url_value_preprocessor(pull_slug)


class RetentionForm(FlaskForm):
    retention_days = IntegerField(
        _l("Keep customers' personal data for (days after a case is closed)"),
        validators=[
            InputRequired(_l("Please enter a number of days.")),
            NumberRange(retention.MIN_DAYS, retention.MAX_DAYS, _l("Please enter between %(min)s and %(max)s days.")),
        ],
    )


@bp.route("/console/settings/retention", methods=["GET", "POST"])
@staff_only
def retention_settings():
    form = RetentionForm()
    if request.method == "GET":
        form.retention_days.data = current_tenant.retention_days
        return render_template("console/retention.html", form=form, can_edit=current_user.role == "owner")
    return _save_retention(form)


@roles_required("owner")
def _save_retention(form: RetentionForm):
    if not form.validate_on_submit():
        return render_template("console/retention.html", form=form, can_edit=True), 400
    retention.set_retention_days(current_tenant, current_user, form.retention_days.data)
    db.session.commit()
    flash(
        _(
            "Saved: personal data is anonymised %(days)s days after a case is closed.",
            days=current_tenant.retention_days,
        ),
        "success",
    )
    return redirect(url_for(".retention_settings"))
