"""What the load-test generator's cases are made of: the problem mix, customers, products, wordings, paths.

Data only, tuned here without touching the mechanics: `saas.demo.generate` draws a case's
customer and order from these, `saas.demo.generate_events` the path it takes and its chat.
"""

from __future__ import annotations

# (problem type, share of cases)
TYPE_MIX = (
    ("quality", 0.34),
    ("return_exchange", 0.36),
    ("complaint", 0.1),
    ("consultation", 0.17),
    ("food_safety", 0.03),
)
CATEGORIES = {
    "quality": ("electronics", "small_appliances", "apparel"),
    "return_exchange": ("apparel", "electronics"),
    "complaint": ("general",),
    "consultation": ("general", "electronics"),
    "food_safety": ("fresh_food", "dairy"),
}
CHANNELS = ("taobao", "tmall", "jd", "pdd", "douyin", "brand_site", "offline")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = (
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "洋",
    "艳",
    "勇",
    "军",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀英",
    "霞",
    "平",
)
PRODUCTS = {
    "electronics": ("蓝牙耳机", "充电宝 20000mAh", "智能手表", "平板电脑"),
    "small_appliances": ("电热水壶", "空气炸锅", "吹风机"),
    "apparel": ("儿童羽绒服", "纯棉T恤", "运动裤"),
    "general": ("礼品卡", "收纳盒"),
    "fresh_food": ("低温酸奶 6 杯", "鲜牛奶 1L"),
    "dairy": ("奶酪棒", "黄油 250g"),
}
DESCRIPTIONS = {
    "quality": "收到后使用三天就无法开机，充电指示灯不亮。",
    "return_exchange": "尺码偏小，想换大一码。",
    "complaint": "客服两天没有回复我的留言。",
    "consultation": "请问这个型号支持快充吗？",
    "food_safety": "打开后发现酸奶有异味，孩子喝了之后肚子疼。",
}
EXPECTED = {
    "quality": "repair",
    "return_exchange": "exchange",
    "complaint": "compensation",
    "consultation": "consultation",
    "food_safety": "refund",
}

# A step: (event kind, actor type, new status or None, message key or None, params builder key)
S = tuple
PATHS = {
    "quality": [
        S(("accepted", "staff", "accepted", "accepted")),
        S(("verified", "staff", "verified", "verified_merchant")),
        S(("proposed", "staff", "proposed", "proposed_repair")),
        S(("repair_done", "staff", "resolved", "repair_done")),
        S(("closed", "staff", "closed", "closed")),
    ],
    "return_exchange": [
        S(("accepted", "staff", "accepted", "accepted")),
        S(("return_requested", "staff", "awaiting_return", "return_requested")),
        S(("return_shipped", "consumer", "awaiting_return", "return_shipped")),
        S(("return_received", "staff", "return_received", "return_received")),
        S(("inspected", "staff", "inspected", "inspected")),
        S(("proposed", "staff", "proposed", "proposed_refund")),
        S(("refund_paid", "staff", "resolved", "refund_paid")),
        S(("closed", "staff", "closed", "closed")),
    ],
    "complaint": [
        S(("accepted", "staff", "accepted", "accepted")),
        S(("escalated", "staff", None, "escalated")),
        S(("proposed", "staff", "proposed", "proposed_compensation")),
        S(("compensation_paid", "staff", "resolved", "compensation_paid")),
        S(("closed", "staff", "closed", "closed")),
    ],
    "consultation": [
        S(("accepted", "staff", "accepted", "accepted")),
        S(("explained", "staff", "resolved", "explained")),
        S(("closed", "staff", "closed", "closed")),
    ],
    "food_safety": [
        S(("emergency_raised", "system", None, None)),
        S(("accepted", "staff", "accepted", "accepted")),
        S(("verified", "staff", "verified", "verified_merchant")),
        S(("proposed", "staff", "proposed", "proposed_compensation")),
        S(("compensation_paid", "staff", "resolved", "compensation_paid")),
        S(("closed", "staff", "closed", "closed")),
    ],
}
REJECTED_PATH = [
    S(("accepted", "staff", "accepted", "accepted")),
    S(("rejected", "staff", "rejected", "rejected")),
    S(("closed", "staff", "closed", "closed")),
]
INFO_STEPS = [
    S(("info_requested", "staff", "info_requested", "info_requested")),
    S(("consumer_message", "consumer", "accepted", None)),
]
CHAT_STEPS = [S(("consumer_message", "consumer", None, None)), S(("staff_message", "staff", None, None))]
# What the chat steps say (they have no message key).
CHAT_TEXT = {"consumer_message": "请问什么时候能处理好？", "staff_message": "您好，我们正在加急处理，请耐心等待。"}
