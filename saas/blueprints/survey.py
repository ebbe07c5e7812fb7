"""The follow-up survey at /s/<token>: rate 1–5 stars, confirm, done; or opt out."""

from __future__ import annotations

from flask import Blueprint, abort, g, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, TextAreaField
from wtforms.validators import InputRequired, Length

from saas.extensions import db, limiter
from saas.forms import choices
from saas.models.base import utcnow
from saas.services import surveys
from tenants.models import Tenant
from tenants.scoping import bind_tenant

bp = Blueprint("survey", __name__, url_prefix="/s")


class SurveyForm(FlaskForm):
    score = RadioField(
        _l("Your rating"),
        choices=choices((str(n), "★" * n) for n in range(5, 0, -1)),
        validators=[InputRequired(_l("Please choose from 1 to 5 stars."))],
    )
    comment = TextAreaField(_l("Anything you would like to tell us? (optional)"), validators=[Length(max=2000)])


def _survey(token: str):
    survey = surveys.find(token)
    if survey is None:
        abort(404)
    # The page carries the shop's brand; reads below stay inside its tenant.
    g.tenant = db.session.get(Tenant, survey.tenant_id)
    g.tenant_token = bind_tenant(survey.tenant_id)
    return survey


@bp.route("/<token>", methods=["GET", "POST"])
@limiter.limit("30 per hour", methods=["POST"])
def answer(token: str):
    survey = _survey(token)
    if survey.status == "answered":
        return render_template("public/survey_done.html", survey=survey, already=True)
    if survey.status != "invited" or (survey.expires_at and utcnow() > survey.expires_at):
        return render_template("public/survey_closed.html", survey=survey), 410
    form = SurveyForm()
    # Two steps: a link scanner that GETs or even POSTs once never records an answer.
    if request.method == "POST" and form.validate_on_submit():
        if request.form.get("confirm") != "yes":
            return render_template("public/survey_confirm.html", survey=survey, form=form)
        surveys.answer(survey, int(form.score.data), form.comment.data or "")
        db.session.commit()
        return render_template("public/survey_done.html", survey=survey, already=False)
    return render_template("public/survey.html", survey=survey, form=form)


@bp.post("/<token>/opt-out")
def opt_out(token: str):
    survey = _survey(token)
    if not FlaskForm().validate_on_submit():
        abort(400)
    surveys.opt_out(survey)
    db.session.commit()
    return render_template("public/survey_closed.html", survey=survey, opted_out=True)
