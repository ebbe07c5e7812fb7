"""A shop's reasons for after-sales cases (售后原因), stored on a case as a stable code.

Each shop keeps its own list: top-level reasons and, under some, sub-reasons (one level). The code never
changes once a reason exists; renaming changes the Chinese and English names (the shop's own data, hence
two columns), deactivating takes a reason off the verification form while old cases keep its label.

Every new shop starts with DEFAULT_REASONS, however it is created (the operator's form, the demo, a
test): an after_insert listener on Tenant writes them in the same transaction. The migration that
created the table seeded the shops that existed then.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Integer, String, UniqueConstraint, event, insert
from sqlalchemy.orm import Mapped, mapped_column

from saas.extensions import db
from saas.locale import pick
from saas.models.base import Timestamps, utcnow
from tenants.models import Tenant
from tenants.scoping import TenantScoped

CODE_MAX = 40
NAME_MAX = 60

# (code, parent code, 中文, English): what Chinese marketplaces (Taobao/Tmall, JD, Pinduoduo, Douyin) offer
# as refund and return reasons, with the quality problems broken down.
DEFAULT_REASONS: tuple[tuple[str, str | None, str, str], ...] = (
    ("quality", None, "质量问题", "Quality problem"),
    ("quality.function", "quality", "功能故障", "Does not work properly"),
    ("quality.workmanship", "quality", "做工瑕疵/破损", "Poor workmanship or broken"),
    ("quality.allergy_odour", "quality", "过敏/异味", "Allergic reaction or odour"),
    ("quality.fading_shape", "quality", "褪色/起球/变形", "Fading, pilling or deformed"),
    ("quality.expired", "quality", "临期/过期/变质", "Near or past expiry, spoiled"),
    ("quality.counterfeit", "quality", "疑似假冒", "Suspected counterfeit"),
    ("quality.other", "quality", "其他质量问题", "Other quality problem"),
    ("size", None, "尺码不符", "Wrong size or fit"),
    ("not_as_described", None, "颜色/款式与描述不符", "Colour or style not as described"),
    ("missing_items", None, "少件/漏发", "Missing items or parts"),
    ("wrong_item", None, "发错货", "Wrong item sent"),
    ("shipping_damage", None, "物流损坏", "Damaged in transit"),
    ("late_shipment", None, "未按约定时间发货", "Not shipped on time"),
    ("no_reason", None, "不想要了/七天无理由", "Changed mind (7-day no-reason return)"),
    ("price", None, "价格原因", "Price (price drop, price protection)"),
    ("invoice", None, "发票问题", "Invoice problem"),
    ("other", None, "其他", "Other"),
)


class ReasonCode(TenantScoped, Timestamps, db.Model):
    __tablename__ = "reason_codes"
    __table_args__ = (UniqueConstraint("tenant_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(CODE_MAX))
    parent_code: Mapped[str | None] = mapped_column(String(CODE_MAX))
    name_zh: Mapped[str] = mapped_column(String(NAME_MAX))
    name_en: Mapped[str] = mapped_column(String(NAME_MAX), default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    def name(self, lang: str) -> str:
        """The name in the reader's language; a reason named only in Chinese shows its Chinese name."""
        return pick(self.name_zh, self.name_en, lang, fallback=True)

    def __repr__(self) -> str:
        return f"<ReasonCode {self.code}>"


def default_rows(tenant_id: int) -> list[dict]:
    """The default list as rows for one shop (positions in steps of 10, sub-reasons numbered under their parent)."""
    now = utcnow()
    return [
        dict(
            tenant_id=tenant_id,
            code=code,
            parent_code=parent,
            name_zh=zh,
            name_en=en,
            position=(i + 1) * 10,
            active=True,
            created_at=now,
            updated_at=now,
        )
        for i, (code, parent, zh, en) in enumerate(DEFAULT_REASONS)
    ]


@event.listens_for(Tenant, "after_insert")
def _seed_defaults(mapper, connection, tenant: Tenant) -> None:
    connection.execute(insert(ReasonCode.__table__), default_rows(tenant.id))
