"""Case ownership (责任到人): an agent claims a case, a manager assigns or reassigns it, new cases may be
handed out in turn among the staff marked available; and the queue filters built on it.

Every change of assignee is a `assigned` case event (staff only: it carries no customer message, so the
consumer's tracking page never shows it) with who it went from and to. The assignee is changed with a
conditional UPDATE (still the assignee the actor saw), so two agents claiming one case at once get one
owner and one clear refusal, and the event's "from" is always true.

The round-robin's memory is a row per shop (`AssignmentRotation.last_user_id`), taken FOR UPDATE by the
transaction that files a case: it survives restarts, and two web processes filing at the same moment take
turns on the row instead of both handing a case to the same agent.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select, update
from sqlalchemy.orm.attributes import set_committed_value

from saas.caches import auto_assign as auto_assign_cache
from saas.extensions import db
from saas.input_guard import bounded_int
from saas.models.assignment import AssignmentRotation, AvailableStaff
from saas.models.base import utcnow
from saas.models.case import CASE_IS_OPEN, WAITING_ON_CONSUMER, Case, CaseEvent
from saas.models.user import STAFF_ROLES, User
from saas.services import audit
from saas.services.errors import ServiceError
from tenants.models import Tenant

ERRORS = {
    "closed": _l("A closed case has no one to work on it: reopen it first."),
    "taken": _l("This case is already assigned to %(name)s: a manager can reassign it."),
    "mine": _l("This case is already yours."),
    "same": _l("This case is already assigned to %(name)s."),
    "manager": _l("Only the shop's owner or an admin can assign a case to someone else."),
    "member": _l("Please choose an enabled member of your team."),
    "changed": _l("Someone changed the assignee in the meantime: please look at the case again."),
    "staff": _l("Only the shop's own staff can take its cases."),
}


class AssignmentError(ServiceError):
    """A refused claim or assignment; .message is for the person who tried it."""

    MESSAGES = ERRORS


# ---------------------------------------------------------------- who may be assigned


def assignable(tenant_id: int) -> list[User]:
    """The shop's enabled staff (agents first, then admins and owners), who may own a case."""
    order = {"agent": 0, "admin": 1, "owner": 2}
    members = db.session.scalars(
        select(User).where(User.tenant_id == tenant_id, User.is_enabled.is_(True), User.role.in_(STAFF_ROLES))
    ).all()
    return sorted(members, key=lambda u: (order.get(u.role, 3), u.name, u.id))


def team_names(tenant_id: int) -> dict[int, str]:
    """Every staff member's name by id (disabled ones too: they may still own old cases)."""
    return dict(db.session.execute(select(User.id, User.name).where(User.tenant_id == tenant_id)).all())


def _int(value) -> int | None:
    try:
        return bounded_int(value)
    except ValueError:
        return None


def _member(tenant_id: int, user_id) -> User:
    """An enabled staff member of this shop; anything else (another shop's id, a disabled account, a
    supervisor, garbage) is refused with the same words."""
    user_id = _int(user_id)
    user = db.session.get(User, user_id) if user_id is not None else None
    if user is None or user.tenant_id != tenant_id or not user.is_enabled or user.role not in STAFF_ROLES:
        raise AssignmentError("member")
    return user


# ---------------------------------------------------------------- claim, assign, reassign


def claim(case: Case, user: User) -> CaseEvent:
    """The agent takes an open, unassigned case for themselves."""
    _require_open(case)
    if user.tenant_id != case.tenant_id or user.role not in STAFF_ROLES or not user.is_enabled:
        raise AssignmentError("staff")
    if case.assignee_id == user.id:
        raise AssignmentError("mine")
    if case.assignee_id is not None:
        raise AssignmentError("taken", name=_name(case.assignee_id))
    return _set(case, None, user, actor=user, how="claim", refusal="taken")


def assign(case: Case, actor: User, user_id) -> CaseEvent:
    """A manager (owner or admin) gives the case to a team member, takes it from one, or (user_id "" or
    None) leaves it unassigned."""
    _require_open(case)
    if actor.tenant_id != case.tenant_id or not actor.can_manage:
        raise AssignmentError("manager")
    target = None if user_id in (None, "", "none") else _member(case.tenant_id, user_id)
    if (target.id if target else None) == case.assignee_id:
        if target is None:
            raise AssignmentError("member")
        raise AssignmentError("same", name=target.name)
    return _set(case, case.assignee_id, target, actor=actor, how="assign", refusal="changed")


def auto_assign(case: Case) -> CaseEvent | None:
    """Hand a newly filed case to the next available staff member in turn, if the shop asked for it.

    Whether it did is kept per process under the shop's cache token (no query per filing while it is off);
    when on, the shop's rotation row is taken FOR UPDATE until the filing transaction ends, so filings in
    any number of processes take their turns one after the other.
    """
    if case.assignee_id is not None or not auto_assign_cache.flag(case.tenant_id, auto_assign_on):
        return None
    rotation = db.session.execute(
        select(AssignmentRotation.id, AssignmentRotation.last_user_id)
        .where(AssignmentRotation.tenant_id == case.tenant_id, AssignmentRotation.auto_assign.is_(True))
        .with_for_update()
    ).first()
    if rotation is None:
        return None
    pool = db.session.scalars(
        select(User)
        .join(AvailableStaff, AvailableStaff.user_id == User.id)
        .where(
            User.tenant_id == case.tenant_id,
            AvailableStaff.tenant_id == case.tenant_id,
            User.is_enabled.is_(True),
            User.role.in_(STAFF_ROLES),
        )
        .order_by(User.id)
    ).all()
    if not pool:
        return None
    last = rotation.last_user_id
    following = [u for u in pool if last is not None and u.id > last]
    target = following[0] if following else pool[0]
    # A Core UPDATE: the turn is not part of the shop's cached data, its token stays.
    db.session.execute(
        update(AssignmentRotation.__table__)
        .where(AssignmentRotation.__table__.c.id == rotation.id)
        .values(last_user_id=target.id)
    )
    return _set(case, None, target, actor=None, how="auto", refusal="changed")


def _require_open(case: Case) -> None:
    if not case.is_open:
        raise AssignmentError("closed")


def _name(user_id: int | None) -> str:
    user = db.session.get(User, user_id) if user_id is not None else None
    return user.name if user is not None else "—"


def _set(
    case: Case, expected: int | None, target: User | None, *, actor: User | None, how: str, refusal: str
) -> CaseEvent:
    """Move the case from `expected` to `target` if it still belongs to `expected`, and record it."""
    new_id = target.id if target is not None else None
    db.session.flush()
    done = db.session.execute(
        update(Case)
        .where(Case.id == case.id, Case.tenant_id == case.tenant_id, Case.assignee_id.is_not_distinct_from(expected))
        .values(assignee_id=new_id, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:
        db.session.refresh(case, ["assignee_id"])
        if refusal == "taken" and case.assignee_id is not None:
            raise AssignmentError("taken", name=_name(case.assignee_id))
        raise AssignmentError("changed")
    set_committed_value(case, "assignee_id", new_id)
    set_committed_value(case, "assignee", target)
    event = CaseEvent(
        tenant_id=case.tenant_id,
        case=case,
        kind="assigned",
        actor_type="staff" if actor is not None else "system",
        actor_id=actor.id if actor is not None else None,
        data={
            "how": how,
            "from": expected,
            "from_name": _name(expected) if expected is not None else "",
            "to": new_id,
            "to_name": target.name if target is not None else "",
        },
        created_at=utcnow(),
    )
    db.session.add(event)
    db.session.flush()
    return event


def describe(event: CaseEvent, locale: str | None = None) -> str:
    """An `assigned` event in words, for the staff's timeline: who took the case, from whom."""
    data = event.data or {}
    how, to_name, from_name = data.get("how"), data.get("to_name") or "", data.get("from_name") or ""

    def words() -> str:
        if how == "claim":
            return _("Claimed by %(name)s.", name=to_name)
        if how == "auto":
            return _("Assigned to %(name)s in turn (automatic).", name=to_name)
        if not to_name:
            return _("Unassigned (was %(old)s).", old=from_name)
        if from_name:
            return _("Reassigned from %(old)s to %(name)s.", old=from_name, name=to_name)
        return _("Assigned to %(name)s.", name=to_name)

    if locale:
        with force_locale(locale):
            return words()
    return words()


# ---------------------------------------------------------------- availability and the shop's setting


def available_ids(tenant_id: int) -> set[int]:
    """The shop's members who take new cases now."""
    return set(db.session.scalars(select(AvailableStaff.user_id).where(AvailableStaff.tenant_id == tenant_id)))


def is_available(user: User) -> bool:
    return user.id in available_ids(user.tenant_id) if user.tenant_id is not None else False


def set_available(member: User, actor: User, available: bool) -> None:
    """Whether `member` takes new cases now: the member themselves, or a manager of the shop."""
    if member.tenant_id != actor.tenant_id or member.role not in STAFF_ROLES:
        raise AssignmentError("member")
    if member.id != actor.id and not actor.can_manage:
        raise AssignmentError("manager")
    if is_available(member) == available:
        return
    if available:
        db.session.add(AvailableStaff(tenant_id=member.tenant_id, user_id=member.id))
    else:
        db.session.execute(
            delete(AvailableStaff).where(
                AvailableStaff.tenant_id == member.tenant_id, AvailableStaff.user_id == member.id
            )
        )
    audit.record(member.tenant_id, actor, "team.availability", member, available=available)
    db.session.flush()


def rotation_of(tenant_id: int) -> AssignmentRotation | None:
    return db.session.scalar(select(AssignmentRotation).where(AssignmentRotation.tenant_id == tenant_id))


def auto_assign_on(tenant_id: int) -> bool:
    rotation = rotation_of(tenant_id)
    return bool(rotation and rotation.auto_assign)


def set_auto_assign(tenant: Tenant, actor: User, on: bool) -> None:
    """A manager turns the round-robin for new cases on or off (off until they do)."""
    if actor.tenant_id != tenant.id or not actor.can_manage:
        raise AssignmentError("manager")
    rotation = rotation_of(tenant.id)
    if rotation is None:
        rotation = AssignmentRotation(tenant_id=tenant.id, auto_assign=False)
        db.session.add(rotation)
    if rotation.auto_assign != on:
        rotation.auto_assign = on
        audit.record(tenant.id, actor, "team.auto_assign", tenant, auto_assign=on)
    db.session.flush()


# ---------------------------------------------------------------- queue filters and the console home


def end_of_today(tenant: Tenant, now: datetime | None = None) -> datetime:
    """Midnight at the end of the shop's today (its own time zone), in UTC."""
    zone = ZoneInfo(tenant.timezone)
    today = (now or utcnow()).astimezone(zone).date()
    return datetime.combine(today + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)


def filter_queue(stmt, args, user: User | None, tenant: Tenant, now: datetime | None = None):
    """The ownership and deadline filters of the queue, on top of its others.

    assignee=me | none | <a team member's id>; due=today (the next deadline falls later today, in the
    shop's time zone: not overdue yet); status=waiting (waiting on the customer).
    """
    now = now or utcnow()
    who = args.get("assignee", "")
    if who == "me":
        stmt = stmt.where(Case.assignee_id == (user.id if user is not None else -1))  # no one signed in: none
    elif who == "none":
        stmt = stmt.where(Case.assignee_id.is_(None))
    elif _int(who) is not None:
        stmt = stmt.where(Case.assignee_id == _int(who))  # another shop's id simply matches nothing
    if args.get("due") == "today":
        stmt = stmt.where(Case.due_at >= now, Case.due_at < end_of_today(tenant, now), CASE_IS_OPEN)
    if args.get("status") == "waiting":
        stmt = stmt.where(Case.status.in_(WAITING_ON_CONSUMER))
    return stmt


# What needs an agent now, in the order the console home shows it: (key, the queue's arguments).
HOME_LINKS = (
    ("new", {"status": "submitted"}),
    ("due_today", {"due": "today"}),
    ("overdue", {"overdue": "1"}),
    ("waiting", {"status": "waiting"}),
    ("mine", {"assignee": "me"}),
    ("unassigned", {"assignee": "none"}),
)
HOME_LABELS = {
    "new": _l("New, not yet accepted"),
    "due_today": _l("Due later today"),
    "overdue": _l("Overdue"),
    "waiting": _l("Waiting on the customer"),
    "mine": _l("My open cases"),
    "unassigned": _l("Open and unassigned"),
}
