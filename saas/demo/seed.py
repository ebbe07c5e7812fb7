"""Demo data: three shops, their staff, orders and cases, a supervisor and an operator (idempotent)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select

from saas.demo.cases import Showcase, seed_tenant
from saas.extensions import db
from saas.models.assignment import AvailableStaff
from saas.models.supervision import SupervisorGrant
from saas.models.user import User
from saas.services import policies, supervision
from tenants.clock import shop_today
from tenants.models import Tenant
from tenants.scoping import tenant_context

DEMO_PASSWORD = "demo-password-2026"

TENANTS = [
    dict(
        slug="tianshang",
        name_zh="甜上心头",
        name_en="Sweet Heart Dairy",
        contact_phone="400-820-1314",
        contact_email="service@tianshang.example.com",
        brand_colour="#d6336c",
        default_locale="zh_Hans",
        return_recipient="甜上心头售后部",
        return_phone="021-6088-1314",
        return_address_zh="上海市闵行区莘庄工业区春东路 508 号 3 号冷库 甜上心头售后部（请冷藏寄回）",
        return_address_en="Sweet Heart Dairy After-sales, Cold Store 3, 508 Chundong Road, Xinzhuang Industrial Zone, "
        "Minhang District, Shanghai (send back chilled)",
    ),
    dict(
        slug="kidswear",
        name_zh="童趣衣橱",
        name_en="Kidswear Closet",
        contact_phone="400-660-2020",
        contact_email="help@kidswear.example.com",
        brand_colour="#2f9e44",
        default_locale="zh_Hans",
        return_recipient="童趣衣橱退换货组",
        return_phone="0571-8866-2020",
        return_address_zh="浙江省杭州市余杭区仓前街道文一西路 1188 号 B 座 2 楼 童趣衣橱退换货组",
        return_address_en="Kidswear Closet Returns, 2F Block B, 1188 Wenyi West Road, Cangqian, Yuhang District, "
        "Hangzhou, Zhejiang",
    ),
    dict(
        slug="voltmart",
        name_zh="伏特数码",
        name_en="VoltMart Electronics",
        contact_phone="400-900-7777",
        contact_email="support@voltmart.example.com",
        brand_colour="#1c7ed6",
        default_locale="zh_Hans",
        return_recipient="伏特数码售后维修中心",
        return_phone="0755-8666-7777",
        return_address_zh="广东省深圳市南山区粤海街道高新南七道 18 号 5 楼 伏特数码售后维修中心",
        return_address_en="VoltMart Service Centre, 5F, 18 Gaoxin South 7th Road, Yuehai, Nanshan District, "
        "Shenzhen, Guangdong",
    ),
]


POLICY_EFFECTIVE = date(2026, 1, 1)

_CHANNELS = {
    "channels_zh": "在线客服（每日 09:00–18:00）、售后热线、邮箱；也可在本页提交售后申请并凭案件号跟踪进度。",
    "channels_en": "Online chat (daily 09:00–18:00), the after-sales hotline and email; you can also file a case "
    "on this site and track it with its case number.",
}

POLICIES = {
    "tianshang": (
        "fresh_food",
        {
            **_CHANNELS,
            "service_promise_zh": "酸奶和鲜食冷链配送；质量问题 24 小时内给出方案，食品安全问题 1 小时内响应。",
            "service_promise_en": "Yogurt and fresh food travel in the cold chain; quality problems get a solution within "
            "24 hours and food-safety issues a response within one hour.",
            "compensation_rules_zh": "食品安全问题依法退一赔十（或损失的三倍），最低 1000 元。",
            "compensation_rules_en": "Food-safety problems are compensated as the law requires: ten times the price "
            "(or three times the loss), at least 1,000 yuan.",
        },
        {},
    ),
    "kidswear": (
        "apparel_30",
        {
            **_CHANNELS,
            "service_promise_zh": "童装 30 天无理由退换，质量问题运费由我们承担。",
            "service_promise_en": "30-day no-reason returns on children's clothing; we pay shipping for quality problems.",
        },
        {
            "childrens_clothing": {
                "no_reason_return_days": 30,
                "conditions_zh": "须原包装、吊牌齐全、未穿着未洗涤；质量问题不受此限。",
                "conditions_en": "Original packaging, tags attached, unworn and unwashed; relaxed for quality problems.",
            }
        },
    ),
    "voltmart": (
        "electronics_sanbao",
        {
            **_CHANNELS,
            "service_promise_zh": "严格执行三包：7 天无理由退货，15 天质量问题换货，整机保修 12 个月。",
            "service_promise_en": "We keep the 三包 guarantee: 7-day no-reason returns, 15-day quality exchanges and a "
            "12-month whole-unit warranty.",
        },
        {"electronics": {"warranty_months": 12, "warranty_scope_zh": "整机", "warranty_scope_en": "whole unit"}},
    ),
}


def _policy(tenant: Tenant) -> None:
    """Publish the demo policy once; a shop that already has a version keeps it."""
    if policies.published_versions(tenant):
        return
    preset, texts, rules = POLICIES[tenant.slug]
    draft = policies.start_from_preset(tenant, None, preset)
    merged_rules = {**draft.category_rules, **rules}
    policies.save_draft(tenant, None, {**draft.terms, **texts}, merged_rules)
    policies.publish(tenant, None, POLICY_EFFECTIVE, "首次发布 / first version", allow_past=True)


@dataclass
class Login:
    role: str
    email: str
    where: str


RETURN_FIELDS = ("return_recipient", "return_phone", "return_address_zh", "return_address_en")


def _tenant(fields: dict) -> Tenant:
    tenant = db.session.scalar(select(Tenant).where(Tenant.slug == fields["slug"]))
    if tenant is None:
        tenant = Tenant(**fields)
        db.session.add(tenant)
        db.session.flush()
    elif not any(getattr(tenant, key) for key in RETURN_FIELDS):
        # A shop seeded before it had a return address gets one; one that has an address keeps it.
        for key in RETURN_FIELDS:
            setattr(tenant, key, fields[key])
        db.session.flush()
    return tenant


def _user(email: str, name: str, role: str, tenant: Tenant | None) -> User:
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None:
        # Hash only on creation: a second seed must change no row.
        user = User(email=email, name=name, role=role, tenant_id=tenant.id if tenant else None)
        user.set_password(DEMO_PASSWORD)
        db.session.add(user)
        db.session.flush()
        if role == "agent":  # demo agents take new cases: a shop that turns on the round-robin sees it work
            db.session.add(AvailableStaff(tenant_id=tenant.id, user_id=user.id))
            db.session.flush()
    return user


GRANT_DAYS = 365


def _grant(operator: User, supervisor: User, tenant: Tenant) -> None:
    """The demo supervisor may review every demo shop; a grant in force (or revoked by hand) is kept."""
    today = shop_today(tenant)
    kept = db.session.scalar(
        select(SupervisorGrant.id)
        .where(
            SupervisorGrant.supervisor_id == supervisor.id,
            SupervisorGrant.tenant_id == tenant.id,
            (SupervisorGrant.revoked_at.is_not(None)) | (SupervisorGrant.ends_on >= today),
        )
        .limit(1)
    )
    if kept is None:
        with tenant_context(tenant.id):
            supervision.grant(
                operator, supervisor, tenant, starts_on=POLICY_EFFECTIVE, ends_on=today + timedelta(days=GRANT_DAYS)
            )


@dataclass
class Seeded:
    logins: list[Login]
    cases: list[Showcase]  # one demo case per shop to open on /<slug>/track

    def __iter__(self):
        # Iterating gives the logins, as seed() used to return them.
        return iter(self.logins)


def seed(with_cases: bool = True) -> Seeded:
    """Shops, staff and policies; with_cases adds their orders and case histories."""
    logins: list[Login] = []
    showcases: list[Showcase] = []
    for fields in TENANTS:
        tenant = _tenant(fields)
        slug = tenant.slug
        with tenant_context(tenant.id):
            _policy(tenant)
        owner = _user(f"owner@{slug}.demo", f"{tenant.name_zh} 店长", "owner", tenant)
        agent = _user(f"agent@{slug}.demo", f"{tenant.name_zh} 客服", "agent", tenant)
        showcase = None
        if with_cases:
            with tenant_context(tenant.id):
                showcase = seed_tenant(tenant, owner, agent)
        if showcase is not None:
            showcases.append(showcase)
        logins += [
            Login("owner", f"owner@{slug}.demo", f"/{slug}/console/"),
            Login("agent", f"agent@{slug}.demo", f"/{slug}/console/"),
        ]
    supervisor = _user("supervisor@cca.demo", "消协监督员", "supervisor", None)
    operator = _user("operator@platform.demo", "平台运营", "operator", None)
    for fields in TENANTS:
        _grant(operator, supervisor, db.session.scalar(select(Tenant).where(Tenant.slug == fields["slug"])))
    logins += [
        Login("supervisor", "supervisor@cca.demo", "/supervise/"),
        Login("operator", "operator@platform.demo", "/admin/"),
    ]
    return Seeded(logins, showcases)
