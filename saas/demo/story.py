"""One demo shop's story as it is replayed: its plan (contacts, order numbers), staff, clock and what it has so far.

`saas.demo.cases` tells the story (orders, then cases, then what the worker would have
done); `saas.demo.case_steps` plays each case. Both run every step `at` its moment of the
story, and share the `Story` here: the shop's script, the people and numbers planned for
it, the random stream its details come from, and the orders and cases made so far.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from saas.demo.script import DemoCase, Shop, When
from saas.extensions import db
from saas.models.base import travel_to
from saas.models.order import Order
from saas.models.user import User
from tenants.models import Tenant

# ---------------------------------------------------------------- numbers people would recognise

MOBILE_PREFIXES = ("138", "139", "136", "137", "135", "150", "151", "158", "159", "186", "187", "188", "177", "199")
ORDER_NUMBERS = {  # what each channel's order numbers look like (no dates in them: see `planned`)
    "tmall": lambda r, p: "3" + digits(r, 18),
    "taobao": lambda r, p: "2" + digits(r, 18),
    "jd": lambda r, p: "2" + digits(r, 11),
    "douyin": lambda r, p: "69" + digits(r, 17),
    "brand_site": lambda r, p: p + digits(r, 10),
}


def digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(n))


@dataclass
class Person:
    name: str
    mobile: str
    email: str


@dataclass
class Plan:
    people: list[Person]
    numbers: dict[str, str]  # order key → order number


def planned(shop: Shop) -> Plan:
    """Contacts and order numbers, the same on every run and every day (the idempotency check relies on it)."""
    rng = random.Random(shop.seed)
    people = []
    for name, pinyin, has_email in shop.customers:
        mobile = rng.choice(MOBILE_PREFIXES) + digits(rng, 8)
        email = f"{pinyin}{rng.randint(10, 99)}@example.com"
        people.append(Person(name, mobile, email if has_email else ""))
    numbers = {o.key: ORDER_NUMBERS[o.channel](rng, shop.order_prefix) for o in shop.orders}
    return Plan(people, numbers)


# ---------------------------------------------------------------- the story's clock and state


@contextmanager
def at(moment: datetime) -> Iterator[None]:
    """Run one step of the story as if it were `moment`: services, clocks and new rows all read that time."""
    with travel_to(moment):
        yield
        db.session.flush()


@dataclass
class Story:
    tenant: Tenant
    shop: Shop
    plan: Plan
    staff: dict[str, User]
    tz: ZoneInfo
    rng: random.Random
    now: datetime
    orders: dict[str, Order] = field(default_factory=dict)
    imported_at: dict[str, datetime] = field(default_factory=dict)
    specs: dict[int, DemoCase] = field(default_factory=dict)  # case id → its script

    def moment(self, when: When) -> datetime:
        moment = when.resolve(self.now, self.tz)
        if when.hm:
            moment += timedelta(seconds=self.rng.randrange(60))
        return moment

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.tz)
