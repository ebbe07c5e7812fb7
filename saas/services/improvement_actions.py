"""Improvement actions (§7): what the team commits to against a problem of the review pack, who owns it and by
when; an action stays open, carried from pack to pack, until someone marks it done."""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from saas.extensions import db
from saas.input_guard import CONTROL_CHARS
from saas.models.base import utcnow
from saas.models.review import ImprovementAction
from saas.models.user import User
from saas.services.errors import ServiceError
from tenants.clock import shop_today
from tenants.models import Tenant

DESCRIPTION_MAX = 500
PROBLEM_MAX = 200
MAX_DUE_DAYS = 366
STAFF_ROLES = ("owner", "admin", "agent")


class ActionError(ServiceError):
    MESSAGES = {
        "description": _l("Please describe the action."),
        "description_long": _l("The action is too long: at most %(max)d characters."),
        "problem": _l("Please choose the problem the action is about."),
        "problem_long": _l("The problem's name is too long: at most %(max)d characters."),
        "control": _l("The text contains invisible control characters (such as NUL); please remove them."),
        "owner": _l("Please choose who owns the action from the shop's team."),
        "due": _l("Please enter the due date as YYYY-MM-DD."),
        "due_past": _l("The due date cannot be in the past."),
        "due_far": _l("The due date must be within a year."),
        "done": _l("This action is already done."),
    }


def problem_key(p) -> str:
    """What an action is recorded against: a top problem's product and phrase, as the pack page sends it."""
    return f"{p.product}|{p.phrase}"[:PROBLEM_MAX]


def team(tenant: Tenant) -> list[User]:
    """Who can own an action: the shop's enabled staff."""
    return list(
        db.session.scalars(
            select(User)
            .where(User.tenant_id == tenant.id, User.role.in_(STAFF_ROLES), User.is_enabled.is_(True))
            .order_by(User.name)
        )
    )


def _text(value: str | None, empty: str, long: str, limit: int) -> str:
    text = (value or "").strip()
    if CONTROL_CHARS.search(text):
        raise ActionError("control")
    if not text:
        raise ActionError(empty)
    if len(text) > limit:
        raise ActionError(long, max=limit)
    return text


def parse_due(value: str | None, today: date) -> date:
    try:
        due = date.fromisoformat((value or "").strip())
    except ValueError:
        raise ActionError("due") from None
    if due < today:
        raise ActionError("due_past")
    if (due - today).days > MAX_DUE_DAYS:
        raise ActionError("due_far")
    return due


def record_action(
    tenant: Tenant,
    actor: User,
    *,
    problem_key: str,
    problem_label: str,
    description: str,
    owner_id: str | int | None,
    due: str,
) -> ImprovementAction:
    """A new open action against a problem; every field checked before anything is written."""
    key = _text(problem_key, "problem", "problem_long", PROBLEM_MAX)
    label = _text(problem_label, "problem", "problem_long", PROBLEM_MAX)
    text = _text(description, "description", "description_long", DESCRIPTION_MAX)
    try:
        owner_pk = int(str(owner_id or "").strip())
    except ValueError:
        raise ActionError("owner") from None
    owner = db.session.get(User, owner_pk) if 0 < owner_pk < 2**31 else None
    if owner is None or owner.tenant_id != tenant.id or owner.role not in STAFF_ROLES or not owner.is_enabled:
        raise ActionError("owner")
    due_date = parse_due(due, shop_today(tenant))
    action = ImprovementAction(
        tenant_id=tenant.id,
        problem_key=key,
        problem_label=label,
        description=text,
        owner_id=owner.id,
        due_date=due_date,
        status="open",
        created_by_id=actor.id,
    )
    db.session.add(action)
    db.session.flush()
    return action


def complete_action(action: ImprovementAction, actor: User) -> ImprovementAction:
    if action.status == "done":
        raise ActionError("done")
    action.status, action.closed_at, action.closed_by_id = "done", utcnow(), actor.id
    db.session.flush()
    return action
