"""The shop's own clock: "now" and "today" in a shop's time zone, the one place that says how.

Every "today" a person sees or a rule depends on (a policy in force, an order's age, a report's month,
a form's date bounds, a page that goes stale at midnight) is the shop's, in its own zone; outside a
shop (the operator's pages) it is the platform's, Asia/Shanghai. The instant comes from the platform's
clock (saas.models.base.utcnow), so travel_to() in tests and simulations moves it too.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from typing import Protocol
from zoneinfo import ZoneInfo

from saas.models.base import utcnow

PLATFORM_TZ = "Asia/Shanghai"


class _HasZone(Protocol):
    timezone: str


@lru_cache(maxsize=64)
def zone(name: str | None = None) -> ZoneInfo:
    """The ZoneInfo for a zone name (the platform's for None or "")."""
    return ZoneInfo(name or PLATFORM_TZ)


def zone_of(tenant: _HasZone | None) -> ZoneInfo:
    return zone(getattr(tenant, "timezone", None))


def local_now(tenant: _HasZone | None, now: datetime | None = None) -> datetime:
    """`now` (the platform's clock by default) on the shop's wall clock."""
    return (now or utcnow()).astimezone(zone_of(tenant))


def shop_today(tenant: _HasZone | None, now: datetime | None = None) -> date:
    """The shop's date at `now` (the platform's date without a shop)."""
    return local_now(tenant, now).date()
