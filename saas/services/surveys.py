"""Follow-up surveys: scheduled 3 working days after resolution, invited once, answered once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from saas.extensions import db
from saas.identifiers import new_token
from saas.locale import babel_locale
from saas.models.base import utcnow
from saas.models.case import Case
from saas.models.survey import LOW_SCORE, FollowUpTask, Survey
from saas.services import notifications
from saas.services.errors import ServiceError
from saas.services.policies import service_terms
from tenants.models import Tenant
from tenants.scoping import cross_tenant, tenant_context

INVITATION_LIFETIME = timedelta(days=30)


class SurveyError(ServiceError):
    MESSAGES = {
        "answered": _l("This survey has already been answered. Thank you!"),
        "expired": _l("This survey has closed."),
        "score": _l("Please choose a score from 1 to 5."),
    }


def _opted_out(case: Case) -> bool:
    return any(
        notifications.suppressed(case.tenant_id, "survey", address) for address in (case.mobile, case.email) if address
    )


def schedule(case: Case, resolved_at: datetime) -> Survey | None:
    """Due `survey_delay_working_days` (3) working days after the case was resolved, on the tenant's calendar."""
    if not (case.mobile or case.email) or _opted_out(case):
        return None
    terms, cal = service_terms(case)
    survey = Survey(
        tenant_id=case.tenant_id,
        case_id=case.id,
        token=new_token(),
        status="scheduled",
        due_at=cal.add_working_days(resolved_at, terms.survey_delay_working_days),
    )
    db.session.add(survey)
    db.session.flush()
    return survey


def cancel_pending(case: Case) -> int:
    """A reopened case: its invitation, if not yet sent, is cancelled."""
    pending = db.session.scalars(select(Survey).where(Survey.case_id == case.id, Survey.status == "scheduled")).all()
    for survey in pending:
        survey.status = "cancelled"
    db.session.flush()
    return len(pending)


def survey_link(token: str) -> str:
    return f"{current_app.config['PUBLIC_BASE_URL'].rstrip('/')}/s/{token}"


def invite(survey: Survey, now: datetime) -> int:
    """Send the invitation on the case's channels; the idempotency keys make a second call a no-op."""
    case = survey.case
    tenant = db.session.get(Tenant, case.tenant_id)
    if _opted_out(case):
        survey.status = "opted_out"
        return 0
    terms, _cal = service_terms(case)
    with force_locale(babel_locale(case.locale)):
        message = _("How satisfied are you with how we handled your case? Please rate us (1–5 stars).")
    params = {
        "case_number": case.number,
        "message": message,
        "link": survey_link(survey.token),
        "customer": case.customer_name,
    }
    sent = 0
    for channel, address, consent in (
        ("sms", case.mobile, case.sms_consent),
        ("email", case.email, case.email_consent),
    ):
        if address and consent and not notifications.suppressed(tenant.id, channel, address):
            if notifications.schedule_direct(
                tenant,
                key="survey_invitation",
                channel=channel,
                recipient=address,
                locale=case.locale,
                params=params,
                case=case,
                terms=terms,
                idempotency_key=f"survey:{survey.id}:{channel}",
            ):
                sent += 1
    survey.status, survey.invited_at, survey.expires_at = "invited", now, now + INVITATION_LIFETIME
    return sent


def sweep(now: datetime | None = None, batch: int = 500, end_batch: Callable[[], None] | None = None) -> int:
    """Invite every survey that is due; run by the worker's minute clock (and safe to run twice).

    After each batch `end_batch` runs: the job passes `db.session.commit` (one transaction per
    batch, which also releases the batch's row locks); by default the batch is only flushed.
    """
    now = now or utcnow()
    end_batch = end_batch or db.session.flush
    invited = 0
    last = 0
    while True:
        with cross_tenant("survey sweep"):
            surveys = db.session.scalars(
                select(Survey)
                .where(Survey.status == "scheduled", Survey.due_at <= now, Survey.id > last)
                .order_by(Survey.id)
                .limit(batch)
                .with_for_update(skip_locked=True)
            ).all()
        if not surveys:
            return invited
        for survey in surveys:
            with tenant_context(survey.tenant_id):
                invite(survey, now)
            invited += 1
            last = survey.id
        end_batch()


def find(token: str) -> Survey | None:
    if not token or len(token) > 64:
        return None
    with cross_tenant("survey link"):
        return db.session.scalar(select(Survey).where(Survey.token == token))


def answer(survey: Survey, score: int, comment: str, now: datetime | None = None) -> Survey:
    now = now or utcnow()
    if survey.status == "answered":
        raise SurveyError("answered")
    if survey.status != "invited" or (survey.expires_at and now > survey.expires_at):
        raise SurveyError("expired")
    if score not in range(1, 6):
        raise SurveyError("score")
    survey.score, survey.comment = score, comment.strip()[:2000]
    survey.status, survey.answered_at = "answered", now
    if score <= LOW_SCORE:
        db.session.add(
            FollowUpTask(
                tenant_id=survey.tenant_id,
                case_id=survey.case_id,
                survey_id=survey.id,
                reason=survey.comment,
                status="open",
            )
        )
    db.session.flush()
    return survey


def opt_out(survey: Survey) -> None:
    case = survey.case
    for address in (case.mobile, case.email):
        if address:
            notifications.suppress(case.tenant_id, "survey", address, "opted out of surveys")
    if survey.status in ("scheduled", "invited"):
        survey.status = "opted_out"
    db.session.flush()


def satisfaction(tenant_id: int, start: datetime | None = None, end: datetime | None = None) -> float | None:
    """Satisfaction out of 100 = mean score × 20 (None without answers)."""
    stmt = select(func.avg(Survey.score)).where(Survey.tenant_id == tenant_id, Survey.status == "answered")
    if start is not None:
        stmt = stmt.where(Survey.answered_at >= start)
    if end is not None:
        stmt = stmt.where(Survey.answered_at < end)
    mean = db.session.scalar(stmt)
    return round(float(mean) * 20, 1) if mean is not None else None
