"""The weekly and monthly review pack (复盘, §7): the period's numbers, top problems, breaches, low scores,
and the improvement actions (improvement_actions.py) still open or done within the period.

The pack of a period is due at the first working morning after it: the opening time of the first working
day (on the shop's business calendar, 调休 days included) on or after the Monday after the week, or the
first of the month after the month. The minute clock's sweep writes one e-mail per manager into the
outbox then; a unique idempotency key per (shop, kind, period start, manager) makes that exactly once
however many workers sweep at the same moment.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from saas.extensions import db
from saas.locale import babel_locale, html_lang, lang_of
from saas.models.base import utcnow
from saas.models.notification import Notification
from saas.models.review import ImprovementAction
from saas.models.user import User
from saas.queues import enqueue_after_commit, outbox_wake_key
from saas.services import case_messages, orders, policies, reports, sla
from saas.services.report_periods import Period
from tenants.clock import shop_today
from tenants.models import Tenant
from tenants.scoping import cross_tenant, tenant_context

TEMPLATE_KEY = "review_pack"
KINDS = ("week", "month")
TOP = 10
# A pack not written at its morning (workers down, a restart) is still written for this long after it;
# later than that it would no longer be the Monday meeting's pack.
CATCH_UP = timedelta(days=1)


# ---------- when a pack is due ------------------------------------------------


@dataclass(frozen=True)
class PackDue:
    kind: str  # week | month
    period: Period
    due_at: datetime  # the first working morning after the period, aware


def week_period(any_day: date) -> Period:
    monday = any_day - timedelta(days=any_day.weekday())
    return Period("last_week", monday, monday + timedelta(days=6))


def month_period(any_day: date) -> Period:
    first = any_day.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return Period("last_month", first, following - timedelta(days=1))


def first_working_morning(cal, after: date) -> datetime:
    """The opening time of the first working day on or after `after` (a 调休 Saturday counts)."""
    return cal.next_opening(datetime.combine(after, time.min, cal.tz))


def packs_due(cal, today: date, now: datetime) -> list[PackDue]:
    """The packs whose first working morning has come and whose catch-up time has not passed.

    Candidates are the last two finished weeks and months: a week without a working day (the Spring
    Festival) sends its pack with the next week's, on the first working morning after both.
    """
    out = []
    for kind, period in _candidates(today):
        due = first_working_morning(cal, period.last + timedelta(days=1))
        if due <= now < due + CATCH_UP:
            out.append(PackDue(kind, period, due))
    return out


def pack_key(tenant_id: int, kind: str, first: date, user_id: int) -> str:
    return f"review:{tenant_id}:{kind}:{first:%Y%m%d}:{user_id}"


# ---------- the pack's content ------------------------------------------------


@dataclass
class Pack:
    tenant: Tenant
    period: Period
    kind: str  # week | month | range (the page's custom ranges)
    report: reports.Report
    problems: list = field(default_factory=list)
    product_names: dict = field(default_factory=dict)
    open_actions: list[ImprovementAction] = field(default_factory=list)
    done_actions: list[ImprovementAction] = field(default_factory=list)
    today: date | None = None

    def problem_label(self, p, lang: str) -> str:
        product = self.product_names.get(p.product) or orders.category_label(p.product, lang)
        return f"{p.phrase} · {product}" if product else p.phrase

    def overdue(self, action: ImprovementAction) -> bool:
        return action.status == "open" and action.due_date < self.today


def build_pack(tenant: Tenant, period: Period, kind: str, now: datetime | None = None) -> Pack:
    """The pack for a period; runs in the tenant's context. Actions: every open one (carried from pack to
    pack until done), and those done within the period."""
    now = now or utcnow()
    report = reports.build(tenant, period, now=now)
    start, end = period.bounds(tenant.timezone)
    open_actions = db.session.scalars(
        select(ImprovementAction)
        .where(ImprovementAction.tenant_id == tenant.id, ImprovementAction.status == "open")
        .order_by(ImprovementAction.due_date, ImprovementAction.id)
    ).all()
    done = db.session.scalars(
        select(ImprovementAction)
        .where(
            ImprovementAction.tenant_id == tenant.id,
            ImprovementAction.status == "done",
            ImprovementAction.closed_at >= start,
            ImprovementAction.closed_at < end,
        )
        .order_by(ImprovementAction.closed_at)
    ).all()
    return Pack(
        tenant,
        period,
        kind,
        report,
        report.problems[:TOP],
        {sku: name for sku, name, _n in report.by_sku},
        list(open_actions),
        list(done),
        shop_today(tenant, now),
    )


# ---------- the e-mail and the sweep ------------------------------------------


def pack_link(tenant: Tenant, pack: PackDue) -> str:
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    return (
        f"{base}/{tenant.slug}/console/reviews?period=custom"
        f"&from={pack.period.first.isoformat()}&to={pack.period.last.isoformat()}"
    )


def compose(tenant: Tenant, pack: Pack, locale: str, link: str, recipient: str) -> dict:
    """Subject, text and HTML of the pack e-mail in `locale`, written into the notification's params when
    the pack is due (the figures are the ones of that morning)."""
    locale = babel_locale(locale)
    lang = lang_of(locale)
    with force_locale(locale):
        first, last = pack.period.first.isoformat(), pack.period.last.isoformat()
        if pack.kind == "month":
            subject = _(
                "Monthly review %(month)s: %(shop)s", month=f"{pack.period.first:%Y-%m}", shop=tenant.name(lang)
            )
        else:
            subject = _("Weekly review %(first)s to %(last)s: %(shop)s", first=first, last=last, shop=tenant.name(lang))
        context = dict(
            pack=pack,
            report=pack.report,
            link=link,
            recipient=recipient,
            lang=lang,
            html_lang=html_lang(locale),
            subject=subject,
            first=first,
            last=last,
            label=case_messages.label,
            clock_label=lambda kind: str(sla.CLOCK_LABELS.get(kind, kind)),
            problem_label=lambda p: pack.problem_label(p, lang),
        )
        text = render_template("messages/review_pack.txt", **context).strip() + "\n"
        html = render_template("messages/review_pack.html", **context)
    return {"subject": subject, "text": text, "html": html, "link": link}


def _insert(tenant: Tenant, key: str, recipient: str, locale: str, params: dict) -> Notification | None:
    """One row per key: a second worker's insert of the same key fails on the unique index and is dropped."""
    n = Notification(
        tenant_id=tenant.id,
        idempotency_key=key,
        audience="staff",
        channel="email",
        recipient=recipient,
        template_key=TEMPLATE_KEY,
        locale=locale,
        params=params,
        status="pending",
        attempts=0,
        next_attempt_at=utcnow(),
    )
    try:
        with db.session.begin_nested():
            db.session.add(n)
    except IntegrityError:
        return None
    enqueue_after_commit(
        db.session, "notifications", "workers.jobs.send_notification", n.id, wake_key=outbox_wake_key(n.id)
    )
    return n


def _candidates(today: date) -> list[tuple[str, Period]]:
    """The periods packs_due() may find due on `today`: the last two finished weeks and months."""
    out = []
    for kind, of in (("week", week_period), ("month", month_period)):
        period = of(today)
        for _i in range(2):
            period = of(period.first - timedelta(days=1))
            out.append((kind, period))
    return out


def _written(keys: list[str]) -> set[str]:
    """Which of these keys the outbox already holds (exact lookups on its unique index, in chunks)."""
    found: set[str] = set()
    with cross_tenant("review pack sweep"):
        for i in range(0, len(keys), 500):
            found.update(
                db.session.scalars(
                    select(Notification.idempotency_key).where(Notification.idempotency_key.in_(keys[i : i + 500]))
                )
            )
    return found


def sweep(now: datetime | None = None, end_batch: Callable[[], None] | None = None) -> int:
    """Write the review packs that are due (run by the minute clock; safe to run twice or in parallel).

    Returns how many e-mails were written. After each shop `end_batch` runs: the job passes
    `db.session.commit` (one transaction per shop); by default the rows are only flushed.
    """
    now = now or utcnow()
    end_batch = end_batch or db.session.flush
    with cross_tenant("review pack sweep"):
        shops = db.session.execute(
            select(Tenant.id, Tenant.created_at, Tenant.timezone).where(Tenant.is_active.is_(True)).order_by(Tenant.id)
        ).all()
        staff: dict[int, list[tuple[int, str]]] = {}
        for tid, uid, email in db.session.execute(
            select(User.tenant_id, User.id, User.email)
            .where(
                User.role.in_(("owner", "admin")),
                User.is_enabled.is_(True),
                User.email != "",
                User.tenant_id.is_not(None),
            )
            .order_by(User.id)
        ):
            staff.setdefault(tid, []).append((uid, email))
    shops = [row for row in shops if row.id in staff]
    keys = [
        pack_key(row.id, kind, period.first, uid)
        for row in shops
        for kind, period in _candidates(shop_today(row, now))
        for uid, _email in staff[row.id]
    ]
    written = _written(keys)
    count = 0
    for tenant_id, created_at, _tz in shops:
        with tenant_context(tenant_id):
            count += _sweep_shop(tenant_id, created_at, staff[tenant_id], written, now)
            end_batch()
    return count


def _sweep_shop(
    tenant_id: int, created_at: datetime, managers: list[tuple[int, str]], written: set[str], now: datetime
) -> int:
    tenant = db.session.get(Tenant, tenant_id)
    zone = ZoneInfo(tenant.timezone)
    today = now.astimezone(zone).date()
    # Nothing to look up on the calendar when the last finished week's and month's packs are all written.
    if all(
        pack_key(tenant_id, kind, p.first, uid) in written
        for kind, p in _candidates(today)[::2]
        for uid, _email in managers
    ):
        return 0
    cal = policies.calendar_for(tenant)
    count = 0
    for due in packs_due(cal, today, now):
        # A shop that did not exist during the period has nothing to review for it.
        if created_at.astimezone(zone).date() > due.period.last:
            continue
        missing = [
            (uid, email)
            for uid, email in managers
            if pack_key(tenant_id, due.kind, due.period.first, uid) not in written
        ]
        if not missing:
            continue
        pack = build_pack(tenant, due.period, due.kind, now)
        link = pack_link(tenant, due)
        locale = tenant.default_locale
        for uid, email in missing:
            key = pack_key(tenant_id, due.kind, due.period.first, uid)
            if _insert(tenant, key, email, locale, compose(tenant, pack, locale, link, email)) is not None:
                count += 1
            written.add(key)
    return count
