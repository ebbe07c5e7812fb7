"""The customer's recall page (public, no account): the recall's notice and the customer's answer.

The link comes in the recall SMS (saas/services/recall_batches.py); the merchant's side is recalls_console.
"""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField
from wtforms.validators import InputRequired

from saas.extensions import db, limiter
from saas.forms import choices
from saas.i18n import current_lang
from saas.models.recall import Recall
from saas.services import recalls
from tenants.resolver import pull_slug

bp = Blueprint("recall_public", __name__, url_prefix="/<slug>")
bp.url_value_preprocessor(pull_slug)

ANSWER_LABELS = {
    "stopped": _l("I have stopped using it"),
    "refund": _l("I want a refund"),
}


def answer_label(key: str | None) -> str:
    return str(ANSWER_LABELS.get(key, key or ""))


class AnswerForm(FlaskForm):
    answer = RadioField(
        _l("Your answer"),
        choices=choices(ANSWER_LABELS.items()),
        validators=[InputRequired(_l("Please choose an answer."))],
    )


@bp.route("/recall/<token>", methods=["GET", "POST"])
@limiter.limit("30 per hour", methods=["POST"])
def answer(token: str):
    contact = recalls.find_contact(token)
    if contact is None:
        abort(404)
    recall = db.session.get(Recall, contact.recall_id)
    form = AnswerForm()
    if contact.answered_at is None and request.method == "POST" and form.validate_on_submit():
        recorded = recalls.answer(contact, form.answer.data)
        db.session.commit()
        return render_template(
            "public/recall_answer_done.html",
            recall=recall,
            contact=contact,
            already=not recorded,
            answer_label=answer_label,
        )
    if contact.answered_at is not None:
        return render_template(
            "public/recall_answer_done.html", recall=recall, contact=contact, already=True, answer_label=answer_label
        )
    return render_template(
        "public/recall_answer.html", recall=recall, contact=contact, form=form, order=contact.order, lang=current_lang()
    ), 400 if request.method == "POST" else 200
