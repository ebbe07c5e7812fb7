"""Synthetic data for load tests: orders, cases of every type and state, events, clocks, notifications, surveys.

Rows are written in bulk through SQLAlchemy Core (COPY on PostgreSQL, executemany
elsewhere) with ids allocated up front, so a million cases take minutes, not hours.
The same seed, tenant-independent inputs and anchor time give the same cases.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import JSON, func, select, text

from saas.extensions import db
from saas.identifiers import ALPHABET, RANDOM_CHARS, _check_char, _format
from saas.models.case import PRIORITY, Case, CaseEvent, CaseLine
from saas.models.notification import Notification
from saas.models.order import Order, OrderLine
from saas.models.sla import SlaClock
from saas.models.survey import Survey
from saas.models.user import User
from saas.services import case_messages, kpi_facts, policies
from tenants.models import Tenant
from tenants.scoping import cross_tenant, tenant_context
from tenants.terms import Terms

CHUNK = 5000
TABLES = (Order, OrderLine, Case, CaseLine, CaseEvent, SlaClock, Notification, Survey)

# (problem type, share of cases)
TYPE_MIX = (
    ("quality", 0.34),
    ("return_exchange", 0.36),
    ("complaint", 0.1),
    ("consultation", 0.17),
    ("food_safety", 0.03),
)
CATEGORIES = {
    "quality": ("electronics", "small_appliances", "apparel"),
    "return_exchange": ("apparel", "electronics"),
    "complaint": ("general",),
    "consultation": ("general", "electronics"),
    "food_safety": ("fresh_food", "dairy"),
}
CHANNELS = ("taobao", "tmall", "jd", "pdd", "douyin", "brand_site", "offline")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = (
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "洋",
    "艳",
    "勇",
    "军",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀英",
    "霞",
    "平",
)
PRODUCTS = {
    "electronics": ("蓝牙耳机", "充电宝 20000mAh", "智能手表", "平板电脑"),
    "small_appliances": ("电热水壶", "空气炸锅", "吹风机"),
    "apparel": ("儿童羽绒服", "纯棉T恤", "运动裤"),
    "general": ("礼品卡", "收纳盒"),
    "fresh_food": ("低温酸奶 6 杯", "鲜牛奶 1L"),
    "dairy": ("奶酪棒", "黄油 250g"),
}
DESCRIPTIONS = {
    "quality": "收到后使用三天就无法开机，充电指示灯不亮。",
    "return_exchange": "尺码偏小，想换大一码。",
    "complaint": "客服两天没有回复我的留言。",
    "consultation": "请问这个型号支持快充吗？",
    "food_safety": "打开后发现酸奶有异味，孩子喝了之后肚子疼。",
}
EXPECTED = {
    "quality": "repair",
    "return_exchange": "exchange",
    "complaint": "compensation",
    "consultation": "consultation",
    "food_safety": "refund",
}
# Clock targets in minutes (wall time here; the real service counts working time).
TARGETS = {
    "first_response": 240,
    "emergency": 60,
    "consultation": 1440,
    "quality_proposal": 1440,
    "quality_execution": 4320,
    "complaint_feedback": 2880,
    "inspection": 1440,
    "return_processing": 10080,
    "general": 10080,
}

# A step: (event kind, actor type, new status or None, message key or None, params builder key)
S = tuple
PATHS = {
    "quality": [
        S(("accepted", "staff", "accepted", "accepted")),
        S(("verified", "staff", "verified", "verified_merchant")),
        S(("proposed", "staff", "proposed", "proposed_repair")),
        S(("repair_done", "staff", "resolved", "repair_done")),
        S(("closed", "staff", "closed", "closed")),
    ],
    "return_exchange": [
        S(("accepted", "staff", "accepted", "accepted")),
        S(("return_requested", "staff", "awaiting_return", "return_requested")),
        S(("return_shipped", "consumer", "awaiting_return", "return_shipped")),
        S(("return_received", "staff", "return_received", "return_received")),
        S(("inspected", "staff", "inspected", "inspected")),
        S(("proposed", "staff", "proposed", "proposed_refund")),
        S(("refund_paid", "staff", "resolved", "refund_paid")),
        S(("closed", "staff", "closed", "closed")),
    ],
    "complaint": [
        S(("accepted", "staff", "accepted", "accepted")),
        S(("escalated", "staff", None, "escalated")),
        S(("proposed", "staff", "proposed", "proposed_compensation")),
        S(("compensation_paid", "staff", "resolved", "compensation_paid")),
        S(("closed", "staff", "closed", "closed")),
    ],
    "consultation": [
        S(("accepted", "staff", "accepted", "accepted")),
        S(("explained", "staff", "resolved", "explained")),
        S(("closed", "staff", "closed", "closed")),
    ],
    "food_safety": [
        S(("emergency_raised", "system", None, None)),
        S(("accepted", "staff", "accepted", "accepted")),
        S(("verified", "staff", "verified", "verified_merchant")),
        S(("proposed", "staff", "proposed", "proposed_compensation")),
        S(("compensation_paid", "staff", "resolved", "compensation_paid")),
        S(("closed", "staff", "closed", "closed")),
    ],
}
REJECTED_PATH = [
    S(("accepted", "staff", "accepted", "accepted")),
    S(("rejected", "staff", "rejected", "rejected")),
    S(("closed", "staff", "closed", "closed")),
]
INFO_STEPS = [
    S(("info_requested", "staff", "info_requested", "info_requested")),
    S(("consumer_message", "consumer", "accepted", None)),
]
CHAT_STEPS = [S(("consumer_message", "consumer", None, None)), S(("staff_message", "staff", None, None))]
STAFF_RESPONSES = {
    "accepted",
    "info_requested",
    "return_requested",
    "verified",
    "proposed",
    "rejected",
    "staff_message",
    "refund_paid",
    "replacement_shipped",
    "repair_done",
    "compensation_paid",
    "explained",
    "closed",
}
RESOLUTION_EVENTS = {"refund_paid", "repair_done", "compensation_paid", "explained", "rejected", "closed"}
NOTIFY_KEY = {"compensation_paid": "resolved", "explained": "resolved", "staff_message": "message"}


@dataclass
class Result:
    cases: int = 0
    rows: dict[str, int] = field(default_factory=dict)


def _case_number(rng: random.Random, day: date) -> str:
    date_part = day.strftime("%y%m%d")
    bits = rng.getrandbits(5 * RANDOM_CHARS)
    random_part = "".join(ALPHABET[(bits >> (5 * i)) & 31] for i in range(RANDOM_CHARS))
    return _format(date_part, random_part, _check_char(date_part, random_part))


def _params(key: str, rng: random.Random, number: str, amount: Decimal) -> dict:
    return (
        {
            "number": number,
            "detail": "请拍摄故障部位的照片",
            "carrier": "顺丰",
            "tracking": f"SF{rng.randrange(10**11, 10**12)}",
            "basis": "人为损坏",
            "amount": str(amount),
            "days": 7,
            "reason": "已超过无理由退货期限",
            "when": "09:00",
        }
        if key
        else {}
    )


class _Defaults:
    """Per table: column names, and what a column left out gets (its scalar or callable default)."""

    def __init__(self, table):
        self.table = table
        self.columns = [c.name for c in table.columns]
        self.json = {c.name for c in table.columns if isinstance(c.type, JSON)}
        self.fill: dict[str, object] = {}
        for c in table.columns:
            d = c.default
            if d is None:
                self.fill[c.name] = None
            elif d.is_scalar:
                self.fill[c.name] = d.arg
            elif d.is_callable:
                self.fill[c.name] = d.arg(None)
            else:
                self.fill[c.name] = None


def generate(
    tenant: Tenant,
    n: int,
    seed: int = 0,
    now: datetime | None = None,
    progress: Callable[[int], None] | None = None,
    chunk: int = CHUNK,
) -> Result:
    """Add `n` synthetic cases (with orders, events, clocks, notifications, surveys) to `tenant`; commits."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    with tenant_context(tenant.id):
        version = policies.current_version(tenant)
        agents = list(db.session.scalars(select(User.id).where(User.tenant_id == tenant.id).order_by(User.id)))
    version_id = version.id if version is not None else None
    with tenant_context(tenant.id):
        terms, cal = policies.terms_of(version) if version is not None else Terms(), policies.calendar_for(tenant)
    db.session.commit()
    defaults = {m.__table__.name: _Defaults(m.__table__) for m in TABLES}
    next_id = {}
    with cross_tenant("demo generate: allocate ids past every tenant's rows"):
        for model in TABLES:
            next_id[model.__table__.name] = (db.session.scalar(select(func.max(model.id))) or 0) + 1
    db.session.commit()
    rng = random.Random(seed)
    result = Result(rows={m.__table__.name: 0 for m in TABLES})
    msg_cache: dict[tuple[str, str], str] = {}
    done = 0
    while done < n:
        size = min(chunk, n - done)
        rows = {m.__table__.name: [] for m in TABLES}
        for i in range(size):
            _one_case(rng, tenant, now, version_id, agents, rows, next_id, msg_cache, seed, done + i)
        for row in rows["cases"]:  # the KPI facts the lifecycle keeps (services/kpi_facts.py)
            row.update(
                kpi_facts.values(row["created_at"], row["first_response_at"], row["resolved_at"], terms, cal),
                resolved_by_id=row["assignee_id"] if row["resolved_at"] else None,
            )
        _write(rows, defaults)
        for name, batch in rows.items():
            result.rows[name] += len(batch)
        done += size
        if progress is not None:
            progress(size)
    _reset_sequences()
    result.cases = done
    return result


def _message(cache, locale: str, key: str, params: dict) -> str:
    template = cache.get((locale, key))
    if template is None:
        # The translated template once per locale and key; its parameters filled per case.
        with_placeholders = {
            k: f"%({k})s"
            for k in ("number", "detail", "carrier", "tracking", "basis", "amount", "days", "reason", "when")
        }
        template = case_messages.render_in(locale, key, with_placeholders).replace("%", "%%").replace("%%(", "%(")
        cache[(locale, key)] = template
    return template % params


def _one_case(rng, tenant, now, version_id, agents, rows, next_id, msg_cache, seed, index) -> None:
    r = rng.random
    problem = rng.choices([t for t, _ in TYPE_MIX], weights=[w for _, w in TYPE_MIX])[0]
    # Cases are spread over the last year, with more of them recently.
    age = timedelta(days=365 * (r() ** 1.6), seconds=rng.randrange(86400))
    created = now - age
    locale = "en" if r() < 0.15 else "zh_Hans"
    category = rng.choice(CATEGORIES[problem])
    price = Decimal(rng.randrange(1990, 399900)) / 100
    name = rng.choice(SURNAMES) + rng.choice(GIVEN)
    # Prefixes every carrier has assigned (saas.phones refuses e.g. 140), then 8 random digits.
    mobile = f"{rng.choice(('133', '138', '150', '158', '166', '177', '186', '199'))}{rng.randrange(10**8):08d}"
    email = f"c{rng.getrandbits(40):010x}@example.com" if r() < 0.5 else ""
    channel = rng.choice(CHANNELS)
    purchase = (created - timedelta(days=rng.randrange(1, 60))).date()
    delivery = purchase + timedelta(days=rng.randrange(1, 5))
    order_id, case_id = next_id["orders"], next_id["cases"]
    next_id["orders"] += 1
    next_id["cases"] += 1
    order_number = f"{channel.upper()[:2]}{rng.randrange(10**15, 10**16)}"
    rows["orders"].append(
        dict(
            id=order_id,
            tenant_id=tenant.id,
            order_number=order_number,
            channel=channel,
            purchase_date=purchase,
            delivery_date=delivery,
            customer_name=name,
            mobile=mobile,
            email=email,
            created_at=created - timedelta(days=1),
            updated_at=created - timedelta(days=1),
        )
    )
    line_ids = []
    for k in range(1 + (r() < 0.3) + (r() < 0.1)):
        lid = next_id["order_lines"]
        next_id["order_lines"] += 1
        cat = category if k == 0 else rng.choice(CATEGORIES[problem])
        rows["order_lines"].append(
            dict(
                id=lid,
                tenant_id=tenant.id,
                order_id=order_id,
                sku=f"SKU-{rng.randrange(10**6):06d}",
                name=rng.choice(PRODUCTS[cat]),
                category=cat,
                quantity=1 + (r() < 0.2),
                unit_price=price if k == 0 else Decimal(rng.randrange(990, 99900)) / 100,
            )
        )
        line_ids.append(lid)
    rows["case_lines"].append(
        dict(id=next_id["case_lines"], tenant_id=tenant.id, case_id=case_id, order_line_id=line_ids[0], quantity=1)
    )
    next_id["case_lines"] += 1
    number = _case_number(rng, created.date())
    emergency = problem == "food_safety"

    # The path this case takes, cut where it stands today: older cases are mostly finished.
    steps = list(REJECTED_PATH if r() < 0.08 else PATHS[problem])
    if r() < 0.2:
        steps[1:1] = INFO_STEPS
    for _ in range(rng.choice((0, 0, 0, 1, 1, 2, 3))):
        at = rng.randrange(1, len(steps))
        steps[at:at] = CHAT_STEPS
    if age < timedelta(days=30) or r() < 0.02:
        steps = steps[: rng.randrange(0, len(steps) + 1)]
    status = "submitted"
    escalated = False
    amount = price.quantize(Decimal("0.01"))
    events = [("submitted", "consumer", "submitted", "submitted", created)]
    at = created
    for kind, actor, to_status, key in steps:
        at = at + timedelta(minutes=rng.randrange(5, 2 * 24 * 60))
        if at >= now:
            break
        events.append((kind, actor, to_status, key, at))
    clocks: dict[str, dict] = {}

    def start_clock(kind, when):
        due = when + timedelta(minutes=TARGETS[kind])
        clocks[kind] = dict(
            id=next_id["sla_clocks"],
            tenant_id=tenant.id,
            case_id=case_id,
            kind=kind,
            around_the_clock=kind == "emergency",
            target_minutes=TARGETS[kind],
            started_at=when,
            due_at=due,
            paused_at=None,
            paused_seconds=0,
            stopped_at=None,
            state="running",
            breached_at=None,
            breach_notified=False,
        )
        next_id["sla_clocks"] += 1

    def stop(kinds, when):
        for kind in kinds:
            c = clocks.get(kind)
            if c is not None and c["stopped_at"] is None:
                c["stopped_at"] = when
                late = when > c["due_at"]
                c["state"] = "breached" if late else "met"
                c["breached_at"] = c["due_at"] if late else None
                c["breach_notified"] = late

    first_response = resolved = closed = None
    assignee = rng.choice(agents) if agents and r() < 0.9 else None
    for kind, actor, to_status, key, when in events:
        event_id = next_id["case_events"]
        next_id["case_events"] += 1
        from_status = status
        if to_status is not None:
            status = to_status
        params = _params(key, rng, number, amount) if key else {}
        message = (
            _message(msg_cache, locale, key, params)
            if key
            else (
                "请问什么时候能处理好？"
                if kind == "consumer_message"
                else "您好，我们正在加急处理，请耐心等待。"
                if kind == "staff_message"
                else ""
            )
        )
        data = {"msg": key, "params": params} if key else {}
        rows["case_events"].append(
            dict(
                id=event_id,
                tenant_id=tenant.id,
                case_id=case_id,
                kind=kind,
                actor_type=actor,
                actor_id=assignee if actor == "staff" else None,
                from_status=from_status,
                to_status=to_status if to_status is not None else None,
                customer_message=message,
                internal_note="",
                data=data,
                created_at=when,
            )
        )
        if kind == "submitted":
            start_clock("emergency" if emergency else "first_response", when)
            extra = {
                "consultation": "consultation",
                "quality": "quality_proposal",
                "food_safety": "quality_proposal",
                "complaint": "complaint_feedback",
            }.get(problem)
            if extra:
                start_clock(extra, when)
            start_clock("general", when)
        elif actor == "staff" and kind in STAFF_RESPONSES:
            if first_response is None and message:
                first_response = when
            stop(("first_response", "emergency", "message_response"), when)
            if kind in ("proposed", "rejected", "closed"):
                stop(("quality_proposal", "complaint_feedback", "consultation"), when)
            if kind in RESOLUTION_EVENTS:
                stop(tuple(TARGETS), when)
                resolved = resolved or when
        elif kind == "return_received":
            start_clock("inspection", when)
            start_clock("return_processing", when)
        if kind == "inspected":
            stop(("inspection",), when)
        if kind == "escalated":
            escalated = True
        if kind == "closed":
            closed = when
        if key and kind in (
            "submitted",
            "accepted",
            "info_requested",
            "return_requested",
            "return_received",
            "inspected",
            "verified",
            "proposed",
            "refund_paid",
            "repair_done",
            "compensation_paid",
            "explained",
            "rejected",
            "escalated",
            "closed",
        ):
            tkey = NOTIFY_KEY.get(kind, kind)
            for ch, to in (("sms", mobile), ("email", email)):
                if not to:
                    continue
                state = "sent" if r() < 0.97 else rng.choice(("dead", "superseded"))
                rows["notifications"].append(
                    dict(
                        id=next_id["notifications"],
                        tenant_id=tenant.id,
                        idempotency_key=f"event:{event_id}:{ch}",
                        case_id=case_id,
                        event_id=event_id,
                        audience="customer",
                        channel=ch,
                        recipient=to,
                        template_key=tkey,
                        locale=locale,
                        params={
                            "case_number": number,
                            "message": message[:200],
                            "link": f"/{tenant.slug}/track?number={number}",
                            "customer": name,
                        },
                        status=state,
                        attempts=1 if state != "dead" else 6,
                        next_attempt_at=when,
                        lease_expires_at=None,
                        provider_message_id=f"n{next_id['notifications']}" if state == "sent" else "",
                        error_code="" if state != "dead" else "invalid_number",
                        last_error="",
                        sent_at=when + timedelta(seconds=rng.randrange(1, 30)) if state == "sent" else None,
                        superseded_by_id=None,
                        created_at=when,
                        updated_at=when,
                    )
                )
                next_id["notifications"] += 1
    if status in ("info_requested", "awaiting_return"):
        for c in clocks.values():
            if c["stopped_at"] is None:
                c["state"], c["paused_at"] = "paused", events[-1][4]
    if status == "closed":
        stop(tuple(TARGETS), closed)
    running = [c["due_at"] for c in clocks.values() if c["stopped_at"] is None and c["state"] == "running"]
    rows["sla_clocks"].extend(clocks.values())
    last = events[-1][4]
    rows["cases"].append(
        dict(
            id=case_id,
            tenant_id=tenant.id,
            number=number,
            order_id=order_id,
            order_verified=True,
            order_number=order_number,
            purchase_channel=channel,
            purchase_date=purchase,
            delivery_date=delivery,
            category=category,
            item_price=price,
            customer_name=name,
            mobile=mobile,
            email=email,
            locale=locale,
            sms_consent=True,
            email_consent=True,
            intake_channel=rng.choice(("web", "web", "web", "agent", "api")),
            problem_type=problem,
            emergency=emergency,
            priority=PRIORITY["food_safety"] if emergency else PRIORITY[problem],
            description=DESCRIPTIONS[problem],
            expected_resolution=EXPECTED[problem],
            status=status,
            resume_status=None,
            escalated=escalated,
            assignee_id=assignee,
            policy_version_id=version_id,
            eligibility=[],
            responsibility="merchant" if status in ("verified", "proposed", "resolved", "closed") else None,
            responsibility_basis="",
            resolution_kind=None,
            resolution_amount=amount if resolved else None,
            resolution_detail="",
            repair_cycle_days=None,
            invoice_handling=None,
            return_carrier="",
            return_tracking_number="",
            outbound_tracking_number="",
            rejection_reason="",
            due_at=min(running) if running else None,
            first_response_at=first_response,
            resolved_at=resolved,
            closed_at=closed,
            created_at=created,
            updated_at=last,
        )
    )
    if status == "closed" and r() < 0.7:
        digest = hashlib.sha256(f"{seed}:{tenant.id}:{index}".encode()).hexdigest()
        state = rng.choice(("answered", "answered", "expired", "invited", "opted_out"))
        due = closed + timedelta(days=1)
        rows["surveys"].append(
            dict(
                id=next_id["surveys"],
                tenant_id=tenant.id,
                case_id=case_id,
                token=digest[:43],
                status=state,
                due_at=due,
                invited_at=due,
                expires_at=due + timedelta(days=14),
                score=rng.choice((1, 2, 3, 4, 4, 5, 5, 5)) if state == "answered" else None,
                comment="",
                answered_at=due + timedelta(hours=rng.randrange(1, 72)) if state == "answered" else None,
                created_at=closed,
                updated_at=closed,
            )
        )
        next_id["surveys"] += 1


def _write(rows: dict[str, list[dict]], defaults: dict[str, _Defaults]) -> None:
    """One transaction per chunk, tables in foreign-key order."""
    with db.engine.begin() as conn:
        postgres = conn.dialect.name == "postgresql"
        if postgres:
            _skip_fk_triggers(conn)
        for name, batch in rows.items():
            if not batch:
                continue
            d = defaults[name]
            if postgres:
                raw = conn.connection.driver_connection
                cols = d.columns
                with raw.cursor() as cur:
                    with cur.copy(f"COPY {name} ({', '.join(cols)}) FROM STDIN") as copy:
                        for row in batch:
                            copy.write_row(
                                [
                                    (
                                        json.dumps(row[c] if c in row else d.fill[c], ensure_ascii=False)
                                        if c in d.json
                                        else (row[c] if c in row else d.fill[c])
                                    )
                                    for c in cols
                                ]
                            )
            else:
                full = [{c: (row[c] if c in row else d.fill[c]) for c in d.columns} for row in batch]
                conn.execute(d.table.insert(), full)


def _skip_fk_triggers(conn) -> None:
    """Foreign-key triggers fire per row and dominate a COPY; the rows are consistent by construction.

    Needs a superuser (or replication rights); otherwise the checks simply run.
    """
    try:
        with conn.begin_nested():
            conn.execute(text("SET LOCAL session_replication_role = replica"))
    except Exception:  # not allowed: keep the checks
        pass


def _reset_sequences() -> None:
    """Ids were allocated here: move PostgreSQL's sequences past them."""
    if db.engine.dialect.name != "postgresql":
        return
    with db.engine.begin() as conn:
        for model in TABLES:
            name = model.__table__.name
            conn.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), (SELECT COALESCE(MAX(id), 1) FROM {name}))"
                )
            )
