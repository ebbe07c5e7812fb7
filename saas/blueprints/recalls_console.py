"""Recalls (召回): owners and admins start one from a confirmed food-safety emergency case and follow it;
customers answer on a public page reached from the SMS / email link.

Routes (blueprint ``recalls_console``, all under ``/<slug>``):

* ``GET  /console/recalls``                          list_recalls   (all staff)
* ``GET|POST /console/cases/<case_id>/recall``        new_recall     (owner / admin)
* ``GET  /console/recalls/<recall_id>``               recall_detail  (all staff)
* ``POST /console/recalls/<recall_id>/resume``        resume_recall  (owner / admin)
* ``GET|POST /recall/<token>``                        answer         (public: the customer's link)
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import DateField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from saas.blueprints.access import roles_required, staff_only
from saas.blueprints.recall_public import answer_label
from saas.extensions import db
from saas.forms import PlainForm, in_the_past
from saas.i18n import current_lang
from saas.models.case import Case
from saas.models.recall import Recall
from saas.services import audit, recalls
from tenants.resolver import current_tenant, pull_slug
from tenants.scoping import get_for_tenant_or_404

bp = Blueprint("recalls_console", __name__, url_prefix="/<slug>")
bp.url_value_preprocessor(pull_slug)

MANAGERS = ("owner", "admin")


class RecallForm(FlaskForm):
    sku = StringField(_l("SKU"), validators=[InputRequired(_l("Please enter the SKU to recall.")), Length(max=64)])
    batch = StringField(_l("Batch (optional, told to customers)"), validators=[Optional(), Length(max=64)])
    purchased_from = DateField(_l("Bought from (optional)"), validators=[Optional(), in_the_past()])
    purchased_to = DateField(_l("Bought until (optional)"), validators=[Optional(), in_the_past()])
    reason_zh = TextAreaField(_l("Reason, in Chinese"), validators=[Length(max=recalls.MAX_REASON)])
    reason_en = TextAreaField(_l("Reason, in English"), validators=[Length(max=recalls.MAX_REASON)])


@bp.context_processor
def _helpers():
    return {"answer_label": answer_label, "lang": current_lang()}


# ---------- console ----------------------------------------------------------


@bp.get("/console/recalls")
@staff_only
def list_recalls():
    rows = db.session.scalars(select(Recall).order_by(Recall.id.desc()).limit(200)).all()
    return render_template("console/recalls/list.html", recalls=rows)


@bp.route("/console/cases/<int:case_id>/recall", methods=["GET", "POST"])
@staff_only
@roles_required(*MANAGERS)
def new_recall(case_id: int):
    case = get_for_tenant_or_404(Case, case_id)
    refusal = recalls.refusal(case)
    skus = recalls.case_skus(case)
    form = RecallForm()
    if request.method == "GET" and not form.sku.data and skus:
        form.sku.data = skus[0][0]
    existing = db.session.scalars(select(Recall).where(Recall.case_id == case.id).order_by(Recall.id.desc())).all()
    status = 200
    if request.method == "POST":
        if refusal:
            flash(recalls.RecallError(refusal).message, "error")
            status = 409
        elif form.validate_on_submit():
            req = recalls.RecallRequest(
                sku=form.sku.data,
                batch=form.batch.data or "",
                purchased_from=form.purchased_from.data,
                purchased_to=form.purchased_to.data,
                reason_zh=form.reason_zh.data or "",
                reason_en=form.reason_en.data or "",
            )
            try:
                recall = recalls.start(current_tenant, case, current_user._get_current_object(), req)
            except recalls.RecallError as exc:
                db.session.rollback()
                flash(exc.message, "error")
                status = 409 if exc.code in ("not_emergency", "not_confirmed", "duplicate") else 400
            else:
                db.session.commit()
                flash(
                    _("Recall started: %(n)s orders will be notified in the background.", n=recall.customers_expected),
                    "success",
                )
                return redirect(url_for(".recall_detail", recall_id=recall.id))
        else:
            status = 400
    return render_template(
        "console/recalls/new.html",
        case=case,
        form=form,
        refusal=refusal,
        skus=skus,
        refusal_message=recalls.RecallError(refusal).message if refusal else "",
        existing=existing,
    ), status


@bp.get("/console/recalls/<int:recall_id>")
@staff_only
def recall_detail(recall_id: int):
    recall = get_for_tenant_or_404(Recall, recall_id)
    return render_template(
        "console/recalls/detail.html",
        recall=recall,
        stats=recalls.stats(recall),
        answered=recalls.answered_contacts(recall),
        form=PlainForm(),
    )


@bp.post("/console/recalls/<int:recall_id>/resume")
@staff_only
@roles_required(*MANAGERS)
def resume_recall(recall_id: int):
    recall = get_for_tenant_or_404(Recall, recall_id)
    if not PlainForm().validate_on_submit():
        abort(400)
    if recalls.resume(recall):
        audit.record(current_tenant.id, current_user, "recall.resume", recall, cursor=recall.cursor_order_id)
        db.session.commit()
        flash(_("The recall continues from where it stopped."), "success")
    else:
        flash(_("This recall is finished."), "error")
    return redirect(url_for(".recall_detail", recall_id=recall.id))
