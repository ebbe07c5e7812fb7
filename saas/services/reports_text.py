"""Top problems in the customers' own words: segment descriptions and messages, count recurring phrases per product."""

from __future__ import annotations

import logging
import math
import re
import threading
from collections import Counter, defaultdict
from dataclasses import dataclass, field

# Phrases an after-sales team uses as one problem; jieba would otherwise cut them in two.
AFTER_SALES_WORDS = (
    "包装破损",
    "包装破了",
    "外包装破损",
    "包装漏气",
    "胀袋",
    "漏液",
    "漏奶",
    "变质",
    "发霉",
    "有异味",
    "异味",
    "过期",
    "临期",
    "无法开机",
    "开不了机",
    "不开机",
    "充不进电",
    "充电慢",
    "无法充电",
    "自动关机",
    "死机",
    "屏幕碎裂",
    "屏幕破裂",
    "屏幕失灵",
    "黑屏",
    "花屏",
    "噪音大",
    "发烫",
    "漏电",
    "接触不良",
    "没有声音",
    "尺码偏小",
    "尺码偏大",
    "尺码不符",
    "偏小",
    "偏大",
    "掉色",
    "褪色",
    "起球",
    "开线",
    "脱线",
    "色差",
    "颜色不符",
    "与描述不符",
    "少件",
    "漏发",
    "发错货",
    "错发",
    "缺配件",
    "物流慢",
    "物流损坏",
    "快递破损",
    "快递慢",
    "没收到",
    "未收到",
    "态度差",
    "不回复",
    "回复慢",
    "退款慢",
    "七天无理由",
    "质量问题",
    "做工粗糙",
)
ZH_STOP = frozenset(
    """
的 了 是 我 你 他 她 它 们 我们 你们 他们 这 那 这个 那个 就 都 也 还 又 和 与 及 或 在 有 没 没有 不 很 太 非常 特别 比较
吗 呢 吧 啊 呀 哦 嗯 哈 么 什么 怎么 为什么 如何 一个 一下 一直 已经 但是 但 而且 然后 所以 因为 如果 可以 能 会 要 想 希望
请 麻烦 谢谢 您好 你好 亲 客服 商家 店家 收到 购买 买 的时候 时候 今天 昨天 刚 刚刚 发现 还是 就是 这样 问题 情况 东西 商品
产品 一次 一件 两个 处理 一下子 现在 之后 以后 以前 自己 给 把 被 让 从 到 对 去 来 说 看 用 后 上 下 里 中 个 件 次 点 些
""".split()
)
EN_STOP = frozenset(
    """
a an the and or but if so of to in on at by for with from as is are was were be been being it its this that these
those i me my we our you your he she they them their have has had do does did not no yes very too also just can
could would should will shall may might please thanks thank hello hi dear after before when then than there here
about into out up down over again still only what which who how why all any some more most one two got get
received bought order item product problem issue
com net org dot www http https mail email call phone number
""".split()
)  # the last line: contact details spelled out ("name at 163 dot com"), never a product problem
EN_WORD = re.compile(r"[a-z][a-z'\-]{2,}")
HAN = re.compile(r"[\u4e00-\u9fff]")
# Addresses and links are contact details, not problems: their parts ("com", a pinyin name) are no words.
ADDRESSES = re.compile(r"[^\s@]+@[^\s@]+|https?://\S+|www\.\S+")
MAX_DOCS = 20000  # a bound on the text read per period; far above a shop's weekly cases

_lock = threading.Lock()
_tokenizer = None


def _jieba():
    """One tokenizer per process, built on first use: loading jieba's dictionary takes about a second."""
    global _tokenizer
    if _tokenizer is None:
        with _lock:
            if _tokenizer is None:
                import jieba  # imported here: a page that never segments text never pays for it

                jieba.setLogLevel(logging.WARNING)
                tk = jieba.Tokenizer()
                tk.initialize()
                for word in AFTER_SALES_WORDS:
                    tk.add_word(word, freq=200000)
                _tokenizer = tk
    return _tokenizer


def terms(text: str) -> set[str]:
    """The distinct problem words of one text: jieba for Chinese, plain words for English."""
    text = ADDRESSES.sub(" ", (text or "").lower())
    found: set[str] = set()
    if HAN.search(text):
        for word in _jieba().cut(text):
            word = word.strip()
            if len(word) >= 2 and HAN.search(word) and word not in ZH_STOP:
                found.add(word)
    for word in EN_WORD.findall(text):
        word = word.strip("'-")
        if len(word) >= 3 and word not in EN_STOP:
            found.add(word)
    return found


@dataclass
class Doc:
    case_id: int
    number: str
    product: str  # SKU, or the category when the case names no order line
    text: str
    words: frozenset[str] | None = None  # already segmented (kept on the case); else the text is


@dataclass
class Problem:
    product: str
    phrase: str
    count: int
    previous: int
    examples: list[tuple[int, str]] = field(default_factory=list)
    # Other words of the same cases ("压扁", "盒子" beside "包装破损"): one problem, not three rows.
    related: list[str] = field(default_factory=list)
    case_ids: frozenset[int] = frozenset()

    @property
    def change(self) -> int:
        return self.count - self.previous


def _document_terms(docs: list[Doc]) -> dict[tuple[str, str], list[Doc]]:
    """(product, phrase) → the cases whose words contain the phrase (each case counted once)."""
    found: dict[tuple[str, str], list[Doc]] = defaultdict(list)
    for doc in docs:
        for phrase in doc.words if doc.words is not None else terms(doc.text):
            found[(doc.product, phrase)].append(doc)
    return found


def top_problems(current: list[Doc], previous: list[Doc], limit: int = 10, min_count: int = 2) -> list[Problem]:
    """Recurring problems per product from the texts themselves (see rank_problems)."""
    now, before = _document_terms(current), _document_terms(previous)
    spread: Counter = Counter(phrase for (_product, phrase) in now)
    numbers = {d.case_id: d.number for d in current}
    candidates = {key: frozenset(d.case_id for d in docs) for key, docs in now.items() if len(docs) >= min_count}
    return rank_problems(
        candidates,
        spread,
        len({d.product for d in current} or {""}),
        {key: len(docs) for key, docs in before.items()},
        numbers.get,
        limit,
    )


def rank_problems(
    candidates: dict[tuple[str, str], frozenset[int]],
    spread: dict[str, int],
    products: int,
    previous: dict[tuple[str, str], int],
    number_of,
    limit: int = 10,
) -> list[Problem]:
    """Recurring problems per product, ranked by cases × how specific the phrase is to that product (TF-IDF).

    candidates: (product, phrase) → the cases whose words contain it (those recurring in min_count cases);
    spread: phrase → how many products' cases use it; products: how many products the period's cases name.
    A phrase every product's customers use ("坏了") weighs less than one that marks one product ("包装破损"
    on one yoghurt), and the after-sales phrases of the dictionary count double, so that the problem, not
    the product's own name, leads. A phrase found only in the cases of a problem already listed joins that
    problem as a related word.
    """
    products = products or 1
    ranked = []
    for (product, phrase), ids in candidates.items():
        weight = 2.0 if phrase in _DICTIONARY else 1.0
        idf = math.log(1 + products / spread[phrase])
        ranked.append((len(ids) * idf * weight, len(ids), len(phrase), product, phrase, ids))
    ranked.sort(key=lambda r: (-r[0], -r[1], -r[2], r[3], r[4]))
    problems: list[Problem] = []
    for _score, n, _len, product, phrase, ids in ranked:
        home = next((p for p in problems if p.product == product and ids <= p.case_ids), None)
        if home is not None:
            if len(home.related) < 4 and phrase not in home.phrase:
                home.related.append(phrase)
            continue
        if len(problems) >= limit:
            continue
        examples = [(cid, number_of(cid)) for cid in sorted(ids, reverse=True)[:3]]
        problems.append(Problem(product, phrase, n, previous.get((product, phrase), 0), examples, case_ids=ids))
    return problems


_DICTIONARY = frozenset(AFTER_SALES_WORDS)
