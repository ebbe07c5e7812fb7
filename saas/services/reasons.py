"""The shop's reasons for cases (售后原因): the list owners keep, the choice agents make at verification.

Reasons are stored on a case as their code. A code is chosen once (typed, or made from the English name)
and never changes: renaming changes the names, deactivating takes a reason off the verification form; a
case keeps showing the current name of its reason either way. Plain functions that flush; the request
commits. Refusals raise ReasonError with the field they concern.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from saas.extensions import db
from saas.input_guard import CONTROL_CHARS
from saas.models.reason import CODE_MAX, NAME_MAX, ReasonCode
from saas.models.user import User
from saas.services import audit
from saas.services.errors import ServiceError
from tenants.models import Tenant

CODE_RE = re.compile(r"[a-z0-9][a-z0-9_]*(?:\.[a-z0-9][a-z0-9_]*)?")
# How many reasons one shop may keep: a verification form with more is not one anybody reads.
MAX_REASONS = 200
SEPARATOR = " › "


class ReasonError(ServiceError):
    """A refused reason or reason change; .field names the form field it concerns."""

    MESSAGES = {
        "required": _l("Please choose the reason for this case."),
        "unknown": _l("This reason is not in your shop's list of reasons. Please choose one from the list."),
        "inactive": _l("This reason is no longer in use. Please choose another one."),
        "name_zh": _l("Please enter the Chinese name of the reason."),
        "name_long": _l("A reason's name has at most %(max)d characters."),
        "control": _l(
            "Your input contains invisible control characters (such as NUL) that cannot be saved. "
            "Please remove them and try again."
        ),
        "code_format": _l(
            "A code has at most 40 lowercase letters, digits and underscores, optionally as "
            "parent.child, for example quality.odour."
        ),
        "code_taken": _l("Your shop already has a reason with this code."),
        "parent": _l("Sub-reasons go under a top-level reason of your shop."),
        "parent_has_children": _l("A reason with sub-reasons cannot become a sub-reason itself."),
        "too_many": _l("A shop keeps at most %(max)d reasons."),
    }
    FIELDS = {
        "required": "reason_code",
        "unknown": "reason_code",
        "inactive": "reason_code",
        "name_zh": "name_zh",
        "code_format": "code",
        "code_taken": "code",
        "parent": "parent",
    }

    @property
    def field(self) -> str:
        return self.FIELDS.get(self.code, "name_zh")


@dataclass
class Group:
    """A top-level reason and its sub-reasons, as the settings page and the verification form show them."""

    reason: ReasonCode
    children: list[ReasonCode]


def _id(tenant: Tenant | int) -> int:
    return tenant if isinstance(tenant, int) else tenant.id


def all_reasons(tenant: Tenant | int) -> list[ReasonCode]:
    return list(
        db.session.scalars(
            select(ReasonCode).where(ReasonCode.tenant_id == _id(tenant)).order_by(ReasonCode.position, ReasonCode.id)
        )
    )


def tree(tenant: Tenant | int) -> list[Group]:
    """Every reason of the shop, top-level ones in order, each with its sub-reasons in order."""
    rows = all_reasons(tenant)
    groups = {r.code: Group(r, []) for r in rows if r.parent_code is None}
    orphans = []
    for r in rows:
        if r.parent_code is not None:
            if r.parent_code in groups:
                groups[r.parent_code].children.append(r)
            else:
                orphans.append(Group(r, []))
    return list(groups.values()) + orphans


def _label(reason: ReasonCode, parents: dict[str, ReasonCode], lang: str) -> str:
    parent = parents.get(reason.parent_code or "")
    return f"{parent.name(lang)}{SEPARATOR}{reason.name(lang)}" if parent is not None else reason.name(lang)


def labels(tenant: Tenant | int, lang: str) -> dict[str, str]:
    """code → its current label ("质量问题 › 功能故障"), active or not: what cases and reports show."""
    rows = all_reasons(tenant)
    parents = {r.code: r for r in rows if r.parent_code is None}
    return {r.code: _label(r, parents, lang) for r in rows}


def label(tenant: Tenant | int, code: str | None, lang: str) -> str:
    """A case's reason in words; "" when none was recorded, the code itself if the shop has no such reason."""
    if not code:
        return ""
    return labels(tenant, lang).get(code, code)


def offered(tenant: Tenant | int, lang: str) -> list[tuple[str | None, list[tuple[str, str]]]]:
    """The verification form's choices: (group name or None, [(code, name)]). A reason with active
    sub-reasons is a group of them; one without is a choice of its own. Inactive reasons, and the
    sub-reasons of an inactive reason, are left out."""
    out: list[tuple[str | None, list[tuple[str, str]]]] = []
    for g in tree(tenant):
        if not g.reason.active:
            continue
        children = [(c.code, c.name(lang)) for c in g.children if c.active]
        if children:
            out.append((g.reason.name(lang), children))
        else:
            out.append((None, [(g.reason.code, g.reason.name(lang))]))
    return out


def check(tenant: Tenant | int, code: str | None) -> str:
    """A code an agent chose, if it is one the shop offers now; ReasonError otherwise."""
    code = (code or "").strip()
    if not code:
        raise ReasonError("required")
    if len(code) > CODE_MAX or CONTROL_CHARS.search(code):
        raise ReasonError("unknown")
    offered_codes = {c for _group, items in offered(tenant, "zh") for c, _name in items}
    if code in offered_codes:
        return code
    known = db.session.scalar(select(ReasonCode.id).where(ReasonCode.tenant_id == _id(tenant), ReasonCode.code == code))
    raise ReasonError("inactive" if known is not None else "unknown")


# ------------------------------------------------------------------ the owner's list


def _name(value: str | None, *, required: bool) -> str:
    value = " ".join((value or "").split())
    if CONTROL_CHARS.search(value):
        raise ReasonError("control")
    if required and not value:
        raise ReasonError("name_zh")
    if len(value) > NAME_MAX:
        raise ReasonError("name_long", max=NAME_MAX)
    return value


def _taken(tenant: Tenant, code: str) -> bool:
    return (
        db.session.scalar(select(ReasonCode.id).where(ReasonCode.tenant_id == tenant.id, ReasonCode.code == code))
        is not None
    )


def slug_from(name_en: str) -> str:
    """A code's last part from an English name: "Smells bad!" → smells_bad."""
    ascii_ = unicodedata.normalize("NFKD", name_en).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "_", ascii_).strip("_")


def _new_code(tenant: Tenant, typed: str, name_en: str, parent: ReasonCode | None) -> str:
    typed = (typed or "").strip().lower()
    if typed:
        if CONTROL_CHARS.search(typed) or len(typed) > CODE_MAX or not CODE_RE.fullmatch(typed):
            raise ReasonError("code_format")
        if _taken(tenant, typed):
            raise ReasonError("code_taken")
        return typed
    prefix = f"{parent.code}." if parent is not None and "." not in parent.code else ""
    stem = slug_from(name_en) or "reason"
    stem = stem[: CODE_MAX - len(prefix) - 4].rstrip("_") or "reason"
    code, n = f"{prefix}{stem}", 2
    while _taken(tenant, code) or not CODE_RE.fullmatch(code):
        code, n = f"{prefix}{stem}_{n}", n + 1
    return code


def _parent(tenant: Tenant, parent_code: str | None) -> ReasonCode | None:
    parent_code = (parent_code or "").strip()
    if not parent_code:
        return None
    parent = db.session.scalar(
        select(ReasonCode).where(ReasonCode.tenant_id == tenant.id, ReasonCode.code == parent_code)
    )
    if parent is None or parent.parent_code is not None:
        raise ReasonError("parent")
    return parent


def add(
    tenant: Tenant,
    actor: User | None,
    *,
    name_zh: str,
    name_en: str = "",
    parent_code: str | None = None,
    code: str = "",
) -> ReasonCode:
    """A new reason at the end of its list (top level, or under `parent_code`); its code typed or made up."""
    zh, en = _name(name_zh, required=True), _name(name_en, required=False)
    parent = _parent(tenant, parent_code)
    count = db.session.scalar(select(func.count()).select_from(ReasonCode).where(ReasonCode.tenant_id == tenant.id))
    if count >= MAX_REASONS:
        raise ReasonError("too_many", max=MAX_REASONS)
    new_code = _new_code(tenant, code, en, parent)
    last = db.session.scalar(select(func.max(ReasonCode.position)).where(ReasonCode.tenant_id == tenant.id)) or 0
    reason = ReasonCode(
        tenant_id=tenant.id,
        code=new_code,
        parent_code=parent.code if parent else None,
        name_zh=zh,
        name_en=en,
        position=last + 10,
        active=True,
    )
    db.session.add(reason)
    db.session.flush()
    audit.record(tenant.id, actor, "reason.added", reason, code=new_code, name_zh=zh, name_en=en)
    return reason


def get(tenant: Tenant, reason_id: int) -> ReasonCode | None:
    return db.session.scalar(select(ReasonCode).where(ReasonCode.tenant_id == tenant.id, ReasonCode.id == reason_id))


def rename(tenant: Tenant, actor: User | None, reason: ReasonCode, *, name_zh: str, name_en: str) -> bool:
    """New names for a reason; its code stays. False when nothing changed."""
    zh, en = _name(name_zh, required=True), _name(name_en, required=False)
    if (zh, en) == (reason.name_zh, reason.name_en):
        return False
    before = {"name_zh": reason.name_zh, "name_en": reason.name_en}
    reason.name_zh, reason.name_en = zh, en
    db.session.flush()
    audit.record(tenant.id, actor, "reason.renamed", reason, code=reason.code, before=before, name_zh=zh, name_en=en)
    return True


def set_active(tenant: Tenant, actor: User | None, reason: ReasonCode, active: bool) -> bool:
    """Offer a reason at verification again, or no longer; cases that have it keep it. False when unchanged."""
    if reason.active == active:
        return False
    reason.active = active
    db.session.flush()
    audit.record(tenant.id, actor, "reason.reactivated" if active else "reason.deactivated", reason, code=reason.code)
    return True


def move(tenant: Tenant, actor: User | None, reason: ReasonCode, step: int) -> bool:
    """Swap a reason with its neighbour among its siblings (step -1: up, +1: down); False at either end."""
    siblings = [r for r in all_reasons(tenant) if r.parent_code == reason.parent_code]
    i = next(i for i, r in enumerate(siblings) if r.id == reason.id)
    j = i + (1 if step > 0 else -1)
    if not 0 <= j < len(siblings):
        return False
    other = siblings[j]
    if reason.position == other.position:  # equal positions (never made here) would not swap: spread them first
        for n, r in enumerate(siblings):
            r.position = siblings[0].position + n
    reason.position, other.position = other.position, reason.position
    db.session.flush()
    audit.record(tenant.id, actor, "reason.moved", reason, code=reason.code, direction="up" if step < 0 else "down")
    return True
