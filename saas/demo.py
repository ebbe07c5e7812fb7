"""Demo data: three shops, their staff, a supervisor and an operator (idempotent)."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from saas.extensions import db
from saas.models.user import User
from tenants.models import Tenant

DEMO_PASSWORD = "demo-password-2026"

TENANTS = [
    dict(slug="tianshang", name_zh="甜上心头", name_en="Sweet Heart Dairy",
         contact_phone="400-820-1314", contact_email="service@tianshang.example.com",
         brand_colour="#d6336c", default_locale="zh_Hans"),
    dict(slug="kidswear", name_zh="童趣衣橱", name_en="Kidswear Closet",
         contact_phone="400-660-2020", contact_email="help@kidswear.example.com",
         brand_colour="#2f9e44", default_locale="zh_Hans"),
    dict(slug="voltmart", name_zh="伏特数码", name_en="VoltMart Electronics",
         contact_phone="400-900-7777", contact_email="support@voltmart.example.com",
         brand_colour="#1c7ed6", default_locale="zh_Hans"),
]


@dataclass
class Login:
    role: str
    email: str
    where: str


def _tenant(fields: dict) -> Tenant:
    tenant = db.session.scalar(select(Tenant).where(Tenant.slug == fields["slug"]))
    if tenant is None:
        tenant = Tenant(**fields)
        db.session.add(tenant)
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
    return user


def seed() -> list[Login]:
    logins: list[Login] = []
    for fields in TENANTS:
        tenant = _tenant(fields)
        slug = tenant.slug
        _user(f"owner@{slug}.demo", f"{tenant.name_zh} 店长", "owner", tenant)
        _user(f"agent@{slug}.demo", f"{tenant.name_zh} 客服", "agent", tenant)
        logins += [Login("owner", f"owner@{slug}.demo", f"/{slug}/console/"),
                   Login("agent", f"agent@{slug}.demo", f"/{slug}/console/")]
    _user("supervisor@cca.demo", "消协监督员", "supervisor", None)
    _user("operator@platform.demo", "平台运营", "operator", None)
    logins += [Login("supervisor", "supervisor@cca.demo", "/supervise/"),
               Login("operator", "operator@platform.demo", "/admin/")]
    return logins
