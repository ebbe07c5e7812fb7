"""Chinese and English street addresses in normalised text."""

from __future__ import annotations

import re

from saas.masking.normalise import CJK, Span

_CN_NUM = r"\s?[0-9〇零一二三四五六七八九十百千两]+\s?"
_CN_ADMIN = r"(?:[\u4e00-\u9fff]{2,3}(?:省|自治区|市|区|县|镇|乡|街道))"
_CN_ROAD = r"(?:路|街|大道|巷|胡同|弄|里)"
_CN_ESTATE = r"(?:小区|花园|家园|苑|大厦|广场|中心|公寓|大楼|塔|SOHO|新城|府|湾|庭|院|园|村|号院|号楼)"
_CN_MORE = r"(?:号楼|号院|号|栋|幢|座|单元|室|楼|层|户)"
# A street address written out in Chinese: a road followed at once by its house number ("建国路88号",
# "建国路八十八号"), or an estate or tower followed at once by a building or room ("幸福小区7幢",
# "望京SOHO塔3-1501"), with the administrative units and road name before it and any further
# building, unit and room numbers after it. "路由器3号口" or "中心3楼售后" are not addresses; without a
# number ("上海市浦东新区") it identifies no one and stays.
ADDRESS_RE = re.compile(
    rf"{_CN_ADMIN}*[{CJK}A-Za-z0-9]{{0,6}}?"
    rf"(?:{_CN_ROAD}{_CN_NUM}(?:-{_CN_NUM})?(?:号|弄|巷)|{_CN_ESTATE}\s?[A-Za-z]?{_CN_NUM}(?:栋|幢|座|单元|号楼|号|-{_CN_NUM}(?![0-9])))"
    rf"(?:[{CJK}A-Za-z0-9\-#\s]{{0,8}}?(?:{_CN_NUM}(?:{_CN_MORE}|-{_CN_NUM})|[A-Za-z]\s?(?:座|栋|幢|区)))*"
    rf"(?:\s?[0-9]+(?![0-9]))?",
    re.IGNORECASE,
)
_STREET = (
    r"(?i:Street|St|Road|Rd|Avenue|Ave|Lane|Ln|Drive|Dr|Boulevard|Blvd|Way|Court|Ct|Place|Pl|Highway|Hwy|"
    r"Alley|Hutong|Lu|Jie|Dajie|Xiang|Li|Nong|Hao|Close|Crescent|Terrace|Square|Sq)"
)
_EN_UNIT = r"(?:(?<![A-Za-z])(?i:Room|Rm|Flat|Apt|Apartment|Unit|Suite|Ste|Bldg|Blk|Building|Block|Tower|House|Floor|Fl)(?:\.\s*|\s+|\s*#\s*)[0-9]+[A-Za-z]?(?:-[0-9]+)?(?![A-Za-z0-9]))"
_EN_STREET = (
    rf"(?<![A-Za-z0-9])(?:(?i:No)\.?\s*)?[0-9]+[A-Za-z]?(?:-[0-9]+)?,?\s+(?:[A-Z][A-Za-z'\-]*\s+){{1,4}}{_STREET}(?![A-Za-z])\.?"
    rf"|(?<![A-Za-z])(?:[A-Z][A-Za-z'\-]*\s+){{1,4}}{_STREET}\.?,?\s*(?i:No)\.?\s*[0-9]+[A-Za-z]?(?![A-Za-z0-9])"
    rf"|(?<![A-Za-z])(?:[A-Z][A-Za-z'\-]*\s+){{1,4}}(?i:Lu|Jie|Dajie|Hutong|Xiang|Nong|Dao)\s+[0-9]+(?:\s*(?i:Hao))?(?![A-Za-z0-9])"
)
ADDRESS_EN_RE = re.compile(
    rf"(?:{_EN_UNIT}|{_EN_STREET})(?:,?\s*(?:{_EN_UNIT}|{_EN_STREET}|[A-Z][A-Za-z]+(?:\s+[A-Z][A-Za-z]+){{0,3}}"
    rf"(?:\s+[0-9]{{6}})?))*"
)
ADDRESS_MASK = "***"


# Words that lead into an address in a sentence ("寄到…", "地址：…", "我家住在…"): left readable.
_ADDRESS_LEAD = set("寄送发到在住于位地址是往至请的我家你他她们：:")


def address_spans(norm: str) -> list[Span]:
    spans = []
    for m in ADDRESS_RE.finditer(norm):
        start = m.start()
        while start < m.end() - 1 and norm[start] in _ADDRESS_LEAD:
            start += 1
        spans.append((start, m.end(), ADDRESS_MASK))
    return spans + [(m.start(), m.end(), ADDRESS_MASK) for m in ADDRESS_EN_RE.finditer(norm)]
