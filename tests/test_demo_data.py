"""The demo shops' data files: each one reads into a shop, and a mistake in one is refused with its place."""

from __future__ import annotations

import json
from importlib import resources

import pytest

from saas.demo import script
from saas.demo.photos import subjects
from saas.demo.script import DemoDataError, When


def _text(slug: str) -> str:
    return resources.files("saas.demo").joinpath("data", f"{slug}.json").read_text(encoding="utf-8")


@pytest.mark.parametrize("slug", script.SLUGS)
def test_every_demo_shop_reads_from_its_data_file(slug):
    shop = script.load(slug)
    assert len(shop.orders) >= 10 and len(shop.cases) >= 10
    assert sum(case.showcase for case in shop.cases) == 1
    steps = [step for case in shop.cases for step in case.steps]
    assert {step.action for step in steps} <= script.ACTIONS
    photos = [p for case in shop.cases for p in case.photos] + [p for step in steps for p in step.photos]
    assert photos and {p.partition(":")[0] for p in photos} <= subjects() | {"screenshot"}


def test_a_shop_without_demo_data_gets_none():
    assert script.load("no-such-shop") is None


def test_moments_are_read_as_written():
    assert script.when("2d 20:45") == When(days=2, hm="20:45")
    assert script.when("6min") == When(minutes=6)
    for wrong in ("0d 10:00", "61min", "2d 24:00", "yesterday"):
        with pytest.raises(ValueError):
            script.when(wrong)


def _broken(change) -> str:
    data = json.loads(_text("tianshang"))
    change(data)
    return json.dumps(data, ensure_ascii=False)


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda d: d["cases"][1].update(problme="quality"), "cases[1]: unknown key(s) problme"),
        (lambda d: d["cases"][1].update(order="ts99"), "cases[1]: no order ts99"),
        (lambda d: d["cases"][1]["steps"].append(["1d 11:50", "refund"]), "cases[1].steps[1]: unknown action 'refund'"),
        (lambda d: d["cases"][1]["steps"].append(["0d 11:50", "close"]), "cases[1].steps[1]: wall-clock times"),
        (lambda d: d["orders"][0]["lines"].append(["TS-XX-999", 1]), "orders[0]: no product TS-XX-999"),
        (lambda d: d["orders"][0].update(customer=99), "orders[0]: no customer 99"),
        (lambda d: d.pop("products"), "missing key(s) products"),
    ],
)
def test_a_mistake_in_a_data_file_is_refused_with_its_place(change, message):
    with pytest.raises(DemoDataError) as refused:
        script.parse("tianshang.json", _broken(change))
    assert message in str(refused.value)
