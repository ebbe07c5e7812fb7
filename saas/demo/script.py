"""The demo shops' script: their customers, products, orders and cases, read from `saas/demo/data/<slug>.json`.

The data files hold only literals; this module gives them their shape (frozen
dataclasses) and refuses a file with an unknown key, an unknown step or a reference
to an order, product or customer that is not there, naming the file and the place.

Moments are written relative to the day the seed runs:

- `"2d 20:45"`: two days before today at 20:45 in the shop's time zone (days ≥ 1);
- `"6min"`: six minutes before now (at most an hour: always after 22:30 yesterday).

A step is a list: `[when, action, *arguments]`, optionally ending with an object of
keyword arguments; the keys `by` (agent | owner: who acts) and `photos` (photo specs
attached to the step) are the step's own, any other key goes to the service call.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime, time, timedelta
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo

SLUGS = ("tianshang", "kidswear", "voltmart")

# The actions `saas.demo.case_steps` can replay (see its `_CONSUMER_STEPS` and `_STAFF_STEPS`).
ACTIONS = frozenset(
    {
        "accept",
        "info",
        "return",
        "received",
        "inspected",
        "verify",
        "propose",
        "execute",
        "reject",
        "escalate",
        "close",
        "note",
        "message",
        "consumer",
        "shipped",
    }
)


@dataclass(frozen=True)
class When:
    """A moment of the story: `days` before today at a local wall-clock time, or `minutes` before now."""

    days: int = 0
    hm: str = ""
    minutes: int = 0

    def resolve(self, now: datetime, tz: ZoneInfo) -> datetime:
        if self.hm:
            hour, minute = map(int, self.hm.split(":"))
            day = now.astimezone(tz).date() - timedelta(days=self.days)
            return datetime.combine(day, time(hour, minute), tz).astimezone(UTC)
        return now - timedelta(minutes=self.minutes)


def d(days: int, hm: str) -> When:
    if days < 1:
        raise ValueError("wall-clock times are for past days; use ago() for today")
    return When(days=days, hm=hm)


def ago(minutes: int) -> When:
    # Always after 22:30 yesterday when at most an hour ago, so after any d(1, "≤22:30").
    if not 0 < minutes <= 60:
        raise ValueError("ago() is for the last hour")
    return When(minutes=minutes)


_WHEN = re.compile(r"(?:(\d+)d ([01]\d|2[0-3]):([0-5]\d)|(\d+)min)")


def when(text: str) -> When:
    """`"2d 20:45"` or `"6min"` (see the module's docstring)."""
    m = _WHEN.fullmatch(text)
    if m is None:
        raise ValueError(f'{text!r} is not a moment ("2d 20:45" or "6min")')
    if m[4] is not None:
        return ago(int(m[4]))
    return d(int(m[1]), f"{m[2]}:{m[3]}")


@dataclass(frozen=True)
class Product:
    name: str
    category: str
    price: str


@dataclass(frozen=True)
class DemoOrder:
    key: str
    customer: int  # index into the shop's customers
    channel: str
    purchased: int  # days ago
    delivered: int | None  # days ago; None: not delivered yet
    lines: tuple[tuple[str, int], ...]  # (sku, quantity)


@dataclass(frozen=True)
class Typed:
    """What a consumer types for an order that is not found (never imported, or mistyped)."""

    # "jd", "tmall" …: a fresh number of that channel; "=key": that demo order's number (with a contact
    # that does not match it); "~key": that order's number, one digit short.
    number: str
    channel: str
    purchased: int
    delivered: int | None
    category: str
    price: str | None = None


@dataclass(frozen=True)
class Step:
    at: When
    action: str
    args: tuple = ()
    kw: dict = field(default_factory=dict)
    by: str = "agent"  # agent | owner
    photos: tuple[str, ...] = ()


@dataclass(frozen=True)
class DemoCase:
    filed: When
    problem: str
    expected: str
    text: str
    order: str | None = None  # the demo order it is about (found, so the case is "order verified")
    skus: tuple[str, ...] = ()  # the order lines it covers; empty: all
    typed: Typed | None = None  # instead of order: an order that is not found
    customer: int | None = None  # with typed: who files it
    contact: str = "both"  # both | mobile | email: what the consumer gives
    photos: tuple[str, ...] = ()
    steps: tuple[Step, ...] = ()
    intake_channel: str = "web"  # web | agent (a phone call the agent types in)
    locale: str = "zh_Hans"
    showcase: bool = False  # the case the CLI prints for trying /<slug>/track
    survey: tuple[int, str] | None = None  # the follow-up survey's answer, if it was sent already


@dataclass(frozen=True)
class Shop:
    seed: str
    order_prefix: str  # of the shop's own web-shop order numbers
    customers: tuple[tuple[str, str, bool], ...]  # name, pinyin for the email, has an email
    products: dict[str, Product]
    orders: tuple[DemoOrder, ...]
    cases: tuple[DemoCase, ...]


# ---------------------------------------------------------------- reading the data files


class DemoDataError(ValueError):
    """A demo data file that does not describe a shop; the message names the file and the place."""


def _keys(where: str, obj: Any, cls: type, required: tuple[str, ...] = ()) -> dict:
    if not isinstance(obj, dict):
        raise DemoDataError(f"{where}: expected an object")
    allowed = {f.name for f in fields(cls)}
    unknown = sorted(set(obj) - allowed)
    if unknown:
        raise DemoDataError(f"{where}: unknown key(s) {', '.join(unknown)}")
    missing = [k for k in required if k not in obj]
    if missing:
        raise DemoDataError(f"{where}: missing key(s) {', '.join(missing)}")
    return obj


def _when(where: str, text: Any) -> When:
    try:
        return when(text)
    except (TypeError, ValueError) as exc:
        raise DemoDataError(f"{where}: {exc}") from None


def _step(where: str, raw: Any) -> Step:
    if not isinstance(raw, list) or len(raw) < 2:
        raise DemoDataError(f"{where}: a step is [when, action, *arguments, {{keywords}}]")
    kw = dict(raw[-1]) if isinstance(raw[-1], dict) else {}
    args = tuple(raw[2:-1] if isinstance(raw[-1], dict) else raw[2:])
    if raw[1] not in ACTIONS:
        raise DemoDataError(f"{where}: unknown action {raw[1]!r}")
    by = kw.pop("by", "agent")
    photos = tuple(kw.pop("photos", ()))
    return Step(_when(where, raw[0]), raw[1], args, kw, by, photos)


def _case(where: str, raw: Any) -> DemoCase:
    values = dict(_keys(where, raw, DemoCase, ("filed", "problem", "expected", "text")))
    values["filed"] = _when(where, values["filed"])
    for name in ("skus", "photos"):
        if name in values:
            values[name] = tuple(values[name])
    if "typed" in values:
        values["typed"] = Typed(
            **_keys(
                f"{where}.typed", values["typed"], Typed, ("number", "channel", "purchased", "delivered", "category")
            )
        )
    if "survey" in values:
        values["survey"] = tuple(values["survey"])
    values["steps"] = tuple(_step(f"{where}.steps[{i}]", s) for i, s in enumerate(values.get("steps", ())))
    return DemoCase(**values)


def _check(name: str, shop: Shop) -> None:
    """References inside one shop's data: orders → customers and products; cases → orders and customers."""
    keys = {o.key for o in shop.orders}
    for i, order in enumerate(shop.orders):
        if not 0 <= order.customer < len(shop.customers):
            raise DemoDataError(f"{name}: orders[{i}]: no customer {order.customer}")
        for sku, _quantity in order.lines:
            if sku not in shop.products:
                raise DemoDataError(f"{name}: orders[{i}]: no product {sku}")
    for i, case in enumerate(shop.cases):
        where = f"{name}: cases[{i}]"
        if (case.order is None) == (case.typed is None):
            raise DemoDataError(f"{where}: give either an order or what was typed")
        if case.order is not None and case.order not in keys:
            raise DemoDataError(f"{where}: no order {case.order}")
        if case.typed is not None:
            if case.customer is None or not 0 <= case.customer < len(shop.customers):
                raise DemoDataError(f"{where}: a typed order needs the customer who files it")
            if case.typed.number[:1] in "=~" and case.typed.number[1:] not in keys:
                raise DemoDataError(f"{where}: no order {case.typed.number[1:]}")
        for step in case.steps:
            if step.by not in ("agent", "owner"):
                raise DemoDataError(f"{where}: a step by {step.by!r} (agent or owner)")


def parse(name: str, text: str) -> Shop:
    """A shop from the text of its data file; `name` is used in error messages."""
    raw = _keys(name, json.loads(text), Shop, tuple(f.name for f in fields(Shop)))
    shop = Shop(
        seed=raw["seed"],
        order_prefix=raw["order_prefix"],
        customers=tuple((c[0], c[1], bool(c[2])) for c in raw["customers"]),
        products={
            sku: Product(**_keys(f"{name}: products.{sku}", p, Product, ("name", "category", "price")))
            for sku, p in raw["products"].items()
        },
        orders=tuple(
            DemoOrder(
                **{
                    **_keys(f"{name}: orders[{i}]", o, DemoOrder, tuple(f.name for f in fields(DemoOrder))),
                    "lines": tuple((sku, int(q)) for sku, q in o["lines"]),
                }
            )
            for i, o in enumerate(raw["orders"])
        ),
        cases=tuple(_case(f"{name}: cases[{i}]", c) for i, c in enumerate(raw["cases"])),
    )
    _check(name, shop)
    return shop


def load(slug: str) -> Shop | None:
    """The demo shop `slug` from the package's data files; None for a shop that has no demo data."""
    if slug not in SLUGS:
        return None
    data = resources.files("saas.demo").joinpath("data", f"{slug}.json")
    return parse(f"demo/data/{slug}.json", data.read_text(encoding="utf-8"))
