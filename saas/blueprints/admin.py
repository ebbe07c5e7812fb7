"""The platform operator's desk."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from wtforms import IntegerField
from wtforms.validators import NumberRange, Optional

from saas.blueprints.access import require_role
from saas.extensions import db
from saas.i18n import current_lang
from saas.models.user import User
from saas.services import business_calendar, calendar_import
from tenants.models import Tenant

bp = Blueprint("admin", __name__, url_prefix="/admin")
bp.before_request(require_role("operator"))


@bp.get("/")
def home():
    staff_counts = dict(
        db.session.execute(
            select(User.tenant_id, func.count(User.id)).where(User.tenant_id.is_not(None)).group_by(User.tenant_id)
        ).all()
    )
    tenants = db.session.scalars(select(Tenant).order_by(Tenant.slug)).all()
    supervisors = db.session.scalars(select(User).where(User.role == "supervisor").order_by(User.name)).all()
    return render_template(
        "admin/home.html",
        tenants=tenants,
        staff_counts=staff_counts,
        supervisors=supervisors,
        calendar_missing=business_calendar.missing_years_warning(None),
    )


class CalendarImportForm(FlaskForm):
    file = FileField(
        _l("Calendar file (CSV or JSON)"),
        validators=[
            FileRequired(_l("Please choose a CSV or JSON file.")),
            FileAllowed(["csv", "json"], _l("Please upload a .csv or .json file.")),
        ],
    )
    year = IntegerField(
        _l("Year (optional, checked against the file)"),
        validators=[Optional(), NumberRange(calendar_import.MIN_YEAR, calendar_import.MAX_YEAR)],
    )


def _calendar_page(form: CalendarImportForm, result: calendar_import.ImportResult | None = None, status: int = 200):
    country = business_calendar.DEFAULT_COUNTRY
    imported = business_calendar.imported_years()
    days = {y.id: business_calendar.overrides_of(y.country, y.year) for y in imported}
    return render_template(
        "admin/calendar.html",
        form=form,
        result=result,
        lang=current_lang(),
        country=country,
        package_years=business_calendar.package_years(country),
        imported=imported,
        days=days,
        missing=business_calendar.missing_years_warning(None),
    ), status


@bp.route("/calendar", methods=["GET", "POST"])
def calendar():
    form = CalendarImportForm()
    if not form.is_submitted():
        return _calendar_page(form)
    if not form.validate():
        return _calendar_page(form, status=400)
    upload = form.file.data
    try:
        result = calendar_import.import_arrangement(
            upload.stream.read(calendar_import.MAX_BYTES + 1),
            upload.filename or "",
            year=form.year.data,
            imported_by=current_user.email,
        )
        if not result.ok:
            db.session.rollback()
            return _calendar_page(form, result, status=422)
        db.session.commit()
    except IntegrityError:
        # Someone imported the same year at the same moment; theirs stands.
        db.session.rollback()
        flash(
            _("This year was imported by someone else just now. Nothing was imported; please check and try again."),
            "error",
        )
        return redirect(url_for(".calendar"))
    flash(
        _(
            "Imported the %(country)s calendar for %(year)s: %(days)s days (%(off)s days off, "
            "%(working)s adjusted working days).",
            country=result.country,
            year=result.year,
            days=len(result.days),
            off=result.days_off,
            working=result.working_days,
        ),
        "success",
    )
    for note in result.notes:
        flash(note.message(current_lang()), "info")
    return redirect(url_for(".calendar"))
