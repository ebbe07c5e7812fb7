"""Product categories, and the goods the law exempts from no-reason returns."""

from __future__ import annotations

from typing import NamedTuple


class Category(NamedTuple):
    zh: str
    en: str
    legal_exemption: str | None


# Consumer Rights Protection Law art. 25: at least 7 days of no-reason return, except for these goods.
LEGAL_NO_REASON_DAYS = 7
LEGAL_EXEMPTIONS: dict[str, tuple[str, str]] = {
    "custom_made": ("消费者定作的商品", "goods made to the consumer's order"),
    "fresh_perishable": ("鲜活易腐的商品", "fresh and perishable goods"),
    "digital": (
        "在线下载或者消费者拆封的音像制品、计算机软件等数字化商品",
        "digital goods downloaded online, or audio-visual products and software unsealed by the consumer",
    ),
    "periodicals": ("交付的报纸、期刊", "newspapers and periodicals already delivered"),
}

CATEGORIES: dict[str, Category] = {
    "general": Category("通用", "General", None),
    "fresh_food": Category("生鲜食品", "Fresh food", "fresh_perishable"),
    "food": Category("预包装食品", "Pre-packaged food", None),
    "dairy": Category("乳制品/酸奶", "Dairy and yogurt", "fresh_perishable"),
    "electronics": Category("数码家电", "Electronics", None),
    "home_appliance": Category("家用电器", "Home appliances", None),
    "childrens_clothing": Category("童装", "Children's clothing", None),
    "apparel": Category("服装鞋帽", "Clothing, shoes and hats", None),
    "custom_made": Category("定制商品", "Custom-made goods", "custom_made"),
    "digital": Category("数字商品/在线下载", "Digital goods and downloads", "digital"),
    "periodicals": Category("报纸期刊", "Newspapers and periodicals", "periodicals"),
    "cosmetics": Category("美妆个护", "Cosmetics and personal care", None),
}
