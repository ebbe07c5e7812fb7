"""Tenant (a merchant using the platform) and its versioned after-sales policy."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, UniqueConstraint, event, inspect
from sqlalchemy.orm import Mapped, mapped_column

from saas.caches.tokens import ShopData
from saas.extensions import db
from saas.locale import pick
from saas.models.base import Timestamps, UTCDateTime, status_check
from tenants.scoping import TenantScoped

LOCALES = ("zh_Hans", "en")


class Tenant(ShopData, Timestamps, db.Model):
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
    # Where consumers send returns; printed on the return slip.
    return_recipient: Mapped[str] = mapped_column(String(80), default="", server_default="")
    return_phone: Mapped[str] = mapped_column(String(40), default="", server_default="")
    return_address_zh: Mapped[str] = mapped_column(String(300), default="", server_default="")
    return_address_en: Mapped[str] = mapped_column(String(300), default="", server_default="")
    # PIPL: closed cases are anonymised this many days after closing (saas/services/retention.py).
    retention_days: Mapped[int] = mapped_column(Integer, default=365, server_default="365")

    def return_address(self, lang: str | None) -> str:
        return pick(self.return_address_zh, self.return_address_en, lang or "zh", fallback=True)

    def name(self, locale: str | None) -> str:
        return pick(self.name_zh, self.name_en, locale or "zh")

    def cached_shop_id(self) -> int | None:
        return self.id

    def __repr__(self) -> str:
        return f"<Tenant {self.slug}>"


class PolicyStatus(StrEnum):
    """A version is a draft until published (saas/models/statuses.py lists every status set)."""

    DRAFT = "draft"
    PUBLISHED = "published"


class PolicyVersion(ShopData, TenantScoped, Timestamps, db.Model):
    """One version of a tenant's after-sales policy: a draft, or published and frozen."""

    __tablename__ = "policy_versions"
    __table_args__ = (UniqueConstraint("tenant_id", "number"), status_check("status", PolicyStatus))

    id: Mapped[int] = mapped_column(primary_key=True)
    # Null while a draft; 1, 2, 3 … once published.
    number: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10), default="draft")
    effective_date: Mapped[date | None] = mapped_column(Date)
    terms: Mapped[dict] = mapped_column(JSON, default=dict)
    category_rules: Mapped[dict] = mapped_column(JSON, default=dict)
    change_note: Mapped[str] = mapped_column(String(500), default="")
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    @property
    def is_published(self) -> bool:
        return self.status == "published"

    def __repr__(self) -> str:
        return f"<PolicyVersion tenant={self.tenant_id} #{self.number} {self.status}>"


class PublishedPolicyIsFrozen(RuntimeError):
    """Published policy versions never change: cases are judged by them."""


@event.listens_for(PolicyVersion, "before_update")
def _freeze_published(mapper, connection, target: PolicyVersion) -> None:
    state = inspect(target)
    was = state.attrs.status.history
    if (was.deleted and was.deleted[0] == "published") or (not was.has_changes() and target.status == "published"):
        changed = [a.key for a in state.attrs if a.history.has_changes() and a.key != "updated_at"]
        if changed:
            raise PublishedPolicyIsFrozen(f"published policy version changed: {changed}")


@event.listens_for(PolicyVersion, "before_delete")
def _no_delete_published(mapper, connection, target: PolicyVersion) -> None:
    if target.status == "published":
        raise PublishedPolicyIsFrozen("published policy versions are never deleted")


class CalendarOverride(db.Model):
    """One day of a country's official arrangement that differs from Mon–Fri (platform-wide, not per tenant).

    Imported a year at a time by an operator when the chinesecalendar package has no data yet;
    a holiday on a weekday has is_working_day False, an adjusted working weekend (调休) True.
    """

    __tablename__ = "calendar_overrides"
    __table_args__ = (UniqueConstraint("country", "date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    country: Mapped[str] = mapped_column(String(2))
    date: Mapped[date] = mapped_column(Date)
    is_working_day: Mapped[bool] = mapped_column(Boolean)
    # 春节 / Spring Festival, 调休 …
    name: Mapped[str] = mapped_column(String(64), default="")
    # The imported file's name, for the operator desk.
    source: Mapped[str] = mapped_column(String(200), default="")
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime())

    def __repr__(self) -> str:
        return f"<CalendarOverride {self.country} {self.date} {'work' if self.is_working_day else 'off'}>"


class CalendarYear(Timestamps, db.Model):
    """A year whose official arrangement an operator imported: every day not in the overrides follows Mon–Fri."""

    __tablename__ = "calendar_years"
    __table_args__ = (UniqueConstraint("country", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    country: Mapped[str] = mapped_column(String(2))
    year: Mapped[int] = mapped_column(Integer)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The operator's email, or "command line" with the OS user; a string so it outlives the account.
    imported_by: Mapped[str] = mapped_column(String(254), default="")
    source: Mapped[str] = mapped_column(String(200), default="")
    days: Mapped[int] = mapped_column(Integer, default=0)
    # How many times the year was imported; bumped on every import so caches notice even with skewed clocks.
    revision: Mapped[int] = mapped_column(Integer, default=1)

    def __repr__(self) -> str:
        return f"<CalendarYear {self.country} {self.year}>"
