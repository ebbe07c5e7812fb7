"""One form per agent action on a case: the fields it shows (in words), whether it is offered, the service call.

The case page renders every offered form from its class and `cases_console.case_action` posts to the one
named in the URL. The business rules (which status allows what, required reasons, amounts) stay in
`saas.services.cases` (lowering an emergency: `case_emergency`), whose refusals the view shows; a form only
declares and tidies its fields.
"""

from __future__ import annotations

from typing import ClassVar

from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from markupsafe import Markup, escape
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import Length
from wtforms.widgets import html_params

from saas.forms import choices
from saas.i18n import current_lang
from saas.input_guard import CUSTOMER_TEXT_MAX, NOTE_MAX
from saas.models.case import INVOICE_CHOICES, RESOLUTION_KINDS, RESPONSIBILITIES, Case
from saas.models.user import User
from saas.services import assignment, case_emergency, cases, reasons
from saas.services.case_messages import staff_label
from tenants.scoping import current_tenant_id

TOO_LONG = _l("A text you entered is too long: at most %(max)d characters. Please shorten it and try again.")


def _tidy(value) -> str:
    return (value or "").strip()


# What the customer reads (by SMS too) is kept short; notes on the case may be longer. Length() renders maxlength.
def _text(label, placeholder=None, max_chars: int = NOTE_MAX, **kw) -> StringField:
    """A one-line input; its label is its aria-label, and its placeholder unless one is given."""
    kw = {**kw, **({"placeholder": placeholder} if placeholder else {})}
    return StringField(
        label, filters=[_tidy], validators=[Length(max=max_chars, message=TOO_LONG)], render_kw=kw or None
    )


def _area(label, placeholder=None, max_chars: int = NOTE_MAX) -> TextAreaField:
    kw = {"rows": 2, **({"placeholder": placeholder} if placeholder else {})}
    return TextAreaField(label, filters=[_tidy], validators=[Length(max=max_chars, message=TOO_LONG)], render_kw=kw)


def _choice(label) -> SelectField:
    # Unknown values reach the service, which refuses them in its own words.
    return SelectField(label, choices=[], validate_choice=False, filters=[_tidy])


class GroupedSelect:
    """A select of `field.groups`, [(group name or None, [(value, label)])]: a group is an <optgroup>, None
    plain options; a first empty option asks for a choice. (WTForms groups every option or none.)"""

    def __call__(self, field, **kwargs):
        kwargs.setdefault("id", field.id)
        chosen = field.data or ""

        def option(value, text):
            return Markup("<option %s>%s</option>") % (Markup(html_params(value=value, selected=value == chosen)), text)

        html = [
            Markup("<select %s>") % Markup(html_params(name=field.name, required=True, **kwargs)),
            option("", field.prompt),
        ]
        for group, items in getattr(field, "groups", []):
            options = Markup("").join(option(value, text) for value, text in items)
            html.append(Markup('<optgroup label="%s">%s</optgroup>') % (escape(group), options) if group else options)
        html.append(Markup("</select>"))
        return Markup("").join(html)


def _files() -> MultipleFileField:
    return MultipleFileField(_l("Attach files"))


class ActionForm(FlaskForm):
    """An action's form: `action` is its URL segment, `title` its button."""

    action: ClassVar[str]
    title: ClassVar = ""
    button_class: ClassVar[str] = ""

    @classmethod
    def offered(cls, case: Case) -> bool:
        return cases.can(case, cls.action)

    def prepare(self, case: Case) -> None:
        """Fill in what the empty form shows for this case (nothing, for most)."""

    def files(self) -> list:
        return list(self.evidence.data or []) if "evidence" in self else []

    def run(self, case: Case, user: User) -> None:
        raise NotImplementedError

    def done(self, case: Case) -> str | None:
        """What the flash says once the action is done (None: the case's new status)."""
        return None


class Claim(ActionForm):
    action, title = "claim", _l("Claim this case")

    @classmethod
    def offered(cls, case):
        return case.is_open and case.assignee_id is None

    def run(self, case, user):
        self.event = assignment.claim(case, user)

    def done(self, case):
        return assignment.describe(self.event)


class Assign(ActionForm):
    """A manager gives the case to a team member (or to nobody)."""

    action, title, button_class = "assign", _l("Assign"), "secondary"
    assignee = _choice(_l("Assign to"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        tenant_id = getattr(current_user, "tenant_id", None)
        members = assignment.assignable(tenant_id) if tenant_id is not None else []
        self.assignee.choices = choices([("none", _l("Nobody (unassigned)"))] + [(str(u.id), u.name) for u in members])

    @classmethod
    def offered(cls, case):
        return case.is_open and bool(getattr(current_user, "can_manage", False))  # no one signed in: not offered

    def prepare(self, case):
        self.assignee.data = str(case.assignee_id) if case.assignee_id else "none"

    def run(self, case, user):
        self.event = assignment.assign(case, user, self.assignee.data)

    def done(self, case):
        return assignment.describe(self.event)


class Accept(ActionForm):
    action, title = "accept", _l("Accept")

    def run(self, case, user):
        cases.accept(case, user)


class RequestInfo(ActionForm):
    action, title, button_class = "request_info", _l("Ask for information"), "secondary"
    detail = _text(_l("What do you need?"), max_chars=CUSTOMER_TEXT_MAX)

    def run(self, case, user):
        cases.request_info(case, user, self.detail.data)


class RequestReturn(ActionForm):
    action, title, button_class = "request_return", _l("Ask for the goods back"), "secondary"

    def run(self, case, user):
        cases.request_return(case, user)


class MarkReturnReceived(ActionForm):
    action, title = "mark_return_received", _l("Return received")
    note = _text(_l("Note (internal)"))

    def run(self, case, user):
        cases.mark_return_received(case, user, self.note.data)


class MarkInspected(ActionForm):
    action, title = "mark_inspected", _l("Inspected")
    note = _text(_l("Inspection result (internal)"))

    def run(self, case, user):
        cases.mark_inspected(case, user, self.note.data)


class Verify(ActionForm):
    """Responsibility, with the case's reason from the shop's list (required: every verified case is counted
    under a reason in the reports)."""

    action, title = "verify", _l("Record responsibility")
    responsibility = _choice(_l("Responsibility"))
    reason_code = SelectField(_l("Reason"), choices=[], validate_choice=False, filters=[_tidy], widget=GroupedSelect())
    basis = _text(_l("Evidence and reasoning"))
    clause = _text(_l("Policy clause"), max_chars=200)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.responsibility.choices = choices((r, staff_label(r)) for r in RESPONSIBILITIES)
        tenant_id = current_tenant_id()
        self.reason_code.groups = reasons.offered(tenant_id, current_lang()) if tenant_id is not None else []
        self.reason_code.prompt = _l("Reason: please choose")

    def run(self, case, user):
        cases.verify(
            case,
            user,
            self.responsibility.data,
            self.basis.data,
            self.clause.data,
            reason_code=self.reason_code.data or "",
        )


class Propose(ActionForm):
    action, title = "propose", _l("Propose a resolution")
    kind = _choice(_l("Resolution"))
    amount = _text(_l("Amount (yuan)"), max_chars=20, inputmode="decimal")
    repair_days = _text(_l("Repair working days"), max_chars=3, inputmode="numeric")
    invoice = _choice(_l("Invoice"))
    detail = _text(_l("Details for the customer"), max_chars=CUSTOMER_TEXT_MAX)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = choices((k, staff_label(k)) for k in RESOLUTION_KINDS)
        self.invoice.choices = choices(
            [("", _l("Invoice: by resolution"))] + [(i, staff_label(i)) for i in INVOICE_CHOICES]
        )

    def run(self, case, user):
        days = self.repair_days.data
        cases.propose(
            case,
            user,
            self.kind.data,
            amount=self.amount.data or None,
            repair_days=int(days) if days.isascii() and days.isdigit() else None,
            detail=self.detail.data,
            invoice=self.invoice.data or None,
        )


class Execute(ActionForm):
    action, title = "execute", _l("Carry out the proposal")
    tracking = _text(_l("Replacement tracking number"), max_chars=64)
    report = _text(_l("Repair test report"))
    evidence = _files()

    def run(self, case, user):
        cases.execute(case, user, tracking=self.tracking.data, report=self.report.data)


class Reject(ActionForm):
    action, title, button_class = "reject", _l("Reject"), "secondary"
    reason = _text(_l("Reason for the customer"), max_chars=CUSTOMER_TEXT_MAX)

    def run(self, case, user):
        cases.reject(case, user, self.reason.data)


class Escalate(ActionForm):
    action, title, button_class = "escalate", _l("Escalate to the manager"), "secondary"
    note = _text(_l("Why escalate (internal)"))

    def run(self, case, user):
        cases.escalate(case, user, self.note.data)


class LowerEmergency(ActionForm):
    action, title, button_class = "lower_emergency", _l("Lower the emergency"), "secondary"
    reason = _text(_l("Why it is not a food-safety emergency"), max_chars=CUSTOMER_TEXT_MAX)

    @classmethod
    def offered(cls, case):
        return case.emergency

    def run(self, case, user):
        case_emergency.lower_emergency(case, user, self.reason.data)


class Close(ActionForm):
    action, title = "close", _l("Close the case")

    def run(self, case, user):
        cases.close(case, user)


class Reopen(ActionForm):
    action, title, button_class = "reopen", _l("Reopen"), "secondary"
    reason = _text(_l("Why reopen (internal)"), max_chars=CUSTOMER_TEXT_MAX)

    def run(self, case, user):
        cases.reopen(case, user, self.reason.data)


class Message(ActionForm):
    action, title = "message", _l("Send to the customer")
    message = _area(_l("Message to the customer"), max_chars=CUSTOMER_TEXT_MAX)
    evidence = _files()

    @classmethod
    def offered(cls, case):
        return True

    def run(self, case, user):
        cases.message_customer(case, user, self.message.data)


class Note(ActionForm):
    action, title, button_class = "note", _l("Add internal note"), "secondary"
    note = _area(_l("Internal note"), placeholder=_l("Internal note (never shown to the customer)"))

    @classmethod
    def offered(cls, case):
        return True

    def run(self, case, user):
        cases.add_note(case, user, self.note.data)


# In the order the case page shows them.
ACTIONS: dict[str, type[ActionForm]] = {
    form.action: form
    for form in (
        Claim,
        Accept,
        RequestInfo,
        RequestReturn,
        MarkReturnReceived,
        MarkInspected,
        Verify,
        Propose,
        Execute,
        Reject,
        Escalate,
        LowerEmergency,
        Close,
        Reopen,
        Message,
        Note,
        Assign,
    )
}


def offered(case: Case) -> list[ActionForm]:
    """The forms for the actions this case allows now, empty, for the case page."""
    forms = [form() for form in ACTIONS.values() if form.offered(case)]
    for form in forms:
        form.prepare(case)
    return forms


def refusals(form: ActionForm) -> list[str]:
    """A form's own validation errors, each with its field's words."""
    return [
        f"{form[name].label.text}: {error}"
        for name, errors in form.errors.items()
        if name != "csrf_token"
        for error in errors
    ]
