"""Demo orders and after-sales cases: a few weeks of a shop's history, replayed through the real services.

For each demo shop, `seed_tenant` imports orders (through the CSV importer, as a
merchant would) and files about a dozen cases, then drives each one through the
same service calls the console and the tracking pages make: accept, ask for
information, ask for the goods back, register the return parcel, inspect,
determine responsibility, propose, execute, reject, escalate, close. Events,
customer messages and the eligibility snapshots are therefore the real thing.
Evidence photos are drawn with Pillow and go through `saas.evidence.check_upload`,
`clean_image` (the worker's step) and `case_evidence.attach` like an upload.

The history is spread over the last weeks: each step runs under
`saas.models.base.travel_to` at its own moment, so a case filed "nine days ago" is
numbered, judged, timed (SLA clocks included) and stamped as of that day. What the
worker would have done meanwhile is settled too: notifications that fell due are
marked sent at their time (never handed to a provider: the contacts are made up),
follow-up surveys that fell due are invited then, and a few are answered. Only the
last minutes' messages stay in the outbox for the worker.

Nothing here runs twice: a shop that already holds any of its demo orders gets no
new orders or cases. Content comes from a fixed random seed per shop; only case
numbers (random by design) and the dates, which follow today, differ between
databases.
"""
from __future__ import annotations

import csv
import io
import random
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any, Iterator
from zoneinfo import ZoneInfo

from PIL import Image, ImageDraw
from sqlalchemy import select

from saas import evidence
from saas.extensions import db
from saas.models.base import travel_to, utcnow
from saas.models.case import Case
from saas.models.notification import Notification
from saas.models.order import Order
from saas.models.survey import Survey
from saas.models.user import User
from saas.services import case_evidence, cases, orders, surveys
from tenants.models import Tenant

# ---------------------------------------------------------------- the script's vocabulary


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
            return datetime.combine(day, time(hour, minute), tz).astimezone(timezone.utc)
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


def S(at: When, action: str, *args, by: str = "agent", photos: tuple[str, ...] = (), **kw) -> Step:
    return Step(at, action, args, kw, by, photos)


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


@dataclass
class Showcase:
    """One demo case a consumer can open on the tracking page."""

    slug: str
    number: str
    factor: str  # the last 4 digits of the mobile

    @property
    def track_url(self) -> str:
        return f"/{self.slug}/track"


# ---------------------------------------------------------------- 甜上心头: yogurt, milk and cakes
#
# The times follow the shops' promises: a first answer within 10 working minutes
# (within minutes in working hours, by 09:0x the next morning otherwise), every
# customer message answered, so that whatever weekday the seed runs on, only the
# cases meant to be late are late.

_THANKS = "不客气，给您添麻烦了，祝您生活愉快！"

TIANSHANG = Shop(
    seed="aftersales-demo/tianshang/v1", order_prefix="TSXT",
    customers=(
        ("张伟", "zhangwei", True), ("李娜", "lina", True), ("王芳", "wangfang", False), ("刘洋", "liuyang", True),
        ("陈静", "chenjing", True), ("杨帆", "yangfan", False), ("赵敏", "zhaomin", True), ("黄磊", "huanglei", True),
        ("周婷", "zhouting", True), ("吴昊", "wuhao", False), ("徐丽", "xuli", True), ("孙强", "sunqiang", False),
        ("马超", "machao", True), ("朱琳", "zhulin", False), ("胡军", "hujun", True),
    ),
    products={
        "TS-YG-001": Product("原味风味发酵乳 200g×12杯", "dairy", "59.90"),
        "TS-YG-002": Product("希腊式浓缩酸奶 100g×8杯", "dairy", "45.80"),
        "TS-YG-003": Product("低糖草莓果粒酸奶 150g×10杯", "dairy", "52.00"),
        "TS-MK-001": Product("巴氏杀菌鲜牛奶 950ml×2瓶", "dairy", "32.80"),
        "TS-MK-002": Product("A2β-酪蛋白鲜牛奶 780ml", "dairy", "25.90"),
        "TS-CK-001": Product("芒果千层蛋糕 6寸", "fresh_food", "168.00"),
        "TS-CK-002": Product("草莓奶油生日蛋糕 8寸", "fresh_food", "238.00"),
        "TS-CK-003": Product("酸奶慕斯小蛋糕 4只装", "fresh_food", "88.00"),
    },
    orders=(
        DemoOrder("ts01", 0, "tmall", 3, 1, (("TS-YG-001", 1), ("TS-MK-001", 1))),
        DemoOrder("ts02", 1, "taobao", 3, 2, (("TS-MK-002", 2),)),
        DemoOrder("ts03", 2, "douyin", 4, 2, (("TS-CK-002", 1),)),
        DemoOrder("ts04", 3, "tmall", 3, 1, (("TS-CK-001", 1), ("TS-YG-003", 1))),
        DemoOrder("ts05", 4, "brand_site", 5, 4, (("TS-YG-001", 2),)),
        DemoOrder("ts06", 5, "jd", 15, 14, (("TS-YG-002", 1), ("TS-MK-001", 2))),
        DemoOrder("ts07", 6, "tmall", 20, 19, (("TS-CK-003", 1),)),
        DemoOrder("ts08", 7, "taobao", 26, 25, (("TS-CK-001", 1),)),
        DemoOrder("ts09", 8, "brand_site", 3, 2, (("TS-YG-003", 1), ("TS-YG-001", 1))),
        DemoOrder("ts10", 9, "tmall", 3, 1, (("TS-MK-001", 1),)),
        DemoOrder("ts11", 10, "douyin", 33, 32, (("TS-YG-002", 2), ("TS-CK-003", 1))),
        DemoOrder("ts12", 11, "jd", 40, 39, (("TS-MK-002", 3),)),
        DemoOrder("ts13", 14, "brand_site", 3, None, (("TS-CK-002", 1),)),
        DemoOrder("ts14", 13, "douyin", 12, 11, (("TS-YG-003", 2),)),
    ),
    cases=(
        DemoCase(
            ago(6), "quality", "refund", "酸奶收到时已经胀袋，盖子鼓起来了，一整箱 12 杯里有 4 杯这样，没敢给孩子喝。",
            order="ts01", skus=("TS-YG-001",), photos=("yogurt:bloated", "yogurt:bloated"),
        ),
        DemoCase(
            d(1, "11:40"), "quality", "refund", "鲜牛奶打开后喝着有点发苦，和平时买的味道不一样，两瓶都是这样。",
            order="ts10", photos=("milk:plain",),
            steps=(S(d(1, "11:46"), "accept"),),
        ),
        DemoCase(
            d(2, "20:45"), "consultation", "consultation",
            "朋友送的酸奶礼盒，冷藏放了一周多，盒子上写保质期 21 天，现在还能给两岁的孩子喝吗？另外鲜牛奶开封后能放几天？",
            typed=Typed("tmall", "tmall", 9, 8, "dairy"), customer=12, contact="email",
            steps=(
                S(d(1, "09:04"), "accept"),
                S(d(1, "09:20"), "propose", "explanation",
                  detail="未开封的低温酸奶在 2–6℃ 冷藏、包装完好时，保质期内可以饮用；两岁的孩子建议每次半杯左右。"
                         "鲜牛奶开封后请盖紧冷藏，48 小时内喝完。"),
                S(d(1, "09:21"), "execute"),
            ),
        ),
        DemoCase(
            d(2, "18:30"), "quality", "refund", "生日蛋糕送到时奶油塌了一半，侧面的裱花全蹭在盒子上，晚上就要用，很着急。",
            order="ts03", photos=("cake:crushed",),
            steps=(
                S(d(1, "09:03"), "accept"),
                S(d(1, "09:08"), "info", "请补充外包装箱和快递面单的照片，我们需要向冷链物流核实运输情况。"),
            ),
        ),
        DemoCase(
            d(1, "10:00"), "quality", "refund", "芒果千层送到时整个压扁了，奶油和芒果挤成一团，根本没法吃。",
            order="ts04", skus=("TS-CK-001",), photos=("cake:crushed",),
            steps=(
                S(d(1, "10:05"), "accept"),
                S(d(1, "10:08"), "info", "请拍一下外包装箱的照片，特别是有破损或挤压的位置。"),
                S(d(1, "10:40"), "consumer", "外箱照片补上了，一个角都压扁了，快递员放下就走了。",
                  photos=("parcel:dented", "parcel:label")),
                S(d(1, "10:46"), "message", "照片收到了，我们马上联系冷链物流核实，请稍候。"),
                S(d(1, "11:00"), "note", "已联系冷链物流理赔专员，等待对方提供运输轨迹和交接记录。"),
                S(d(1, "15:30"), "verify", "logistics",
                  "外箱一角明显压瘪；物流轨迹显示中转时曾登记外包装破损，判定为运输途中挤压损坏。", "quality_return", reason="shipping_damage"),
            ),
        ),
        DemoCase(
            d(2, "10:05"), "quality", "refund", "鲜牛奶送到时摸着是常温的，冰袋全化了，两瓶都不凉，不敢喝。",
            order="ts02", photos=("milk:warm",),
            steps=(
                S(d(2, "10:11"), "accept"),
                S(d(2, "11:30"), "verify", "merchant", "冷链记录显示配送箱温度 11℃，超出 2–6℃ 的要求，责任在我方。",
                  "refund", reason="quality.expired"),
                S(d(2, "11:35"), "propose", "refund", amount="51.80",
                  detail="生鲜 24 小时极速退款：两瓶鲜牛奶全额退款，无需退货，请自行处理。"),
                S(d(1, "11:20"), "consumer", "好的，请问退款多久能到账？"),
                S(d(1, "11:26"), "message", "退款已提交财务审核，审核通过后原路退回，一般 1–3 个工作日到账。"),
            ),
        ),
        DemoCase(
            d(4, "20:10"), "quality", "refund", "有 3 杯酸奶封口破了，漏得整箱都是，其他几杯外面也黏糊糊的。",
            order="ts05", photos=("yogurt:leak", "yogurt:leak"),
            survey=(4, "退款很快，包装还可以再结实一点。"),
            steps=(
                S(d(3, "09:03"), "accept"),
                S(d(3, "10:20"), "verify", "merchant", "照片显示 3 杯封口膜开裂，同批次另有 2 单类似反馈，判定为封口工艺问题。",
                  "quality_return", reason="quality.workmanship"),
                S(d(3, "10:25"), "note", "仓库反馈 3 号封口机温控异常，已通知品控排查同批次库存。"),
                S(d(3, "10:32"), "propose", "refund", amount="14.98", detail="退还漏液的 3 杯酸奶对应金额 14.98 元，原路退回。"),
                S(d(3, "10:40"), "execute"),
                S(d(3, "12:02"), "consumer", "收到退款了，谢谢，希望以后包装能结实一点。"),
                S(d(3, "12:08"), "message", "感谢您的建议，我们已经在改进封口工艺。" + _THANKS),
            ),
        ),
        DemoCase(
            d(14, "19:30"), "complaint", "compensation",
            "配送员没有送上楼，也没打电话，直接把箱子放在小区门口的快递架上，我回家时已经放了四个多小时。",
            order="ts06", photos=("screenshot",),
            survey=(3, "补偿收到了，但还是希望配送能真正改进。"),
            steps=(
                S(d(13, "09:04"), "accept"),
                S(d(13, "09:06"), "message", "非常抱歉给您带来不便，我们已联系配送站核实，今天内给您答复。"),
                S(d(13, "15:20"), "verify", "logistics", "配送站确认骑手未按约定送货上门，也未电话联系收件人。", "compensation", reason="other"),
                S(d(13, "15:25"), "propose", "compensation", amount="20.00",
                  detail="补偿 20 元，并已要求配送站对该骑手进行培训整改。"),
                S(d(13, "16:00"), "consumer", "可以，接受这个处理。"),
                S(d(13, "16:06"), "execute"),
                S(d(12, "10:00"), "close"),
            ),
        ),
        DemoCase(
            d(19, "21:00"), "quality", "refund", "慕斯蛋糕太甜了，孩子吃了一口就不吃了，想退款。", order="ts07",
            steps=(
                S(d(18, "09:05"), "accept"),
                S(d(18, "10:05"), "verify", "customer",
                  "甜度属于个人口味偏好；商品在保质期内，外观和冷链均正常，不属于质量问题", "no_reason_return", reason="no_reason"),
                S(d(18, "10:08"), "reject", "蛋糕属于鲜活易腐商品，依法不适用七天无理由退货；经核实商品没有质量问题，本次无法退款。"
                                            "下次可以选择我们的低糖款。"),
                S(d(18, "12:30"), "consumer", "好吧，知道了。"),
                S(d(18, "12:36"), "message", "感谢您的理解，欢迎下次选购我们的低糖款。"),
            ),
        ),
        DemoCase(
            d(25, "22:15"), "food_safety", "compensation",
            "芒果千层吃的时候就有一股酸味，家里三个人吃完后半夜都拉肚子，已经去医院看了急诊。",
            order="ts08", photos=("cake:plain",), intake_channel="agent",
            survey=(5, "处理得很负责，赔偿也及时，谢谢品控经理。"),
            steps=(
                S(d(25, "22:31"), "accept"),
                S(d(25, "22:35"), "message", "我们已按食品安全事件处理。请保留剩余蛋糕并冷藏，同时保留就医凭证，我们会尽快联系您。"),
                S(d(25, "22:50"), "consumer", "这是急诊病历和缴费单的照片。", photos=("receipt:hospital",)),
                S(d(25, "22:56"), "message", "收到，已转交品控经理，明天上午会有专人联系您。祝家人早日康复。"),
                S(d(24, "10:00"), "note", "同批次芒果千层已全部下架，留样已送第三方检测机构。", by="owner"),
                S(d(23, "16:00"), "verify", "merchant", "第三方检测报告显示留样菌落总数超标，确认为食品安全问题，责任在我方。",
                  "compensation", by="owner", reason="quality.expired"),
                S(d(23, "16:10"), "propose", "compensation", amount="1848.00", by="owner",
                  detail="退还货款 168 元，并依法赔偿价款十倍 1680 元，合计 1848 元；就医费用凭票另行报销。"),
                S(d(23, "17:00"), "execute", by="owner"),
                S(d(21, "10:00"), "close", by="owner"),
            ),
        ),
        DemoCase(
            d(2, "09:10"), "food_safety", "compensation", "草莓酸奶里喝出一根头发一样的黑色异物，孩子已经喝了两口。",
            order="ts09", skus=("TS-YG-003",), photos=("yogurt:hair", "yogurt:plain"), showcase=True,
            steps=(
                S(d(2, "09:18"), "accept"),
                S(d(2, "09:25"), "escalate", "食品安全事件，已上报品控经理，今天内安排取样送检。"),
                S(d(2, "09:30"), "message", "请将剩余未开封的同批次酸奶和异物样品冷藏保存，我们安排顺丰冷运上门取件送检，运费由我们承担。"),
                S(d(2, "09:32"), "return"),
                S(d(2, "15:40"), "shipped", "顺丰冷运"),
            ),
        ),
        DemoCase(
            d(9, "20:30"), "return_exchange", "exchange", "下单时选错了口味，原味选成了草莓味，还没拆封，能换成原味吗？",
            typed=Typed("~ts14", "douyin", 12, 11, "dairy", "52.00"), customer=13, contact="mobile",
            survey=(2, "还是希望能换，规定我理解，但体验一般。"),
            steps=(
                S(d(8, "09:05"), "accept"),
                S(d(8, "09:20"), "note", "顾客填写的订单号少一位，按手机号在抖店后台查到原订单，确认为 2 盒草莓果粒酸奶。"),
                S(d(8, "09:30"), "propose", "explanation",
                  detail="低温酸奶属于鲜活易腐商品，依法不适用七天无理由退换。您的酸奶仍在保质期内，请冷藏保存尽快饮用；"
                         "下次下单前可在购物车页确认口味。"),
                S(d(8, "09:32"), "execute"),
                S(d(8, "12:00"), "consumer", "明白了，谢谢。"),
                S(d(8, "12:05"), "message", _THANKS),
                S(d(6, "10:00"), "close"),
            ),
        ),
        DemoCase(
            d(3, "16:20"), "consultation", "consultation", "蛋糕可以指定周六下午三点前送到吗？给孩子过生日用。",
            order="ts13",
            steps=(
                S(d(3, "16:25"), "accept"),
                S(d(3, "16:40"), "propose", "explanation",
                  detail="可以的，已为您备注周六 15:00 前送达，配送前 1 小时骑手会电话联系您。蛋糕需冷藏，建议 4 小时内食用。"),
                S(d(3, "16:41"), "execute"),
                S(d(3, "17:05"), "consumer", "太好了，谢谢！"),
                S(d(3, "17:10"), "message", "不客气，提前祝小朋友生日快乐！"),
            ),
        ),
    ),
)

# ---------------------------------------------------------------- 童趣衣橱: children's clothing

KIDSWEAR = Shop(
    seed="aftersales-demo/kidswear/v1", order_prefix="TQYC",
    customers=(
        ("王静", "wangjing", True), ("李强", "liqiang", False), ("张敏", "zhangmin", True), ("刘芳", "liufang", True),
        ("陈杰", "chenjie", False), ("杨丽", "yangli", True), ("赵磊", "zhaolei", True), ("黄婷", "huangting", True),
        ("周洋", "zhouyang", False), ("吴娟", "wujuan", True), ("郑浩", "zhenghao", True), ("何佳", "hejia", True),
        ("罗欣", "luoxin", False), ("林晓", "linxiao", True),
    ),
    products={
        "KW-HD-110": Product("儿童加绒卫衣 小恐龙 110cm", "childrens_clothing", "99.00"),
        "KW-DR-120": Product("女童碎花连衣裙 雾蓝 120cm", "childrens_clothing", "129.00"),
        "KW-DR-130": Product("女童碎花连衣裙 樱粉 130cm", "childrens_clothing", "129.00"),
        "KW-JK-130": Product("男童防风连帽冲锋衣 130cm", "childrens_clothing", "239.00"),
        "KW-PT-100": Product("儿童加绒运动裤 100cm", "childrens_clothing", "89.00"),
        "KW-PT-120": Product("儿童加绒运动裤 120cm", "childrens_clothing", "89.00"),
        "KW-SW-140": Product("儿童摇粒绒外套 140cm", "childrens_clothing", "119.00"),
        "KW-TS-110": Product("纯棉印花长袖T恤 110cm", "childrens_clothing", "69.00"),
        "KW-PJ-090": Product("婴幼儿纯棉分体睡衣套装 90cm", "childrens_clothing", "79.00"),
        "KW-DJ-150": Product("儿童轻薄羽绒服 150cm", "childrens_clothing", "359.00"),
        "KW-SK-005": Product("儿童中筒袜 5双装", "childrens_clothing", "39.90"),
    },
    orders=(
        DemoOrder("kw01", 0, "tmall", 4, 2, (("KW-HD-110", 1),)),
        DemoOrder("kw02", 1, "taobao", 9, 7, (("KW-DJ-150", 1),)),
        DemoOrder("kw03", 2, "douyin", 18, 16, (("KW-SW-140", 1), ("KW-SK-005", 1))),
        DemoOrder("kw04", 3, "tmall", 8, 6, (("KW-DR-120", 1),)),
        DemoOrder("kw05", 4, "jd", 12, 10, (("KW-JK-130", 1),)),
        DemoOrder("kw06", 5, "brand_site", 10, 8, (("KW-PT-100", 1), ("KW-PJ-090", 1))),
        DemoOrder("kw07", 6, "tmall", 20, 18, (("KW-DR-130", 1), ("KW-SK-005", 1))),
        DemoOrder("kw08", 7, "taobao", 10, 8, (("KW-SK-005", 2),)),
        DemoOrder("kw09", 8, "douyin", 22, 20, (("KW-TS-110", 2),)),
        DemoOrder("kw10", 9, "tmall", 25, 23, (("KW-PT-120", 1),)),
        DemoOrder("kw11", 10, "taobao", 40, 38, (("KW-SW-140", 1),)),
        DemoOrder("kw12", 11, "jd", 13, 11, (("KW-JK-130", 1), ("KW-PT-120", 1))),
        DemoOrder("kw13", 12, "brand_site", 6, 4, (("KW-PJ-090", 2),)),
        DemoOrder("kw14", 13, "tmall", 30, 28, (("KW-DJ-150", 1), ("KW-HD-110", 1))),
    ),
    cases=(
        DemoCase(
            ago(4), "return_exchange", "exchange", "尺码偏小想换大一码：孩子穿上袖子短了一截，想换成 120cm，吊牌还在，没洗过。",
            order="kw01", photos=("hoodie:tag",),
        ),
        DemoCase(
            d(1, "10:20"), "quality", "exchange", "睡衣按标签说明冷水手洗了一次，就缩水了，裤腿短了一大截。",
            order="kw13", photos=("pants:plain",),
            steps=(S(d(1, "10:26"), "accept"),),
        ),
        DemoCase(
            d(2, "21:15"), "consultation", "consultation", "羽绒服可以机洗吗？充绒量是多少？我是帮朋友问的，她下的单。",
            typed=Typed("=kw02", "taobao", 9, 7, "childrens_clothing", "359.00"), customer=13, contact="email",
            steps=(
                S(d(1, "09:02"), "accept"),
                S(d(1, "09:15"), "propose", "explanation",
                  detail="可以装洗衣袋用轻柔模式机洗，水温 30℃ 以下，不可烘干，晾干后轻拍恢复蓬松。"
                         "150cm 充绒量 110g，白鸭绒含绒量 90%。"),
                S(d(1, "09:16"), "execute"),
            ),
        ),
        DemoCase(
            d(3, "20:30"), "quality", "exchange", "摇粒绒外套只洗了一次就起球严重，袖口和前襟都起毛了。",
            order="kw03", skus=("KW-SW-140",), photos=("fleece:pilling",),
            steps=(
                S(d(2, "09:03"), "accept"),
                S(d(2, "09:07"), "info", "请告诉我们洗涤方式（手洗还是机洗、水温多少），并拍一张衣服内侧水洗标的照片。"),
            ),
        ),
        DemoCase(
            d(5, "13:10"), "return_exchange", "return", "连衣裙颜色和图片差别太大，实物偏暗偏灰，孩子不喜欢，想退货。",
            order="kw04", photos=("dress:plain",), showcase=True,
            steps=(
                S(d(5, "13:16"), "accept"),
                S(d(5, "13:20"), "return"),
                S(d(4, "17:45"), "shipped", "中通快递"),
            ),
        ),
        DemoCase(
            d(7, "19:40"), "quality", "exchange", "冲锋衣拉链拉了两次就坏了，拉头直接脱落，装不回去。",
            order="kw05", photos=("jacket:zipper",),
            steps=(
                S(d(6, "09:04"), "accept"),
                S(d(6, "09:06"), "message", "给您添麻烦了。质量问题来回运费由我们承担，请寄回后我们优先为您换新。"),
                S(d(6, "09:08"), "return"),
                S(d(5, "11:00"), "shipped", "韵达快递"),
                S(d(1, "10:30"), "received", "包裹完好，吊牌齐全，拉头确已脱落，待质检确认。"),
                S(d(1, "10:40"), "note", "本月第 3 起同款拉头脱落，已反馈采购联系拉链供应商。"),
            ),
        ),
        DemoCase(
            d(6, "20:00"), "return_exchange", "exchange", "运动裤太长了，拖到地上，想换小一码（90cm）。",
            order="kw06", skus=("KW-PT-100",),
            steps=(
                S(d(5, "09:02"), "accept"),
                S(d(5, "09:06"), "return"),
                S(d(4, "16:30"), "shipped", "圆通速递"),
                S(d(2, "10:00"), "received"),
                S(d(2, "11:20"), "inspected", "吊牌齐全，未穿着未洗涤，可二次销售，符合 30 天无理由退换条件。"),
            ),
        ),
        DemoCase(
            d(2, "21:30"), "quality", "exchange", "连衣裙腋下开线了，才穿了一次，线头一拉就散。",
            order="kw07", skus=("KW-DR-130",), photos=("dress:seam", "dress:seam"),
            steps=(
                S(d(1, "09:05"), "accept"),
                S(d(1, "10:15"), "verify", "merchant", "照片显示腋下缝线断开，布料无拉扯破损痕迹，属缝制工艺问题。", "quality_exchange", reason="quality.workmanship"),
            ),
        ),
        DemoCase(
            d(7, "12:00"), "return_exchange", "refund", "重复下单了，同样的袜子买了两份，想退掉一份，没拆封。",
            order="kw08",
            steps=(
                S(d(7, "12:06"), "accept"),
                S(d(7, "12:09"), "return"),
                S(d(5, "18:00"), "shipped", "极兔速递"),
                S(d(2, "10:10"), "received"),
                S(d(2, "10:40"), "inspected", "未拆封，包装完好。"),
                S(d(2, "10:45"), "propose", "refund", amount="39.90", detail="退还其中一份袜子的货款 39.90 元，原路退回。"),
            ),
        ),
        DemoCase(
            d(14, "20:20"), "quality", "exchange", "T恤胸前的印花洗了一次就开裂掉皮了，另一件还没洗。",
            order="kw09", photos=("tshirt:crack",),
            survey=(5, "补发很快，客服态度也好。"),
            steps=(
                S(d(13, "09:03"), "accept"),
                S(d(13, "09:40"), "verify", "merchant", "印花开裂属印花工艺问题，同款已收到类似反馈。", "quality_exchange", reason="quality.workmanship"),
                S(d(13, "09:45"), "propose", "exchange", detail="为您补发同款同码 T 恤 1 件，原件无需寄回。"),
                S(d(12, "16:30"), "execute", carrier="顺丰速运"),
                S(d(10, "19:00"), "consumer", "新衣服收到了，这次的印花很好，谢谢。"),
                S(d(9, "09:04"), "message", "不客气，欢迎再来逛逛！"),
            ),
        ),
        DemoCase(
            d(9, "20:40"), "return_exchange", "return", "孩子穿了两周，裤子膝盖就磨破了，想退货。",
            order="kw10", photos=("pants:hole",),
            steps=(
                S(d(8, "09:04"), "accept"),
                S(d(8, "10:10"), "verify", "customer",
                  "商品已穿着两周，膝盖处为日常摩擦磨损，不属于质量问题，也不符合无理由退货「未穿着未洗涤」的条件",
                  "no_reason_return", reason="no_reason"),
                S(d(8, "10:12"), "reject", "已穿着且有磨损的商品不符合 30 天无理由退货条件，磨损也不属于质量问题，本次无法退货。"),
                S(d(8, "11:00"), "consumer", "好吧，那我们自己补一下。"),
                S(d(8, "11:05"), "message", "感谢理解。我们给您寄了两枚卡通布贴，可以熨在膝盖上，又好看又耐磨。"),
                S(d(6, "10:00"), "close"),
            ),
        ),
        DemoCase(
            d(2, "22:10"), "return_exchange", "return", "买了一个多月了，孩子一直不喜欢这个颜色，想退掉。",
            order="kw11",
            steps=(
                S(d(1, "09:03"), "accept"),
                S(d(1, "09:10"), "reject", "您的订单签收已超过 30 天，不在无理由退换期限内，本次无法办理退货。如有质量问题，可重新提交质量问题申请。"),
            ),
        ),
        DemoCase(
            d(10, "21:00"), "complaint", "compensation", "咨询换货的事情，在线客服三天都没回复，电话也一直占线，态度很敷衍。",
            order="kw12", intake_channel="agent",
            survey=(2, "问题解决了，但客服响应还是太慢。"),
            steps=(
                S(d(9, "09:00"), "accept"),
                S(d(9, "09:05"), "escalate", "顾客投诉客服响应慢，转售后主管处理。"),
                S(d(9, "10:00"), "message", "您好，我是售后主管。非常抱歉让您久等了，我们正在调取聊天记录，今天下午给您答复。", by="owner"),
                S(d(9, "11:00"), "verify", "merchant", "查询记录确认在线客服连续三天未回复顾客的 3 条消息，属服务疏漏。",
                  "compensation", by="owner", reason="other"),
                S(d(9, "11:05"), "propose", "compensation", amount="30.00", by="owner",
                  detail="补偿 30 元，已对相关客服进行培训，并把您的换货申请优先处理。"),
                S(d(9, "14:00"), "execute", by="owner"),
                S(d(9, "15:00"), "consumer", "处理得还可以，希望以后回复快一点。"),
                S(d(9, "15:06"), "message", "一定改进，感谢您的监督！", by="owner"),
                S(d(7, "10:00"), "close", by="owner"),
            ),
        ),
    ),
)

# ---------------------------------------------------------------- 伏特数码: phones, earbuds, appliances

VOLTMART = Shop(
    seed="aftersales-demo/voltmart/v1", order_prefix="VM",
    customers=(
        ("刘建国", "liujianguo", True), ("陈思远", "chensiyuan", True), ("王磊", "wanglei", True), ("李静", "lijing", False),
        ("张丽", "zhangli", True), ("赵强", "zhaoqiang", True), ("孙悦", "sunyue", True), ("周杰", "zhoujie", False),
        ("吴敏", "wumin", True), ("郑凯", "zhengkai", True), ("冯雪", "fengxue", True), ("许晨", "xuchen", False),
        ("何婷", "heting", True), ("高翔", "gaoxiang", True),
    ),
    products={
        "VM-PH-P60B": Product("星河 P60 5G 手机 8GB+256GB 曜石黑", "electronics", "2999.00"),
        "VM-PH-P60S": Product("星河 P60 5G 手机 12GB+512GB 月光银", "electronics", "3499.00"),
        "VM-PH-A15": Product("青柠 A15 手机 6GB+128GB", "electronics", "1299.00"),
        "VM-EB-PRO2": Product("声澜 Pro 2 真无线降噪耳机", "electronics", "499.00"),
        "VM-EB-LITE": Product("声澜 Lite 半入耳蓝牙耳机", "electronics", "169.00"),
        "VM-RC-40": Product("智能 IH 电饭煲 4L", "home_appliance", "599.00"),
        "VM-PB-20K": Product("20000mAh 快充移动电源", "electronics", "159.00"),
        "VM-SW-S3": Product("运动智能手表 S3", "electronics", "899.00"),
        "VM-CB-65W": Product("65W 氮化镓充电器", "electronics", "129.00"),
    },
    orders=(
        DemoOrder("vm01", 0, "jd", 5, 3, (("VM-EB-PRO2", 1),)),
        DemoOrder("vm03", 2, "tmall", 9, 7, (("VM-PH-A15", 1), ("VM-CB-65W", 1))),
        DemoOrder("vm04", 3, "jd", 6, 4, (("VM-EB-LITE", 1),)),
        DemoOrder("vm05", 4, "tmall", 14, 12, (("VM-RC-40", 1),)),
        DemoOrder("vm06", 5, "jd", 12, 10, (("VM-PH-P60B", 1),)),
        DemoOrder("vm07", 6, "douyin", 30, 28, (("VM-SW-S3", 1),)),
        DemoOrder("vm08", 7, "tmall", 38, 36, (("VM-PH-A15", 1),)),
        DemoOrder("vm09", 8, "jd", 11, 9, (("VM-PB-20K", 1), ("VM-CB-65W", 1))),
        DemoOrder("vm10", 9, "brand_site", 20, 18, (("VM-PH-P60S", 1),)),
        DemoOrder("vm11", 10, "tmall", 18, 12, (("VM-EB-PRO2", 1),)),
        DemoOrder("vm12", 11, "jd", 16, 14, (("VM-EB-LITE", 1),)),
        DemoOrder("vm13", 12, "taobao", 7, 5, (("VM-CB-65W", 2), ("VM-PB-20K", 1))),
        DemoOrder("vm14", 13, "jd", 25, 23, (("VM-RC-40", 1), ("VM-EB-LITE", 1))),
    ),
    cases=(
        DemoCase(
            ago(8), "quality", "exchange", "耳机左耳没有声音，重新配对、恢复出厂设置都试过了，还是不行。",
            order="vm01", photos=("earbuds:left",),
        ),
        DemoCase(
            d(1, "14:20"), "quality", "exchange", "新买的 65W 充电器插上后手机只显示“慢速充电”，换了两根线都一样。",
            order="vm13", skus=("VM-CB-65W",), photos=("screenshot",),
            steps=(S(d(1, "14:27"), "accept"),),
        ),
        DemoCase(
            d(2, "20:30"), "consultation", "consultation",
            "I bought the P60 from your JD store. Does the 12-month warranty still apply if I use the phone in "
            "Singapore? "
            "And can I get a VAT special invoice (增值税专用发票) for my company?",
            typed=Typed("jd", "jd", 10, 8, "electronics", "2999.00"), customer=1, contact="email", locale="en",
            steps=(
                S(d(1, "09:03"), "accept"),
                S(d(1, "09:40"), "propose", "explanation",
                  detail="Yes. The 12-month whole-unit warranty applies wherever you use the phone; repairs are "
                         "done at our Shenzhen service centre, and we pay the return shipping within mainland China. "
                         "For a VAT special invoice, send your company's tax details to support@voltmart.example.com "
                         "and we will issue it "
                         "within 3 working days."),
                S(d(1, "09:41"), "execute"),
            ),
        ),
        DemoCase(
            d(3, "22:40"), "quality", "exchange", "手机充电时机身很烫，充一晚上只到 60%，用的是一起买的充电器。",
            order="vm03",
            steps=(
                S(d(2, "09:03"), "accept"),
                S(d(2, "09:08"), "info", "请提供您使用的充电器和数据线型号，以及「设置-电池-电池健康」页面的截图。"),
            ),
        ),
        DemoCase(
            d(3, "12:30"), "return_exchange", "return", "耳机音质不如预期，想 7 天无理由退货，包装和配件都在，没有损坏。",
            order="vm04", showcase=True,
            steps=(
                S(d(3, "12:36"), "accept"),
                S(d(3, "12:38"), "return"),
                S(d(2, "10:20"), "shipped", "顺丰速运"),
            ),
        ),
        DemoCase(
            d(9, "19:10"), "quality", "repair", "电饭煲煮饭时底部糊锅，用了几次后开始跳 E3 故障码，插拔电源也没用。",
            order="vm05", photos=("cooker:e3",),
            steps=(
                S(d(8, "09:04"), "accept"),
                S(d(8, "09:09"), "return"),
                S(d(7, "14:00"), "shipped", "京东快递"),
                S(d(1, "11:00"), "received", "外包装完好，内胆和附件齐全，待检测。"),
            ),
        ),
        DemoCase(  # kept waiting on purpose: the late, escalated case a manager has to look at
            d(8, "21:05"), "quality", "exchange", "手机屏幕中间出现一条竖着的绿线，没有摔过也没进水。",
            order="vm06", photos=("phone:green_line",),
            steps=(
                S(d(7, "09:05"), "accept"),
                S(d(7, "09:09"), "return"),
                S(d(7, "17:30"), "shipped", "顺丰速运"),
                S(d(5, "10:00"), "received"),
                S(d(4, "15:30"), "inspected", "检测确认屏幕排线故障，机身无磕碰、无进水痕迹，非人为损坏。",
                  photos=("phone:bench",)),
                S(d(4, "18:00"), "consumer", "都快一周了，什么时候能给我换新机？"),
                S(d(3, "09:10"), "escalate", "高价值订单，顾客催促，请主管审批换新。"),
                S(d(3, "09:40"), "message", "您好，我是售后主管，已看到您的情况，正在为您加急审批换新，请再耐心等一下。", by="owner"),
            ),
        ),
        DemoCase(
            d(2, "20:00"), "quality", "repair", "手表表带连接处断了，表身掉在地上，想保修。",
            order="vm07", photos=("watch:broken",),
            steps=(
                S(d(1, "09:04"), "accept"),
                S(d(1, "09:08"), "info", "请拍一张断口处的近照，方便我们判断原因。"),
                S(d(1, "12:10"), "consumer", "断口照片发你们了。", photos=("watch:broken",)),
                S(d(1, "12:16"), "message", "照片收到，我们请维修工程师看一下，今天给您结论。"),
                S(d(1, "16:30"), "verify", "customer", "断口处有明显的外力撞击和划痕，属人为损坏，不在三包免费保修范围内",
                  "free_repair", reason="quality.workmanship"),
                S(d(1, "16:35"), "note", "可推荐付费更换表带连接件，报价 59 元，等顾客确认。"),
            ),
        ),
        DemoCase(
            d(8, "20:15"), "quality", "repair", "手机外放声音有杂音，音量开大时更明显，打电话免提也有。",
            order="vm08",
            steps=(
                S(d(7, "09:05"), "accept"),
                S(d(7, "09:09"), "return"),
                S(d(5, "11:30"), "shipped", "中通快递"),
                S(d(2, "10:00"), "received"),
                S(d(2, "16:00"), "inspected", "扬声器模组故障，整机在保修期内。"),
                S(d(2, "16:10"), "propose", "repair", repair_days=6,
                  detail="在保修期内免费更换扬声器模组，预计 6 个工作日修好寄回，附检测报告。"),
            ),
        ),
        DemoCase(
            d(7, "20:40"), "quality", "exchange", "充电宝充不进电，指示灯一个都不亮，换了几根线都一样。",
            order="vm09", skus=("VM-PB-20K",), photos=("powerbank:dead",),
            survey=(5, "先发新机再寄回，体验很好。"),
            steps=(
                S(d(6, "09:04"), "accept"),
                S(d(6, "10:00"), "verify", "merchant", "视频指导排查后仍无法充电，判定为电芯保护板故障。", "quality_exchange", reason="quality.function"),
                S(d(6, "10:05"), "propose", "exchange", detail="15 天内质量问题换新：新机先发，收到后请把故障机用同一快递袋寄回。"),
                S(d(5, "15:20"), "execute", carrier="顺丰速运"),
            ),
        ),
        DemoCase(
            d(4, "13:00"), "return_exchange", "return", "手机用了两周，想换个颜色，能不能无理由退货？",
            order="vm10",
            steps=(
                S(d(4, "13:06"), "accept"),
                S(d(4, "13:15"), "reject", "手机已签收 14 天且已激活，超出 7 天无理由退货期限，无法办理无理由退货。"
                                           "如后续出现质量问题，可享受 12 个月整机保修。"),
            ),
        ),
        DemoCase(
            d(11, "19:00"), "complaint", "compensation", "下单后 5 天才发货，客服一直说有现货，耽误了我送人。",
            order="vm11", intake_channel="agent",
            survey=(4, "补偿到位，希望以后发货准时。"),
            steps=(
                S(d(10, "09:00"), "accept"),
                S(d(10, "09:05"), "message", "非常抱歉让您久等，我们正在核实发货延迟的原因，今天内给您答复。"),
                S(d(10, "11:00"), "verify", "merchant", "仓库系统库存同步延迟导致超卖后调货，发货时效超出承诺的 48 小时。",
                  "compensation", reason="late_shipment"),
                S(d(10, "11:05"), "propose", "compensation", amount="50.00", detail="补偿 50 元，并已修复库存同步问题。"),
                S(d(10, "14:00"), "execute"),
                S(d(8, "10:00"), "close"),
            ),
        ),
        DemoCase(
            d(10, "08:40"), "quality", "refund", "耳机充电仓充不进电，耳机也没法充，想退货退款。",
            order="vm12", photos=("earbuds:case",),
            steps=(
                S(d(10, "09:05"), "accept"),
                S(d(10, "09:08"), "return"),
                S(d(9, "10:00"), "shipped", "韵达快递"),
                S(d(7, "10:30"), "received"),
                S(d(7, "11:00"), "inspected", "充电仓触点氧化，无法充电，非人为损坏。"),
                S(d(7, "11:10"), "propose", "refund", amount="169.00", detail="7 天内质量问题退货，全额退款 169 元，发票作红冲处理。"),
                S(d(7, "15:00"), "execute"),
                S(d(5, "10:00"), "close"),
            ),
        ),
    ),
)

SHOPS = {"tianshang": TIANSHANG, "kidswear": KIDSWEAR, "voltmart": VOLTMART}

# ---------------------------------------------------------------- numbers people would recognise

_MOBILE_PREFIXES = ("138", "139", "136", "137", "135", "150", "151", "158", "159", "186", "187", "188", "177", "199")
_TRACKING = {
    "顺丰速运": lambda r: "SF1" + _digits(r, 12), "顺丰冷运": lambda r: "SF1" + _digits(r, 12),
    "中通快递": lambda r: "7" + _digits(r, 13), "圆通速递": lambda r: "YT" + _digits(r, 13),
    "韵达快递": lambda r: "43" + _digits(r, 11), "极兔速递": lambda r: "JT" + _digits(r, 13),
    "京东快递": lambda r: "JDV" + _digits(r, 12),
}
_ORDER_NUMBERS = {  # what each channel's order numbers look like (no dates in them: see `_planned`)
    "tmall": lambda r, p: "3" + _digits(r, 18), "taobao": lambda r, p: "2" + _digits(r, 18),
    "jd": lambda r, p: "2" + _digits(r, 11), "douyin": lambda r, p: "69" + _digits(r, 17),
    "brand_site": lambda r, p: p + _digits(r, 10),
}


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(n))


@dataclass
class _Person:
    name: str
    mobile: str
    email: str


@dataclass
class _Plan:
    people: list[_Person]
    numbers: dict[str, str]  # order key → order number


def _planned(shop: Shop) -> _Plan:
    """Contacts and order numbers, the same on every run and every day (the idempotency check relies on it)."""
    rng = random.Random(shop.seed)
    people = []
    for name, pinyin, has_email in shop.customers:
        mobile = rng.choice(_MOBILE_PREFIXES) + _digits(rng, 8)
        email = f"{pinyin}{rng.randint(10, 99)}@example.com"
        people.append(_Person(name, mobile, email if has_email else ""))
    numbers = {o.key: _ORDER_NUMBERS[o.channel](rng, shop.order_prefix) for o in shop.orders}
    return _Plan(people, numbers)


# ---------------------------------------------------------------- evidence photos

_W, _H = 640, 480
_RED = (214, 40, 40)


def _photo(spec: str, rng: random.Random) -> tuple[bytes, str]:
    """A small, plausible-looking photo: a product on a table, the problem circled in red."""
    subject, _, variant = spec.partition(":")
    if subject in ("receipt", "parcel") and variant in ("hospital", "label"):
        return _paper(rng, variant), "jpg"
    base = tuple(rng.randint(200, 240) for _ in range(3))
    img = Image.new("RGB", (_W, _H), base)
    draw = ImageDraw.Draw(img)
    table = tuple(max(0, c - rng.randint(40, 70)) for c in base)
    draw.rectangle([0, int(_H * 0.66), _W, _H], fill=table)
    for y in range(int(_H * 0.66), _H, 18):  # wood grain
        draw.line([0, y, _W, y + rng.randint(-6, 6)], fill=tuple(max(0, c - 12) for c in table), width=2)
    mark = _DRAW[subject](draw, rng, variant)
    if mark:
        x0, y0, x1, y1 = mark
        draw.ellipse([x0 - 18, y0 - 18, x1 + 18, y1 + 18], outline=_RED, width=5)
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=82)
    return buf.getvalue(), "jpg"


def _paper(rng: random.Random, variant: str) -> bytes:
    img = Image.new("RGB", (_W, _H), (90, 96, 104))
    draw = ImageDraw.Draw(img)
    draw.rectangle([150, 30, 490, 450], fill=(250, 250, 246))
    if variant == "label":  # a waybill: a barcode and a few printed lines
        for x in range(190, 450, 4):
            if rng.random() < 0.6:
                draw.rectangle([x, 60, x + rng.choice((1, 2)), 130], fill=(20, 20, 20))
        start = 160
    else:  # a hospital bill with a red stamp
        draw.rectangle([170, 50, 470, 80], fill=(60, 110, 170))
        draw.ellipse([360, 300, 460, 400], outline=_RED, width=4)
        start = 110
    for y in range(start, 420, 26):
        draw.rectangle([175, y, 175 + rng.randint(140, 290), y + 9], fill=(120, 120, 120))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=82)
    return buf.getvalue()


def _screenshot(rng: random.Random) -> bytes:
    img = Image.new("RGB", (360, 640), (245, 245, 245))
    draw = ImageDraw.Draw(img)
    draw.rectangle([0, 0, 360, 56], fill=(28, 126, 214))
    for y in range(80, 600, 64):
        draw.rounded_rectangle([16, y, 344, y + 48], radius=8, fill=(255, 255, 255))
        draw.rectangle([32, y + 18, 32 + rng.randint(80, 260), y + 28], fill=(150, 150, 150))
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def _cup(draw, rng, variant):
    marks = []
    for i, x in enumerate((170, 330)):
        draw.polygon([(x, 200), (x + 120, 200), (x + 105, 330), (x + 15, 330)], fill=(252, 252, 250),
                     outline=(200, 200, 200))
        draw.rectangle([x + 8, 240, x + 112, 270], fill=(233, 120, 150) if i else (120, 170, 220))
        if variant == "bloated" and i == 0:
            draw.chord([x - 6, 150, x + 126, 250], 180, 360, fill=(235, 235, 240), outline=(170, 170, 180))
            marks.append((x - 6, 150, x + 126, 210))
        else:
            draw.rectangle([x - 4, 192, x + 124, 204], fill=(225, 225, 232))
        if variant == "leak" and i == 0:
            draw.ellipse([x - 40, 318, x + 170, 352], fill=(248, 248, 240))
            marks.append((x - 40, 300, x + 170, 352))
    if variant == "hair":
        draw.ellipse([190, 110, 450, 190], fill=(250, 236, 240))
        draw.arc([250, 120, 380, 180], 200, 340, fill=(25, 20, 20), width=3)
        marks.append((250, 120, 380, 180))
    return marks[0] if marks else None


def _carton(draw, rng, variant):
    for x in (200, 340):
        draw.rectangle([x, 160, x + 100, 330], fill=(250, 250, 252), outline=(190, 190, 200))
        draw.polygon([(x, 160), (x + 50, 120), (x + 100, 160)], fill=(230, 236, 245))
        draw.rectangle([x, 220, x + 100, 260], fill=(40, 110, 190))
    if variant == "warm":
        draw.ellipse([150, 320, 500, 360], fill=(170, 205, 235))
        draw.rounded_rectangle([440, 300, 540, 340], radius=10, fill=(120, 180, 230))
        return (150, 300, 540, 360)
    return None


def _cake(draw, rng, variant):
    if variant == "crushed":
        draw.polygon([(170, 330), (470, 330), (440, 270), (360, 230), (300, 280), (210, 250)], fill=(250, 240, 220))
        draw.polygon([(220, 300), (420, 300), (380, 260), (300, 290)], fill=(250, 200, 90))
        return (170, 230, 470, 330)
    draw.rectangle([180, 220, 460, 320], fill=(250, 236, 200))
    for y in (245, 270, 295):
        draw.line([180, y, 460, y], fill=(250, 196, 80), width=6)
    draw.ellipse([180, 195, 460, 245], fill=(252, 246, 226))
    return None


def _parcel(draw, rng, variant):
    draw.polygon([(170, 170), (470, 170), (470, 340), (170, 340)], fill=(196, 150, 98))
    draw.rectangle([305, 170, 335, 340], fill=(220, 190, 140))
    if variant == "dented":
        draw.polygon([(400, 170), (470, 170), (470, 240), (430, 215)], fill=(150, 110, 70))
        return (400, 170, 470, 240)
    return None


def _garment(draw, rng, variant, colour, shape):
    if shape == "dress":
        draw.polygon([(270, 110), (370, 110), (390, 180), (450, 360), (190, 360), (250, 180)], fill=colour)
        for _ in range(20):
            x, y = rng.randint(220, 420), rng.randint(190, 350)
            draw.ellipse([x, y, x + 8, y + 8], fill=(250, 250, 250))
    elif shape == "pants":
        draw.polygon([(240, 110), (400, 110), (420, 380), (335, 380), (320, 200), (305, 380), (220, 380)], fill=colour)
    else:  # tops
        draw.polygon([(250, 110), (390, 110), (470, 170), (440, 210), (410, 190), (410, 370), (230, 370), (230, 190),
                      (200, 210), (170, 170)], fill=colour)
    if variant == "tag":
        draw.rectangle([300, 110, 340, 160], fill=(250, 250, 250), outline=(120, 120, 120))
        return (300, 110, 340, 160)
    if variant == "pilling":
        for _ in range(140):
            x, y = rng.randint(250, 400), rng.randint(200, 360)
            draw.ellipse([x, y, x + 4, y + 4], fill=tuple(min(255, c + 40) for c in colour))
        return (250, 260, 400, 360)
    if variant == "seam":
        draw.line([(262, 170), (272, 185), (262, 200), (272, 215)], fill=(30, 30, 30), width=3)
        return (250, 165, 285, 220)
    if variant == "zipper":
        draw.line([320, 120, 320, 370], fill=(70, 70, 70), width=5)
        draw.rounded_rectangle([340, 330, 356, 360], radius=4, fill=(160, 160, 160))
        return (312, 320, 360, 366)
    if variant == "crack":
        draw.ellipse([270, 180, 370, 260], fill=(250, 200, 60))
        for _ in range(6):
            x = rng.randint(280, 360)
            draw.line([x, 185, x + rng.randint(-15, 15), 255], fill=colour, width=2)
        return (270, 180, 370, 260)
    if variant == "hole":
        draw.ellipse([360, 270, 395, 300], fill=(60, 50, 45))
        return (360, 270, 395, 300)
    return None


def _device(draw, rng, variant, kind):
    if kind == "phone":
        draw.rounded_rectangle([250, 90, 390, 380], radius=22, fill=(25, 25, 30))
        draw.rectangle([262, 112, 378, 358], fill=(60, 90, 140) if variant != "bench" else (230, 230, 230))
        if variant == "green_line":
            draw.line([322, 112, 322, 358], fill=(40, 240, 80), width=3)
            return (312, 112, 332, 358)
        if variant == "bench":
            draw.rectangle([120, 300, 240, 360], fill=(60, 60, 60))  # the test fixture
        return None
    if kind == "earbuds":
        draw.rounded_rectangle([260, 250, 400, 330], radius=36, fill=(250, 250, 250), outline=(200, 200, 200))
        draw.ellipse([230, 170, 290, 230], fill=(252, 252, 252), outline=(190, 190, 190))
        draw.ellipse([360, 170, 420, 230], fill=(252, 252, 252), outline=(190, 190, 190))
        if variant == "case":
            draw.rectangle([320, 318, 340, 326], fill=(110, 90, 40))
            return (300, 300, 360, 340)
        return (230, 170, 290, 230) if variant == "left" else None
    if kind == "cooker":
        draw.rounded_rectangle([200, 160, 440, 360], radius=40, fill=(235, 235, 238), outline=(180, 180, 185))
        draw.ellipse([210, 140, 430, 200], fill=(210, 210, 215))
        draw.rectangle([280, 260, 360, 300], fill=(20, 30, 20))
        draw.text((306, 272), "E3", fill=(240, 60, 60))
        return (280, 260, 360, 300)
    if kind == "watch":
        draw.rectangle([295, 90, 345, 200], fill=(40, 40, 45))
        draw.rounded_rectangle([275, 200, 365, 290], radius=18, fill=(30, 30, 35))
        draw.rectangle([287, 212, 353, 278], fill=(20, 60, 80))
        draw.rectangle([300, 320, 340, 400], fill=(40, 40, 45))  # the strap, broken off
        return (290, 286, 350, 324)
    # power bank
    draw.rounded_rectangle([210, 200, 430, 320], radius=16, fill=(60, 64, 70))
    for i in range(4):
        draw.ellipse([330 + i * 18, 290, 340 + i * 18, 300], fill=(90, 90, 90))
    return (320, 282, 410, 308)


_DRAW: dict[str, Any] = {
    "yogurt": _cup, "milk": _carton, "cake": _cake, "parcel": _parcel,
    "hoodie": lambda dr, r, v: _garment(dr, r, v, (96, 160, 110), "top"),
    "fleece": lambda dr, r, v: _garment(dr, r, v, (200, 120, 90), "top"),
    "jacket": lambda dr, r, v: _garment(dr, r, v, (40, 90, 160), "top"),
    "tshirt": lambda dr, r, v: _garment(dr, r, v, (236, 236, 236), "top"),
    "dress": lambda dr, r, v: _garment(dr, r, v, (120, 150, 190), "dress"),
    "pants": lambda dr, r, v: _garment(dr, r, v, (70, 70, 90), "pants"),
    "phone": lambda dr, r, v: _device(dr, r, v, "phone"),
    "earbuds": lambda dr, r, v: _device(dr, r, v, "earbuds"),
    "cooker": lambda dr, r, v: _device(dr, r, v, "cooker"),
    "watch": lambda dr, r, v: _device(dr, r, v, "watch"),
    "powerbank": lambda dr, r, v: _device(dr, r, v, "powerbank"),
}


# ---------------------------------------------------------------- replaying history

# Messages and surveys due within this last stretch are left to the worker, as in a live shop.
LIVE = timedelta(minutes=15)


@contextmanager
def _at(moment: datetime) -> Iterator[None]:
    """Run one step of the story as if it were `moment`: services, clocks and new rows all read that time."""
    with travel_to(moment):
        yield
        db.session.flush()


@dataclass
class _Shop:
    tenant: Tenant
    shop: Shop
    plan: _Plan
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


def seed_tenant(tenant: Tenant, owner: User, agent: User) -> Showcase | None:
    """Import the shop's demo orders and file its demo cases, once; return the case to show on the CLI.

    Call inside tenant_context(tenant.id). A shop that already has any of its demo
    orders is left as it is (and its showcase case, if still there, is returned).
    """
    shop = SHOPS.get(tenant.slug)
    if shop is None:
        return None
    plan = _planned(shop)
    numbers = list(plan.numbers.values())
    seeded = db.session.scalar(select(Order.id).where(Order.tenant_id == tenant.id,
                                                      Order.order_number.in_(numbers)).limit(1))
    if seeded is None:
        ctx = _Shop(tenant, shop, plan, {"agent": agent, "owner": owner}, ZoneInfo(tenant.timezone),
                    random.Random(shop.seed + "/story"), utcnow())
        _import_orders(ctx)
        for spec in sorted(shop.cases, key=lambda c: c.filed.resolve(ctx.now, ctx.tz)):
            _play(ctx, spec)
        _surveys(ctx)
        _settle_outbox(ctx, ctx.now - LIVE)
    return _showcase(tenant, shop, plan)


def _showcase(tenant: Tenant, shop: Shop, plan: _Plan) -> Showcase | None:
    spec = next((c for c in shop.cases if c.showcase), None)
    if spec is None or spec.order is None:
        return None
    case = db.session.scalar(select(Case).where(Case.tenant_id == tenant.id, Case.order_number == plan.numbers[spec.order])
                             .order_by(Case.id).limit(1))
    if case is None or not case.mobile:
        return None
    return Showcase(tenant.slug, case.number, case.mobile[-4:])


# ---------------------------------------------------------------- orders, as a merchant imports them

_CSV_HEADER = ("订单号", "渠道", "下单日期", "签收日期", "客户姓名", "手机", "邮箱", "SKU", "商品名称", "类目", "数量", "单价")
_CHANNEL_NAMES = {key: zh for key, (zh, _en) in orders.CHANNEL_LABELS.items()}


def _import_orders(ctx: _Shop) -> None:
    """One export file per morning: the orders delivered (or placed, if not delivered yet) that day."""
    today = ctx.now.astimezone(ctx.tz).date()
    batches: dict[int, list[DemoOrder]] = {}
    for order in ctx.shop.orders:
        if not 3 <= order.purchased <= 40 or (order.delivered is not None and order.delivered > order.purchased):
            raise ValueError(f"demo order {order.key}: implausible dates")
        batches.setdefault(order.delivered if order.delivered is not None else order.purchased, []).append(order)
    for days in sorted(batches, reverse=True):
        moment = ctx.moment(d(days, "07:30"))
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(_CSV_HEADER)
        for order in batches[days]:
            person = ctx.plan.people[order.customer]
            for sku, quantity in order.lines:
                product = ctx.shop.products[sku]
                writer.writerow((
                    ctx.plan.numbers[order.key], _CHANNEL_NAMES[order.channel],
                    (today - timedelta(days=order.purchased)).isoformat(),
                    (today - timedelta(days=order.delivered)).isoformat() if order.delivered is not None else "",
                    person.name, person.mobile, person.email, sku, product.name, product.category, quantity,
                    product.price,
                ))
        filename = f"订单导出_{ctx.local(moment):%Y%m%d}.csv"
        with _at(moment):
            result = orders.import_orders_csv(ctx.tenant, ctx.staff["owner"], buf.getvalue().encode("utf-8-sig"),
                                              filename)
        if not result.ok:
            raise RuntimeError(f"demo order import failed: {[e.message('en') for e in result.errors]}")
        for order in batches[days]:
            ctx.imported_at[order.key] = moment
    rows = db.session.scalars(select(Order).where(Order.tenant_id == ctx.tenant.id,
                                                  Order.order_number.in_(list(ctx.plan.numbers.values()))))
    by_number = {o.order_number: o for o in rows}
    ctx.orders = {key: by_number[number] for key, number in ctx.plan.numbers.items()}


# ---------------------------------------------------------------- cases, step by step


def _intake(ctx: _Shop, spec: DemoCase) -> cases.Intake:
    today = ctx.now.astimezone(ctx.tz).date()
    if spec.order is not None:
        order = ctx.orders[spec.order]
        person = _Person(order.customer_name, order.mobile, order.email)
        number, channel = order.order_number, order.channel
        line_ids = [line.id for line in order.lines if line.sku in spec.skus]
        extra: dict[str, Any] = {}
    else:
        assert spec.typed is not None and spec.customer is not None
        typed = spec.typed
        person = ctx.plan.people[spec.customer]
        if typed.number.startswith("="):
            number = ctx.plan.numbers[typed.number[1:]]
        elif typed.number.startswith("~"):
            number = ctx.plan.numbers[typed.number[1:]][:-1]
        else:
            number = _ORDER_NUMBERS[typed.number](ctx.rng, ctx.shop.order_prefix)
        channel, line_ids = typed.channel, []
        extra = dict(purchase_date=today - timedelta(days=typed.purchased), category=typed.category,
                     delivery_date=today - timedelta(days=typed.delivered) if typed.delivered is not None else None,
                     item_price=Decimal(typed.price) if typed.price else None)
    mobile = person.mobile if spec.contact in ("both", "mobile") else ""
    email = person.email if spec.contact in ("both", "email") else ""
    return cases.Intake(
        order_number=number, customer_name=person.name, mobile=mobile, email=email, purchase_channel=channel,
        problem_type=spec.problem, description=spec.text, expected_resolution=spec.expected, line_ids=line_ids,
        locale=spec.locale, intake_channel=spec.intake_channel, **extra,
    )


def _play(ctx: _Shop, spec: DemoCase) -> Case:
    filed = ctx.moment(spec.filed)
    if spec.order is not None and ctx.imported_at[spec.order] >= filed:
        raise ValueError(f"demo case on {spec.order} is filed before its order is imported")
    by_agent = spec.intake_channel == "agent"
    with _at(filed):
        case = cases.file_case(ctx.tenant, _intake(ctx, spec), actor=ctx.staff["agent"] if by_agent else None)
        if spec.order is not None and not case.order_verified:
            raise RuntimeError(f"demo case on {spec.order} did not find its order")
        _attach(ctx, case, spec.photos, "staff" if by_agent else "consumer", None, filed)
    last = filed
    for step in spec.steps:
        moment = ctx.moment(step.at)
        if moment <= last:
            raise ValueError(f"demo case {spec.text[:12]}…: step {step.action} is not after the one before")
        last = moment
        with _at(moment):
            event, who = _step(ctx, case, step)
            _attach(ctx, case, step.photos, who, event, moment)
    ctx.specs[case.id] = spec
    return case


def _step(ctx: _Shop, case: Case, step: Step):
    actor, a, args, kw = ctx.staff[step.by], step.action, step.args, step.kw
    if a == "consumer":
        return cases.consumer_message(case, args[0]), "consumer"
    if a == "shipped":
        return cases.consumer_return_shipped(case, args[0], _TRACKING[args[0]](ctx.rng)), "consumer"
    if a == "accept":
        event = cases.accept(case, actor)
    elif a == "info":
        event = cases.request_info(case, actor, args[0])
    elif a == "return":
        event = cases.request_return(case, actor)
    elif a == "received":
        event = cases.mark_return_received(case, actor, *args)
    elif a == "inspected":
        event = cases.mark_inspected(case, actor, *args)
    elif a == "verify":
        responsibility, basis, remedy = args
        event = cases.verify(case, actor, responsibility, basis, _clause(case, remedy), reason_code=kw.get("reason"))
    elif a == "propose":
        event = cases.propose(case, actor, args[0], **kw)
    elif a == "execute":
        carrier = kw.get("carrier")
        tracking = f"{carrier} {_TRACKING[carrier](ctx.rng)}" if carrier else ""
        report = "检测合格，附维修检测报告。" if case.resolution_kind == "repair" else ""
        event = cases.execute(case, actor, tracking=tracking, report=report)
    elif a == "reject":
        event = cases.reject(case, actor, args[0])
    elif a == "escalate":
        event = cases.escalate(case, actor, args[0])
    elif a == "close":
        event = cases.close(case, actor)
    elif a == "note":
        event = cases.add_note(case, actor, args[0])
    elif a == "message":
        event = cases.message_customer(case, actor, args[0])
    else:
        raise ValueError(f"unknown demo step {a!r}")
    return event, "staff"


def _clause(case: Case, remedy: str) -> str:
    """The policy clause a determination rests on, as quoted in the case's eligibility snapshot."""
    for r in case.eligibility or []:
        if r.get("kind") == remedy:
            return r["clause"]["text_zh"]
    return ""


def _attach(ctx: _Shop, case: Case, photos: tuple[str, ...], uploaded_by: str, event, moment: datetime) -> None:
    if not photos:
        return
    taken = ctx.local(moment)
    checked = []
    for i, spec in enumerate(photos):
        if spec == "screenshot":
            data, name = _screenshot(ctx.rng), f"Screenshot_{taken:%Y%m%d-%H%M%S}.png"
        else:
            data, ext = _photo(spec, ctx.rng)
            shot = taken - timedelta(minutes=3 * (len(photos) - i), seconds=ctx.rng.randrange(60))
            name = f"IMG_{shot:%Y%m%d_%H%M%S}.{ext}"
        # Cleaned here, as the evidence worker would: seeded photos are ready at once.
        checked.append(evidence.clean_image(evidence.check_upload(io.BytesIO(data), name)))
    case_evidence.attach(case, checked, uploaded_by=uploaded_by, event=event)


# ---------------------------------------------------------------- what happened around the cases

def _settle_outbox(ctx: _Shop, moment: datetime) -> None:
    """The outbox as the worker would have left it: what was due by `moment` went out when it was due.

    Only the rows are settled; nothing is handed to a provider (the demo's contacts are fictitious),
    and the jobs queued for these rows find them sent and do nothing.
    """
    due = db.session.scalars(select(Notification).where(
        Notification.tenant_id == ctx.tenant.id, Notification.status == "pending",
        Notification.next_attempt_at <= moment).order_by(Notification.id)).all()
    for n in due:
        n.status, n.attempts, n.sent_at, n.updated_at = "sent", 1, n.next_attempt_at, n.next_attempt_at
    db.session.flush()


def _surveys(ctx: _Shop) -> None:
    """Follow-up surveys that fell due were sent then; a few customers answered."""
    due = db.session.scalars(select(Survey).where(
        Survey.tenant_id == ctx.tenant.id, Survey.status == "scheduled",
        Survey.due_at <= ctx.now - LIVE).order_by(Survey.id)).all()
    for survey in due:
        invited = survey.due_at
        with _at(invited):
            surveys.invite(survey, invited)
        spec = ctx.specs.get(survey.case_id)
        answered = invited + timedelta(hours=2, minutes=ctx.rng.randrange(60))
        if spec is not None and spec.survey is not None and survey.status == "invited" and answered < ctx.now - LIVE:
            with _at(answered):
                surveys.answer(survey, spec.survey[0], spec.survey[1], answered)
