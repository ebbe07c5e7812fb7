"""Tenant: a merchant using the platform."""
from __future__ import annotations

from sqlalchemy import Boolean, String
from sqlalchemy.orm import Mapped, mapped_column

from saas.extensions import db
from saas.models.base import Timestamps

LOCALES = ("zh_Hans", "en")


class Tenant(Timestamps, db.Model):
    __tablename__ = "tenants"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name_zh: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120))
    contact_phone: Mapped[str] = mapped_column(String(40), default="")
    contact_email: Mapped[str] = mapped_column(String(254), default="")
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    default_locale: Mapped[str] = mapped_column(String(10), default="zh_Hans")
    brand_colour: Mapped[str] = mapped_column(String(7), default="#1f6feb")
    logo_path: Mapped[str | None] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)

    def name(self, locale: str | None) -> str:
        return self.name_en if locale == "en" else self.name_zh

    def __repr__(self) -> str:
        return f"<Tenant {self.slug}>"
