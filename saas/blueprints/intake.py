"""Consumer intake at /<slug>/cases/new: the form, the eligibility check before submitting, the confirmation."""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, DecimalField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from saas import evidence
from saas.extensions import db, limiter
from saas.forms import ContactFields, choices, contact_fields, in_the_past
from saas.input_guard import int_list
from saas.locale import current_lang, current_locale, pick
from saas.models.case import EXPECTED_RESOLUTIONS
from saas.models.order import CHANNELS
from saas.services import case_evidence, case_intake, intake_uploads
from saas.services.case_messages import label
from saas.services.intake_uploads import Kept
from tenants.categories import CATEGORIES
from tenants.resolver import current_tenant, pull_slug

bp = Blueprint("intake", __name__, url_prefix="/<slug>/cases")
bp.url_value_preprocessor(pull_slug)

CONSUMER_PROBLEMS = ("quality", "return_exchange", "complaint", "consultation")


def _label_choices(keys):
    return lambda: choices((k, label(k)) for k in keys)


class IntakeForm(ContactFields, FlaskForm):
    order_number = StringField(
        _l("Order number"), validators=[DataRequired(_l("Please enter the order number.")), Length(max=64)]
    )
    customer_name = StringField(
        _l("Your name"), validators=[DataRequired(_l("Please enter your name.")), Length(max=80)]
    )
    mobile, email = contact_fields()
    purchase_channel = SelectField(_l("Where you bought it"))
    problem_type = SelectField(_l("What is the problem?"))
    food_safety = BooleanField(_l("This is a food safety problem (spoiled, mould, foreign object, someone fell ill)"))
    description = TextAreaField(
        _l("Describe the problem"), validators=[DataRequired(_l("Please describe the problem.")), Length(max=2000)]
    )
    expected_resolution = SelectField(_l("What would you like us to do?"))
    purchase_date = DateField(_l("Purchase date"), validators=[Optional(), in_the_past()])
    delivery_date = DateField(
        _l("Delivery date (leave empty if not delivered yet)"), validators=[Optional(), in_the_past()]
    )
    # Not rendered once the order is found (its lines give the category): checked in validate_category
    # and, for an order we do not know, in the view.
    category = SelectField(_l("Product category"), validate_choice=False)
    item_price = DecimalField(
        _l("Price paid (yuan)"), places=2, validators=[Optional(), NumberRange(min=0, max=10_000_000)]
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.purchase_channel.choices = _label_choices(CHANNELS)()
        self.problem_type.choices = _label_choices(CONSUMER_PROBLEMS)()
        self.expected_resolution.choices = _label_choices(EXPECTED_RESOLUTIONS)()
        self.category.choices = choices((k, pick(c.zh, c.en)) for k, c in CATEGORIES.items())

    def validate_category(self, field):
        if field.data is not None and field.data not in CATEGORIES:
            raise ValidationError(_l("Please choose a product category from the list."))

    def validate_delivery_date(self, field):
        if field.data and self.purchase_date.data and field.data < self.purchase_date.data:
            raise ValidationError(_l("The delivery date cannot be before the purchase date."))

    def intake(self, line_ids: list[int]) -> case_intake.Intake:
        return case_intake.Intake(
            order_number=self.order_number.data.strip(),
            customer_name=self.customer_name.data.strip(),
            mobile=self.mobile.data or "",
            email=self.email.data or "",
            purchase_channel=self.purchase_channel.data,
            problem_type=self.problem_type.data,
            description=self.description.data,
            expected_resolution=self.expected_resolution.data,
            purchase_date=self.purchase_date.data,
            delivery_date=self.delivery_date.data,
            category=self.category.data or "general",
            item_price=self.item_price.data,
            line_ids=line_ids,
            emergency=bool(self.food_safety.data),
            locale=current_locale(),
        )


def _intake_limit() -> str:
    return current_app.config["RATELIMIT_INTAKE"]


@bp.route("/new", methods=["GET", "POST"])
@limiter.limit(_intake_limit, methods=["POST"])
def new():
    form = IntakeForm()
    order = judgement = None
    file_errors: list[str] = []
    batch, kept = "", []
    if request.method == "POST":
        batch, kept, file_errors = _carry_files()
    if request.method == "POST" and form.validate_on_submit():
        line_ids = int_list(request.form.getlist("line_ids"))
        intake = form.intake(line_ids)
        order = case_intake.find_order(current_tenant, intake.order_number, intake.mobile, intake.email)
        if order is None and form.purchase_date.data is None:
            form.purchase_date.errors = [
                _("We could not find this order with the contact you gave. Please enter the purchase date.")
            ]
        elif order is None and not form.category.data:
            form.category.errors = [_("Please choose a product category from the list.")]
        else:
            judgement = case_intake.judge_intake(current_tenant, intake, order)
            if request.form.get("action") == "submit" and not file_errors:
                try:
                    checked = case_evidence.check_files(intake_uploads.reopen(current_tenant.id, batch, kept))
                except case_evidence.EvidenceRefused as exc:
                    file_errors = [exc.message(current_lang())]
                else:
                    case = case_intake.file_case(current_tenant, intake, prejudged=(order, judgement))
                    case_evidence.attach(case, checked, uploaded_by="consumer")
                    case_id, number = case.id, case.number  # the commit expires the row
                    db.session.commit()
                    _forget_batch(batch)
                    remember_case(case_id)
                    session["just_filed"] = case_id
                    return redirect(url_for("tracking.case_page", number=number))
    return render_template(
        "public/intake.html",
        form=form,
        order=order,
        judgement=judgement,
        file_errors=file_errors,
        kept=kept,
        batch=batch,
        lang=current_lang(),
    )


_BATCHES = "intake_uploads"  # session: the batch ids of kept files this browser wrote
_MAX_BATCHES = 3


def _carry_files() -> tuple[str, list[Kept], list[str]]:
    """The files kept from earlier renderings of the form (those still ticked) plus the ones chosen now.

    Files chosen now are checked at once, so a refusal is told before the consumer goes on; accepted
    ones are kept provisionally (see services/intake_uploads.py) under this form's batch id.
    """
    batches = [b for b in session.get(_BATCHES, []) if isinstance(b, str)]
    batch = request.form.get("upload_batch", "")
    kept: list[Kept] = []
    if intake_uploads.valid_batch_id(batch) and batch in batches:
        kept = intake_uploads.retain(current_tenant.id, batch, set(request.form.getlist("keep_upload")))
    else:
        batch = ""
    chosen = [f for f in request.files.getlist("evidence") if f is not None and f.filename]
    errors: list[str] = []
    if chosen:
        try:
            evidence.check_count(len(kept) + len(chosen))
            checked = case_evidence.check_files(chosen)
        except case_evidence.EvidenceRefused as exc:
            errors = [exc.message(current_lang())]
        else:
            if not batch:
                batch = intake_uploads.new_batch_id()
                session[_BATCHES] = ([b for b in batches if b != batch] + [batch])[-_MAX_BATCHES:]
            kept = intake_uploads.keep(current_tenant.id, batch, checked)
    return batch, kept, errors


def _forget_batch(batch: str) -> None:
    if batch:
        intake_uploads.discard(current_tenant.id, batch)
        session[_BATCHES] = [b for b in session.get(_BATCHES, []) if b != batch]


def remember_case(case_id: int) -> None:
    """The consumer proved ownership of this case in this browser session."""
    tracked = [cid for cid in session.get("tracked", []) if cid != case_id]
    session["tracked"] = (tracked + [case_id])[-20:]
