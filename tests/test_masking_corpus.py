"""Masking measured on a corpus: personal data in the many ways people write it, and ordinary after-sales text.

The corpus is generated (seeded, so every run sees the same sentences) from formats seen in real
cases. The leak check is independent of saas/masking.py: it folds the output its own way (NFKC,
format characters out, Chinese digits as digits, tone marks off, separators out) and looks for
what must not survive of each piece of personal data.
"""

from __future__ import annotations

import random
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta

from pypinyin import Style, lazy_pinyin

from saas.masking import mask_text

CN = dict(zip("〇零○一壹幺二贰三叁四肆五伍六陆七柒八捌九玖", "0001112233445566778899", strict=True))
CN_OUT = "零一二三四五六七八九"


def fold(text: str) -> str:
    """Lower-case letters and digits only, the way a reader's eye joins them."""
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    text = unicodedata.normalize("NFKC", text)
    text = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
    text = "".join(CN.get(ch, ch) for ch in text)
    return "".join(ch for ch in text.lower() if ch.isalnum())


@dataclass
class Piece:
    kind: str
    written: str
    secrets: list[str]  # what must not be readable afterwards (compared after fold)


SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰晓红建国志"


def _cn_digits(digits: str, rng: random.Random) -> str:
    zero = rng.choice("零〇")
    return "".join(zero if d == "0" else CN_OUT[int(d)] for d in digits)


def _mobile(rng: random.Random) -> str:
    return (
        rng.choice(["13", "15", "18", "17", "19", "14"])
        + str(rng.randint(0, 9))
        + "".join(str(rng.randint(0, 9)) for _ in range(8))
    )


def _mobile_forms(m: str, rng: random.Random) -> list[str]:
    zw = "\u200b"
    return [
        m,
        f"{m[:3]} {m[3:7]} {m[7:]}",
        f"{m[:4]} {m[4:8]} {m[8:]}",
        f"{m[:3]} - {m[3:7]} - {m[7:]}",
        " ".join(m),
        _cn_digits(m, rng),
        zw.join(m),
        f"{m[:3]}/{m[3:7]}/{m[7:]}",
        f"{m[:3]}_{m[3:7]}_{m[7:]}",
        f"{m[:3]}－{m[3:7]}－{m[7:]}",
        f"({m[:3]}){m[3:7]}-{m[7:]}",
        f"+86 {m}",
        f"0086-{m[:3]}-{m[3:7]}-{m[7:]}",
        "".join(chr(0xFF10 + int(d)) for d in m),
        f"{m[:3]}.{m[3:7]}.{m[7:]}",
        f"{m[:3]}{zw} {m[3:7]}{zw}{m[7:]}",
        f"+86（{m[:3]}）{m[3:7]} {m[7:]}",
        f"{m[:3]}****{m[7:]}",
        f"尾号{m[7:]}的那个",
        f"{m[:3]}，{m[3:7]}，{m[7:]}",
    ]


def _id_number(rng: random.Random, old: bool = False) -> str:
    region = rng.choice(["110105", "310104", "440305", "510107", "330106", "420102"])
    born = date(1950, 1, 1) + timedelta(days=rng.randint(0, 365 * 55))
    if old:
        return region + born.strftime("%y%m%d") + "".join(str(rng.randint(0, 9)) for _ in range(3))
    return (
        region + born.strftime("%Y%m%d") + "".join(str(rng.randint(0, 9)) for _ in range(3)) + rng.choice("0123456789X")
    )


def _id_forms(rng: random.Random) -> list[tuple[str, str]]:
    n = _id_number(rng)
    old = _id_number(rng, old=True)
    return [
        (n, n),
        (f"{n[:6]} {n[6:14]} {n[14:]}", n),
        (f"{n[:6]}-{n[6:10]}-{n[10:14]}-{n[14:]}", n),
        ("".join(chr(0xFF10 + int(c)) if c.isdigit() else c for c in n), n),
        (old, old),
        (f"{old[:6]} {old[6:12]} {old[12:]}", old),
        (n.lower(), n),
    ]


def _email_forms(rng: random.Random) -> list[tuple[str, str]]:
    local = rng.choice(["zhangwei", "liuyang88", "chen.jing", "wang_fang", "happy.li", "sunny2008", "xiaoming.z"])
    domain = rng.choice(["qq.com", "163.com", "gmail.com", "outlook.com", "126.com", "sina.cn"])
    host, tld = domain.split(".")
    return [
        (f"{local}@{domain}", local),
        (f"{local} @ {domain}", local),
        (f"{local} at {host} dot {tld}", local),
        (f"{local}(at){host}(dot){tld}", local),
        (f"{local}[at]{host}[dot]{tld}", local),
        ("".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in f"{local}@{domain}"), local),
        (f"{local}＠{domain}", local),
        (f"{local} AT {host} DOT {tld}", local),
        (f"{local}@{host} . {tld}", local),
        (f"{local}艾特{domain}", local),
        (f"{local}#{domain}（#换成@）", local),
        ("王小明@例子.中国", "小明"),
        (f"{local}@münchen-shop.de", local),
    ]


def _address_forms(rng: random.Random) -> list[tuple[str, list[str]]]:
    road = rng.choice(["建国路", "长安街", "中山北路", "人民大道", "南京西路", "科技园南路"])
    no, bld, room = rng.randint(1, 300), rng.randint(1, 30), rng.randint(101, 2808)
    cn_no = rng.choice(["八十八", "一百零六", "三十二", "十五"])
    estate = rng.choice(["幸福小区", "阳光花园", "翠湖苑", "金地家园"])
    street = rng.choice(["Jianguo Road", "Main Street", "Zhongshan North Rd", "Nanjing West Road", "Park Avenue"])
    return [
        (f"北京市朝阳区{road}{no}号{bld}栋{room}室", [f"{no}号", str(room)]),
        (f"{estate}{bld}幢2单元{room}", [str(room), f"{bld}幢"]),
        (f"上海市浦东新区{road}{cn_no}号", [f"{cn_no}号"]),
        (f"望京SOHO塔{bld}-{room}", [f"{bld}-{room}", str(room)]),
        (f"{road}{no}号院{bld}号楼{room}", [str(room), f"{no}号"]),
        (f"广东省深圳市南山区{road}{no}号{estate}{bld}栋{room}", [str(room), f"{no}号"]),
        (
            f"杭州市西湖区{estate}{_cn_digits(str(bld), rng)}幢{_cn_digits(str(room), rng)}室",
            [fold(_cn_digits(str(room), rng))],
        ),
        (f"Room {room}, Tower {bld}, Wangjing SOHO, Chaoyang District, Beijing", [str(room)]),
        (f"{no} {street}, Apt {bld}B, Shanghai", [f"{no}{street.split()[0]}".lower(), f"{bld}b"]),
        (f"No. {no} {street}, Pudong New Area", [f"{no}{street.split()[0]}".lower()]),
        (f"Flat {room}, Block {bld}, {street}", [str(room)]),
        (f"Building {bld}, {no} {street}", [f"{no}{street.split()[0]}".lower()]),
        (f"Unit {room}, {no}-{bld} {street}", [str(room)]),
        (f"北京市朝阳区建国门外大街{no}号国贸大厦A座{room}", [f"a座{room}", f"{no}号"]),
        (f"上海市徐汇区漕溪北路 {no} 号 A 座 {bld} 楼", [f"{no}号", f"a座{bld}"]),
        (f"{road}{no}-{bld}号", [f"{no}{bld}号"]),
        (f"Jianguo Lu {no} Hao, Chaoyang, Beijing", [f"lu{no}"]),
        (f"Flat {bld}B, {no} Nathan Road, Kowloon", [f"flat{bld}b", f"{no}nathan"]),
    ]


def _name_forms(rng: random.Random) -> tuple[str, list[tuple[str, list[str]]]]:
    name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice([1, 2, 2])))
    sur, *given = lazy_pinyin(name, style=Style.NORMAL)
    tones = lazy_pinyin(name, style=Style.TONE)
    g = "".join(given)
    whole = [sur + g, g + sur]
    forms = [
        (name, [name]),
        (" ".join(name), [name]),
        (f"{sur.capitalize()} {g.capitalize()}", whole),
        (f"{sur}{g}", whole),
        (f"{sur.upper()} {g.capitalize()}", whole),
        (f"{g.capitalize()} {sur.capitalize()}", whole),
        (" ".join(tones), whole),
        (
            f"{''.join(s[0].upper() + '.' for s in given)} {sur.capitalize()}",
            [fold("".join(s[0] for s in given) + sur)],
        ),
        (f"{sur.capitalize()} {''.join(s[0].upper() for s in given)}", [sur + "".join(s[0] for s in given)]),
        (" ".join(p.capitalize() for p in [sur, *given]), whole),
    ]
    if len(name) == 3:
        forms.append((name[1:], [name[1:]]))
    return name, forms


TEMPLATES = {
    "phone": [
        "您好，我的手机是{x}，麻烦尽快回电。",
        "Please call me on {x} after 6pm.",
        "联系电话：{x}（工作日）",
        "快递员说打{x}找不到人，请改一下。",
        "我换号了，新号码{x}，以后发这个",
        "My number is {x}, thanks",
    ],
    "landline": ["白天打座机{x}，有人接。", "Office phone {x}, ask for the front desk.", "单位电话 {x} 转前台"],
    "id": ["身份证号{x}，发票开个人的。", "ID number {x} for the invoice please", "实名信息：{x}，请核对"],
    "email": ["发票请发到邮箱{x}，谢谢。", "Send the label to {x} please.", "邮件联系 {x} 就行"],
    "address": ["换货请寄到{x}，周末有人。", "Please ship the replacement to {x}.", "收货地址改成{x}了"],
    "account": ["加我微信 {x}，发视频给你们", "我的QQ号是 {x}，可以加", "WeChat ID: {x}, message me there"],
    "name": ["我是{x}，上周买的耳机坏了。", "This is {x}, the buyer of the kettle.", "收件人写{x}就行，谢谢"],
}


def pii_corpus() -> list[tuple[str, list[str], str]]:
    """(sentence, secrets, customer name) for about four hundred pieces of personal data."""
    rng = random.Random(20261103)
    out: list[tuple[str, list[str], str]] = []

    def add(kind: str, written: str, secrets: list[str], name: str = "") -> None:
        out.append((rng.choice(TEMPLATES[kind]).format(x=written), secrets, name))

    for _ in range(6):
        m = _mobile(rng)
        for form in _mobile_forms(m, rng):
            add("phone", form, [m, m[3:], m[-4:]])
    for _ in range(4):
        for area, local in (
            ("010", "6552" + str(rng.randint(1000, 9999))),
            ("0755", "8" + str(rng.randint(1000000, 9999999))),
            ("021", "5" + str(rng.randint(1000000, 9999999))),
        ):
            for form in (
                f"{area}-{local}",
                f"({area}) {local[:4]} {local[4:]}",
                f"{area} {local}",
                f"+86 {area[1:]} {local}",
            ):
                add("landline", form, [local])
    for _ in range(7):
        for written, digits in _id_forms(rng):
            add("id", written, [digits.lower(), digits[6:14].lower()])
    for _ in range(5):
        for written, local in _email_forms(rng):
            add("email", written, [fold(local)])
    for _ in range(5):
        for written, secrets in _address_forms(rng):
            add("address", written, [fold(s) for s in secrets])
    for _ in range(10):
        account = rng.choice(["zhangsan_1990", "lily-shop88", "wxid_k2j3h4g5", str(rng.randint(10**7, 10**10))])
        add("account", account, [fold(account)])
    for _ in range(8):
        name, forms = _name_forms(rng)
        for written, secrets in forms:
            add("name", written, [fold(s) for s in secrets], name)
    return out


ORDINARY = [
    "订单号{jd}，价格¥{price}，{date}签收，屏幕有坏点。",
    "Order no. {jd} arrived on {date}; the lid is cracked.",
    "淘宝订单{tb}，买了{q}件，少发了1件。",
    "运单号{sf}，显示已签收但我没收到。",
    "退货已寄回，顺丰单号{sf}，运费¥{small}。",
    "型号{model}，SKU {sku}，用了{q}天就不制冷了。",
    "I paid ¥{price} for {q} units (SKU {sku}) on {date}.",
    "已按7天无理由退货处理，退款¥{price}将在3-5个工作日到账。",
    "换货单{jd}已发出，中通快递{zto}，预计{date}送达。",
    "您好，订单{tb}的发票已开具，金额¥{price}。",
    "The replacement ({model}) ships on {date}, tracking {sf}.",
    "保修期12个月，{date}之前免费维修，序列号{serial}。",
    "{date} 14:30 客户来电，说{model}充电到80%就停。",
    "颜色选错了，想换成{size}码，订单{jd}。",
    "Refund of ¥{price} issued on {date} for order {tb}.",
    "冰箱{model}的压缩机异响，购买日期{date}，发票号{invoice}。",
    "第{q}次联系了，订单{jd}还没处理，请在24小时内回复。",
    "京东订单{jd}，拼多多订单{pdd}，两单都有问题。",
    "快递{yt}丢件，请补发{q}个。",
    "Batch {batch}, {q} pcs, 2.5 kg each, order {jd}.",
]


# Sentences that look a little like personal data and are not: road and estate words, "at", "dot",
# a hotline, digits read out in Chinese, numbers in groups.
LOOKALIKES = [
    "路由器3号口不亮，换了网线也一样。",
    "买了市面上常见的5号电池，装上还是不亮。",
    "在商场3楼专柜买的，有小票。",
    "大街上3号店的店员说可以换。",
    "城市花园店2楼的柜台不给退。",
    "中心3楼售后说要寄回厂家。",
    "区域经理3号到店处理。",
    "The parcel arrived at 3pm, I was at home.",
    "At least 2 pcs missing, checked at 10:30 on 2026-11-03.",
    "Item No. 2 is broken; the 2 Way adapter works.",
    "Contact us at support dot example for help.",
    "客服电话 400-820-8820，工作日9:00-18:00。",
    "这是第一二三四批货，批次号见包装。",
    "SKU 4612-3456-7890 缺货，改发同款。",
    "退款 1299.00 元，2026年11月3日到账。",
    "I live on the 5th floor, please bring it up.",
    "3 Main features stopped working.",
    "用了2周，第3天开始漏水，7天无理由还能退吗？",
    "价格 ¥12,999.00，优惠 ¥300，实付 ¥12,699.00。",
    "我在上海市浦东新区，能上门取件吗？",
    "线上下单，门店3号柜台提货。",
    "颜色 2 号色偏暗，想换 3 号色。",
    "尺码 1,3,5,7,9,11,13,15 号都有货吗？",
    "订单#12345 已发货。",
    "开通了QQ音乐会员后才发现不能退。",
]


def ordinary_corpus() -> list[tuple[str, list[str]]]:
    """(sentence, the shop's own order and parcel numbers in it) for ordinary after-sales text."""
    rng = random.Random(4612345)
    out = []
    for i in range(200):
        day = date(2026, 1, 1) + timedelta(days=rng.randint(0, 364))
        values = {
            "jd": f"JD{day:%Y%m%d}{rng.randint(0, 999):03d}",
            "tb": str(rng.randint(10**15, 10**19 - 1)),
            "pdd": f"{day:%y%m%d}-{rng.randint(10**14, 10**15 - 1)}",
            "sf": f"SF{rng.randint(10**11, 10**12 - 1)}",
            "zto": str(rng.randint(7 * 10**11, 8 * 10**13)),
            "yt": f"YT{rng.randint(10**12, 10**13 - 1)}",
            "price": f"{rng.randint(1, 9)},{rng.randint(0, 999):03d}.{rng.choice(['00', '50', '99'])}",
            "small": f"{rng.randint(8, 30)}.00",
            "date": day.isoformat(),
            "q": rng.randint(1, 12),
            "model": rng.choice(
                ["RTX-4060 8G", "iPhone 15 Pro 256GB", "KFR-35GW/N8", "BCD-520WKPZM", "Mi 14 Ultra", "XPS 13 9340"]
            ),
            "sku": f"{rng.randint(100000, 999999)}-{rng.randint(1, 99):02d}",
            "size": rng.choice(["S", "M", "L", "XL", "2XL"]),
            "serial": f"SN{rng.randint(10**9, 10**10 - 1)}",
            "invoice": str(rng.randint(10**7, 10**8 - 1)),
            "batch": f"B{day:%y%m}{rng.randint(10, 99)}",
        }
        text = ORDINARY[i % len(ORDINARY)].format(**values)
        out.append((text, [values["jd"], values["tb"], values["sf"]]))
    return out + [(text, []) for text in LOOKALIKES]


def test_no_personal_data_survives_in_any_written_form():
    corpus = pii_corpus()
    leaks = []
    for sentence, secrets, name in corpus:
        masked = mask_text(sentence, names=[name] if name else [])
        folded = fold(masked)
        if any(s and s in folded for s in secrets):
            leaks.append((sentence, masked))
    print(f"\npersonal data: {len(corpus)} pieces, {len(leaks)} readable after masking")
    for sentence, masked in leaks[:20]:
        print(f"  LEAK {sentence!r} → {masked!r}")
    assert len(corpus) >= 300
    assert leaks == []


def test_the_rest_of_a_sentence_stays_readable():
    """Only the personal data goes: the words around it are there after masking."""
    for sentence, _secrets, name in pii_corpus():
        masked = mask_text(sentence, names=[name] if name else [])
        head = re.split(r"[{(（0-9A-Za-z\u4e00-\u9fff]", sentence, maxsplit=1)[0]
        assert masked.startswith(head)
    assert (
        mask_text("Please ship the replacement to 88 Jianguo Road, Shanghai.") == "Please ship the replacement to ***."
    )
    assert mask_text("您好，我的手机是139 1234 5678，麻烦尽快回电。") == "您好，我的手机是139********，麻烦尽快回电。"


def test_ordinary_after_sales_text_is_left_alone():
    corpus = ordinary_corpus()
    altered = [(s, mask_text(s)) for s, _ in corpus if mask_text(s) != s]
    print(f"\nordinary sentences: {len(corpus)}, altered: {len(altered)} ({100 * len(altered) / len(corpus):.1f} %)")
    for sentence, masked in altered:
        print(f"  ALTERED {sentence!r} → {masked!r}")
    assert len(corpus) >= 150
    assert len(altered) <= 0.03 * len(corpus)
    # With the shop's own numbers on the case, nothing of them is touched.
    kept = [s for s, known in corpus if mask_text(s, keep=known) != s]
    print(f"with the case's order and parcel numbers known: {len(kept)} altered")
    assert len(kept) <= len(altered)


def test_a_known_order_number_shaped_like_a_mobile_stays_readable():
    assert mask_text("订单号 13912345678 已退款", keep=["13912345678"]) == "订单号 13912345678 已退款"
    assert mask_text("订单号 13912345678 已退款") == "订单号 139******** 已退款"  # unknown: it might be a phone
