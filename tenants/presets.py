"""Policy presets a merchant starts from: the statutory baseline and common trades, terms and category rules."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Preset:
    name_zh: str
    name_en: str
    description_zh: str
    description_en: str
    terms: dict[str, Any]
    category_rules: dict[str, dict[str, Any]]


def _exempt(exemption: str, **more: Any) -> dict[str, Any]:
    return {"no_reason_return_days": 0, "legal_exemption": exemption, **more}


_PERISHABLE = _exempt("fresh_perishable", paid_repair_after_warranty=False)


PRESETS: dict[str, Preset] = {
    "cn_statutory": Preset(
        "中国法定基线",
        "China statutory baseline",
        "七天无理由退货、7 天质量退货、15 天质量换货；定制、鲜活易腐、数字化商品和报纸期刊依法不适用无理由退货。",
        "7-day no-reason returns, 7-day quality returns, 15-day quality exchanges; custom-made, perishable and "
        "digital goods and periodicals are exempt from no-reason returns by law.",
        {},
        {
            "custom_made": _exempt("custom_made"),
            "fresh_food": dict(_PERISHABLE),
            "dairy": dict(_PERISHABLE),
            "digital": _exempt("digital", paid_repair_after_warranty=False),
            "periodicals": _exempt("periodicals", paid_repair_after_warranty=False),
        },
    ),
    "fresh_food": Preset(
        "生鲜食品",
        "Fresh food",
        "生鲜依法不适用七天无理由退货；签收后 24 小时内反馈质量问题可极速退款，质量问题 2 天内可退换。",
        "Fresh goods are exempt from no-reason returns by law; a quality problem reported within 24 hours of "
        "delivery is refunded express, and quality returns/exchanges are open for 2 days.",
        {
            "no_reason_return_days": 0,
            "legal_exemption": "fresh_perishable",
            "quality_return_days": 2,
            "quality_exchange_days": 2,
            "fresh_quality_refund_24h": True,
            "paid_repair_after_warranty": False,
            "conditions_zh": "请签收时当面验货；如有质量问题，请于签收后 24 小时内拍照反馈，并按要求冷藏保存商品。",
            "conditions_en": "Please check the goods on delivery; report a quality problem with photos within 24 hours "
            "and keep the goods refrigerated as instructed.",
            "exclusions_zh": "未按要求冷藏保存、超过保质期后食用、人为损坏的，不属于质量问题。",
            "exclusions_en": "Goods not kept refrigerated as instructed, eaten after the best-before date, or damaged "
            "by the customer are not quality problems.",
        },
        {
            "food": {
                "no_reason_return_days": 7,
                "legal_exemption": None,
                "quality_return_days": 7,
                "quality_exchange_days": 15,
                "fresh_quality_refund_24h": False,
            },
            "dairy": dict(_PERISHABLE),
        },
    ),
    "electronics_sanbao": Preset(
        "数码家电三包",
        "Electronics (三包 guarantee)",
        "七天无理由退货，7 天质量问题退货，15 天质量问题换货，整机保修 12 个月，保修期外付费维修。",
        "7-day no-reason returns, 7-day quality returns, 15-day quality exchanges, 12-month whole-unit warranty, "
        "paid repair afterwards.",
        {
            "no_reason_return_days": 7,
            "quality_return_days": 7,
            "quality_exchange_days": 15,
            "warranty_months": 12,
            "warranty_scope_zh": "整机",
            "warranty_scope_en": "whole unit",
            "paid_repair_after_warranty": True,
            "repair_cycle_min_days": 5,
            "repair_cycle_max_days": 7,
            "conditions_zh": "无理由退货须商品及配件、赠品、包装齐全，未激活、不影响二次销售；质量问题不受此限。",
            "conditions_en": "For a no-reason return the item, accessories, gifts and packaging must be complete and "
            "the device not activated; these conditions are relaxed for quality problems.",
            "exclusions_zh": "人为损坏、进液、私自拆机或改装、未按说明书使用造成的故障不在免费保修范围内。",
            "exclusions_en": "Faults caused by physical damage, liquid, unauthorised opening or modification, or use "
            "against the manual are not covered by the free warranty.",
        },
        {"digital": _exempt("digital", warranty_months=0, paid_repair_after_warranty=False)},
    ),
    "apparel_30": Preset(
        "服装 30 天退换",
        "Apparel, 30-day returns",
        "30 天无理由退换，须原包装、吊牌齐全、未穿着洗涤；质量问题按法定期限退换。",
        "30-day no-reason returns with original packaging and tags attached, unworn and unwashed; quality "
        "problems follow the statutory windows.",
        {
            "no_reason_return_days": 30,
            "quality_return_days": 7,
            "quality_exchange_days": 15,
            "paid_repair_after_warranty": False,
            "conditions_zh": "须保持原包装、吊牌齐全，未穿着、未洗涤、无异味；质量问题不受此限。",
            "conditions_en": "Items must be in their original packaging with tags attached, unworn, unwashed and "
            "odour-free; these conditions are relaxed for quality problems.",
        },
        {"custom_made": _exempt("custom_made")},
    ),
}


def apply_preset(name: str) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """Fresh copies of a preset's terms and category rules, ready to store on a draft policy version."""
    if name not in PRESETS:
        raise KeyError(f"unknown preset {name!r}; known: {', '.join(PRESETS)}")
    preset = PRESETS[name]
    return copy.deepcopy(preset.terms), copy.deepcopy(preset.category_rules)
