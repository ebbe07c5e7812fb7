"""Orders and their lines, imported by the merchant; one order has many cases."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Index, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from saas.extensions import db
from saas.models.base import Timestamps
from tenants.scoping import TenantScoped

# Purchase channels and their names (zh, en): the one list for forms, imports and pages.
CHANNEL_LABELS: dict[str, tuple[str, str]] = {
    "taobao": ("淘宝", "Taobao"),
    "tmall": ("天猫", "Tmall"),
    "jd": ("京东", "JD.com"),
    "pdd": ("拼多多", "Pinduoduo"),
    "douyin": ("抖音", "Douyin"),
    "brand_site": ("官网", "Brand website"),
    "offline": ("线下", "Offline store"),
    "other": ("其他", "Other"),
}
CHANNELS = tuple(CHANNEL_LABELS)


class Order(TenantScoped, Timestamps, db.Model):
    __tablename__ = "orders"
    # The index serves the reports' return/exchange rate: a shop's orders purchased in a period.
    __table_args__ = (
        UniqueConstraint("tenant_id", "order_number"),
        Index("ix_orders_tenant_purchase", "tenant_id", "purchase_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_number: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(20), default="other")
    purchase_date: Mapped[date] = mapped_column(Date)
    delivery_date: Mapped[date | None] = mapped_column(Date)
    customer_name: Mapped[str] = mapped_column(String(80))
    mobile: Mapped[str] = mapped_column(String(20), default="")
    email: Mapped[str] = mapped_column(String(254), default="")

    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderLine.id"
    )

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal("0"))


class OrderLine(TenantScoped, db.Model):
    __tablename__ = "order_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    sku: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(40), default="general")
    quantity: Mapped[int] = mapped_column(Integer, default=1)
    unit_price: Mapped[Decimal] = mapped_column(Numeric(12, 2))

    order: Mapped[Order] = relationship(back_populates="lines")

    @property
    def amount(self) -> Decimal:
        return self.unit_price * self.quantity
