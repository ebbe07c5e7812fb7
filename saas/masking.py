"""The one masking family for personal data shown outside the tenant's own staff (supervisors, exports)."""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from datetime import date
from functools import lru_cache

import phonenumbers
from pypinyin import Style, pinyin

# Chinese mobile: 11 digits, 1[3-9]xxxxxxxxx. `\d` is Unicode-aware on purpose so that
# full-width digits typed with a Chinese IME (１３８…) are caught too.
MOBILE_RE = re.compile(r"1[3-9]\d{9}")
# Deliberately broad (no validation of the domain): over-masking is the safe failure.
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
# Anything shaped like an 18-character PRC resident ID, valid checksum or not.
ID_CARD_RE = re.compile(r"\d{17}[\dXx]")

_MASKED_MOBILE_RE = re.compile(r"\d{3}\*{4}\d{4}")
_ASCII_MOBILE_RE = re.compile(r"1[3-9][0-9]{9}")


def _ascii_digits(text: str) -> str:
    """Digits of text as ASCII (full-width and other Unicode decimals included)."""
    return "".join(str(unicodedata.decimal(ch)) for ch in text if ch.isdecimal())


def _national(digits: str) -> str:
    """Digits without a +86 / 0086 / 86 country code in front of an 11-digit mobile."""
    for prefix in ("0086", "86"):
        if len(digits) == 11 + len(prefix) and digits.startswith(prefix):
            return digits[len(prefix):]
    return digits


# ---------------------------------------------------------------- single fields

def mask_name(name: str) -> str:
    """Keep the first character, star every other non-space one: 张三→张*, 欧阳娜娜→欧***.

    Latin names follow the same rule ("John Smith"→"J*** *****") rather than keeping
    each word's initial, which would hand out initials of both names. A one-character
    name is fully starred, since keeping it would reveal it.
    """
    name = " ".join((name or "").split())
    if not name:
        return ""
    if len(name) == 1:
        return "*"
    return name[0] + "".join(ch if ch == " " else "*" for ch in name[1:])


def mask_mobile(mobile: str) -> str:
    """138****1234 for a Chinese mobile (any +86/0086, space or dash form): the consumer's own pages.

    Other numbers (landlines, foreign) keep only their last two digits. Never for
    supervisors: the last four digits are half of the consumer's tracking credential
    (see mask_mobile_head).
    """
    text = (mobile or "").strip()
    if not text or _MASKED_MOBILE_RE.fullmatch(text):
        return text
    digits = _national(_ascii_digits(text))
    if len(digits) == 11 and MOBILE_RE.fullmatch(digits):
        return f"{digits[:3]}****{digits[-4:]}"
    total = sum(ch.isdecimal() for ch in text)
    seen, out = 0, []
    for ch in text:
        if ch.isdecimal():
            seen += 1
            out.append(ch if seen > total - 2 else "*")
        else:
            out.append(ch)
    return "".join(out)


def mask_mobile_head(mobile: str) -> str:
    """138******** : only the first three digits (the carrier's prefix) of any phone number.

    What supervisors see. The last four digits of the mobile together with the case
    number open the consumer's tracking page, so no tail digit is ever shown.
    """
    digits = _national(_ascii_digits(mobile or ""))
    if not digits:
        return ""
    keep = 3 if len(digits) >= 7 else 0
    return digits[:keep] + "*" * (len(digits) - keep)


def mask_email(email: str) -> str:
    """alice@example.com → a***@example.com; the star count never reveals the length."""
    text = (email or "").strip()
    if not text:
        return ""
    local, at, domain = text.rpartition("@")
    if not at:
        local, domain = text, ""
    if re.fullmatch(r".?\*{3}", local):  # already masked
        masked = local
    else:
        masked = local[0] + "***" if len(local) > 1 else "***"
    return masked + at + domain


def mask_id_card(id_number: str) -> str:
    """Keep the first 3 characters (coarse region) and the last one (check character).

    The 17th character is not shown: its parity encodes the holder's sex, and
    characters 7-14 are the birth date. 110105199001011234 → 110**************4.
    """
    text = (id_number or "").strip()
    if len(text) < 10:
        return "*" * len(text)
    return text[:3] + "*" * (len(text) - 4) + text[-1]


def mask_address(address: str | None = None) -> str:
    """Addresses are never shown outside the tenant: always the empty string.

    Empty rather than a word such as 已隐藏 so that each template and export can say
    "hidden" in its own language.
    """
    return ""


def mask_case_number(number: str) -> str:
    """AS250115-7K3M-9QXA-2BT → AS250115-7K3M-****-***: enough for the merchant to find the case,
    never enough to open the consumer's tracking page (the hidden part is 35 random bits and the check)."""
    text = (number or "").strip()
    alnum = sum(ch.isalnum() for ch in text)
    hidden = 7 if alnum > 10 else max(1, alnum // 2)
    seen, out = 0, []
    for ch in text:
        if ch.isalnum():
            seen += 1
            out.append(ch if seen <= alnum - hidden else "*")
        else:
            out.append(ch)
    return "".join(out)


# ---------------------------------------------------------------- normalisation with an offset map

_CN_DIGITS = str.maketrans("〇零○一壹幺二贰三叁四肆五伍六陆七柒八捌九玖", "000111223344556677889" "9")
_CN_NUMERAL = "〇零○一壹幺二贰三叁四肆五伍六陆七柒八捌九玖"
# Anything a person puts between groups of digits: spaces, dashes of every width, dots, slashes,
# underscores, brackets. After NFKC full-width forms are already ASCII.
_SEP = r"[\s\-‐‑‒–—―−_/.·•()\[\]~]"
# Four or more Chinese digits in a row (separators allowed) are a number read out, not a word:
# "七天无理由" or "一二" stay as they are.
_CN_RUN_RE = re.compile(rf"[{_CN_NUMERAL}](?:{_SEP}{{0,3}}[{_CN_NUMERAL}]){{3,}}")


@lru_cache(maxsize=4096)
def _fold_char(ch: str) -> str:
    """One character as detection sees it ("" for a format character such as a zero-width space)."""
    if unicodedata.category(ch) == "Cf":
        return ""
    if ch.isdecimal():
        return str(unicodedata.decimal(ch))
    folded = unicodedata.normalize("NFKC", ch)
    folded = "".join(c for c in unicodedata.normalize("NFD", folded) if not unicodedata.combining(c))
    return "".join(str(unicodedata.decimal(c)) if c.isdecimal() else c for c in unicodedata.normalize("NFC", folded))


def _normalise(text: str) -> tuple[str, list[int]]:
    """(normalised text, index into text of each normalised character).

    NFKC per character, format characters (zero-width spaces, joiners, bidi marks, soft hyphens)
    dropped, diacritics stripped (tone marks of pinyin), any decimal digit made ASCII and runs of
    Chinese digits made ASCII digits. Detection runs on this; masking replaces the original span.
    """
    out: list[str] = []
    origin: list[int] = []
    for i, ch in enumerate(text):
        folded = ch if ch.isascii() and not ch.isdigit() and ch.isprintable() else _fold_char(ch)
        out.append(folded)
        origin.extend([i] * len(folded))
    norm = "".join(out)
    norm = _CN_RUN_RE.sub(lambda m: m.group(0).translate(_CN_DIGITS), norm)  # one for one: offsets hold
    return norm, origin


# ---------------------------------------------------------------- numbers: phones and ID numbers

_GROUP_RE = re.compile(r"[0-9]+(?:[Xx](?![A-Za-z]))?")
_GAP_RE = re.compile(rf"{_SEP}{{1,4}}")
# A comma joins groups of three or more digits only ("139，1234，5678"), never "¥6,153.50，2026-10-31".
_COMMA_GAP_RE = re.compile(rf"(?:{_SEP}|[,、]){{1,4}}")
_ID_REGIONS = {11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46,
               50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83}
# Words after which a number is an order, parcel or product number, not somebody's landline.
_ORDER_CONTEXT_RE = re.compile(
    r"(?:订单|单号|运单|快递|物流|包裹|编号|型号|货号|批号|序列号|串号|发票|SKU|IMEI|S/?N|order|tracking|waybill|"
    r"parcel|invoice|model|serial|item|ref)[^0-9]{0,8}$", re.IGNORECASE)
_PHONE_CONTEXT_RE = re.compile(r"(?:电话|座机|手机|致电|来电|联系|打|tel|phone|call|fax|传真)[^0-9]{0,6}$", re.IGNORECASE)
_PHONE_TYPES = {phonenumbers.PhoneNumberType.FIXED_LINE, phonenumbers.PhoneNumberType.MOBILE,
                phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE}


def _valid_birth(year: int, month: int, day: int) -> bool:
    try:
        return 1900 <= date(year, month, day).year <= 2030
    except ValueError:
        return False


def _is_id_number(digits: str) -> bool:
    """18 characters (the last may be X) or the old 15-digit form, with a real region and birth date."""
    if len(digits) == 18 and digits[:17].isdigit() and (digits[17].isdigit() or digits[17] in "Xx"):
        return int(digits[:2]) in _ID_REGIONS and _valid_birth(int(digits[6:10]), int(digits[10:12]), int(digits[12:14]))
    if len(digits) == 15 and digits.isdigit():
        return int(digits[:2]) in _ID_REGIONS and _valid_birth(1900 + int(digits[6:8]), int(digits[8:10]), int(digits[10:12]))
    return False


def _is_landline(digits: str) -> bool:
    """A Chinese number written with its trunk 0 or country code that phonenumbers says is valid."""
    if digits.startswith("0086"):
        digits = "0" + digits[4:]
    elif digits.startswith("86") and len(digits) >= 11:
        digits = "0" + digits[2:]
    if not digits.startswith("0") or not 10 <= len(digits) <= 12:
        return False
    try:
        number = phonenumbers.parse(digits, "CN")
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.is_valid_number(number) and phonenumbers.number_type(number) in _PHONE_TYPES


def _classify(digits: str, glued: bool, order_context: bool, phone_context: bool) -> str | None:
    if len(digits) == 18 and _is_id_number(digits):
        return "id"
    if "X" in digits.upper():
        return None
    if _ASCII_MOBILE_RE.fullmatch(_national(digits)):
        return "mobile"
    if glued or order_context:
        return None
    if len(digits) == 15 and _is_id_number(digits):
        return "id"
    if _is_landline(digits):
        return "phone"
    if phone_context and 7 <= len(digits) <= 8 and digits[0] not in "01":
        return "phone"
    return None


def _number_mask(kind: str, digits: str) -> str:
    if kind == "id":
        return mask_id_card(digits)
    return mask_mobile_head(digits)


def _chains(norm: str) -> list[list[re.Match[str]]]:
    """Digit groups joined by separators: "139 1234 5678", "1-3-9…", "110105 19900101 123X"."""
    chains: list[list[re.Match[str]]] = []
    for m in _GROUP_RE.finditer(norm):
        prev = chains[-1][-1] if chains else None
        if prev and (_GAP_RE.fullmatch(norm, prev.end(), m.start()) or (
                len(prev.group(0)) >= 3 and len(m.group(0)) >= 3 and _COMMA_GAP_RE.fullmatch(norm, prev.end(), m.start()))):
            chains[-1].append(m)
        else:
            chains.append([m])
    return chains


def _number_spans(norm: str, protected: list[tuple[int, int]]) -> list[tuple[int, int, str]]:
    spans = []
    for chain in _chains(norm):
        # "订单 261108-916589590117384": the words before a chain speak for all of its groups.
        chain_is_order = bool(_ORDER_CONTEXT_RE.search(norm[max(0, chain[0].start() - 24):chain[0].start()]))
        i = 0
        while i < len(chain):
            start = chain[i].start()
            glued = start > 0 and norm[start - 1].isascii() and norm[start - 1].isalpha()
            before = norm[max(0, start - 24):start]
            order_ctx = chain_is_order or bool(_ORDER_CONTEXT_RE.search(before))
            phone_ctx = bool(_PHONE_CONTEXT_RE.search(before))
            best = None
            digits = ""
            for j in range(i, len(chain)):
                digits += chain[j].group(0)
                if len(digits) > 18:
                    break
                kind = _classify(digits, glued, order_ctx, phone_ctx)
                if kind and not _overlaps(start, chain[j].end(), protected):
                    best = (j, kind, digits)
            if best is None:
                i += 1
                continue
            j, kind, digits = best
            lead = 1 if start > 0 and norm[start - 1] == "+" else 0  # +86
            spans.append((start - lead, chain[j].end(), _number_mask(kind, digits)))
            i = j + 1
    # phonenumbers' own matcher for what the groups above do not see, e.g. "+86 (10) 6552-9988".
    if sum(ch.isdigit() for ch in norm) < 7:
        return spans
    rest = list(norm)
    for start, end, _ in spans:  # what is found already is not looked at again
        rest[start:end] = "x" * (end - start)
    # max_tries bounds the work on a long hostile text; real text has a handful of candidates.
    for match in phonenumbers.PhoneNumberMatcher("".join(rest), "CN", leniency=phonenumbers.Leniency.VALID, max_tries=200):
        if phonenumbers.number_type(match.number) not in _PHONE_TYPES or _overlaps(match.start, match.end, protected):
            continue
        before = norm[max(0, match.start - 24):match.start]
        glued = match.start > 0 and norm[match.start - 1].isascii() and norm[match.start - 1].isalpha()
        if glued or _ORDER_CONTEXT_RE.search(before):
            continue
        start = match.start
        while start < match.end and not norm[start].isdigit() and norm[start] != "+":
            start += 1  # "（158…）": the bracket the matcher took along belongs to the sentence
        spans.append((start, match.end, mask_mobile_head(str(match.number.national_number))))
    return spans


# "尾号5678", "last 4 digits 5678": half of the tracking credential on its own.
_TAIL_RE = re.compile(r"(?:尾号|尾数|末四位|后四位|末4位|后4位|last\s*(?:4|four)(?:\s*digits)?|ending\s*(?:in|with)?)"
                      r"[^0-9]{0,4}?([0-9]{4})(?![0-9])", re.IGNORECASE)


# "139****5678" as marketplaces print it: the tail is still there.
_STARRED_TAIL_RE = re.compile(r"(?:\*{3,}|(?<=[0-9])[Xx]{3,})\s?([0-9]{4})(?![0-9])")


# A WeChat or QQ account written after its name: it reaches the person as surely as a phone does.
_ACCOUNT_RE = re.compile(r"(?<![A-Za-z])(?:微信号?|wechat(?:\s*id)?|weixin|vx|v信|wx|qq号?|扣扣)\s*(?:号|是|:|=)?\s*([A-Za-z0-9][A-Za-z0-9_\-]{4,19})(?![A-Za-z0-9_\-])",
                         re.IGNORECASE)


def _tail_spans(norm: str) -> list[tuple[int, int, str]]:
    spans = [(m.start(1), m.end(1), "****") for r in (_TAIL_RE, _STARRED_TAIL_RE) for m in r.finditer(norm)]
    return spans + [(m.start(1), m.end(1), m.group(1)[0] + "***") for m in _ACCOUNT_RE.finditer(norm)]


def _overlaps(start: int, end: int, ranges: list[tuple[int, int]]) -> bool:
    return any(start < e and s < end for s, e in ranges)


# ---------------------------------------------------------------- e-mail addresses

_AT = r"(?:\s*@\s*|\s*艾特\s*)"
# "at" as a word ("zhangsan at qq dot com") only before a real top-level domain: "meet at home dot" is not mail.
_AT_WORD = r"(?:\s+at\s+|\s*[(\[{<]\s*at\s*[)\]}>]\s*|\s*#\s*)"  # "abc#qq.com (# 换成 @)"
_DOT = r"(?:\.|\s+\.\s+|\s+dot\s+|\s*[(\[{<]\s*dot\s*[)\]}>]\s*|\s*点\s*)"
_LABEL = r"(?:[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?|[^\W_](?:[\w\-]*[^\W_])?)"
_DOMAIN = rf"{_LABEL}(?:{_DOT}{_LABEL})*{_DOT}(?:[A-Za-z]{{2,}}|[^\W\d_]{{2,}})"
_TLD = r"(?:com|cn|net|org|edu|gov|info|io|me|co|cc|top|xyz|biz|hk|tw|mo|jp|kr|uk|de|fr|us|ca|au|sg)(?![A-Za-z])"
# A local part starts where a run of its characters starts: trying every position inside a long run
# would make a long hostile text cost quadratic time.
_LOCAL = r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9._%+\-]+"
_EMAIL_RES = (
    re.compile(rf"{_LOCAL}@[A-Za-z0-9.-]+\.[A-Za-z]{{2,}}"),  # EMAIL_RE: the plain form, however odd ("a@..cn")
    re.compile(rf"{_LOCAL}{_AT}{_DOMAIN}", re.IGNORECASE),
    re.compile(rf"{_LOCAL}{_AT_WORD}(?:{_LABEL}{_DOT})+{_TLD}", re.IGNORECASE),
    re.compile(rf"[^\W_]{{1,6}}{_AT}{_DOMAIN}", re.IGNORECASE),  # internationalised: 张三@例子.中国
)
_AT_SPLIT_RE = re.compile(f"{_AT}|{_AT_WORD}", re.IGNORECASE)
_DOT_SPLIT_RE = re.compile(_DOT, re.IGNORECASE)


def _email_spans(norm: str) -> list[tuple[int, int, str]]:
    spans: list[tuple[int, int, str]] = []
    taken = bytearray(len(norm) + 1)
    for pattern in _EMAIL_RES:
        for m in pattern.finditer(norm):
            if any(taken[m.start():m.end()]):
                continue
            taken[m.start():m.end()] = b"\x01" * (m.end() - m.start())
            local, domain = _AT_SPLIT_RE.split(m.group(0), maxsplit=1)
            spans.append((m.start(), m.end(), mask_email(f"{local}@{_DOT_SPLIT_RE.sub('.', domain)}")))
    return spans


# ---------------------------------------------------------------- street addresses

_CJK = "\u4e00-\u9fff"
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
    rf"{_CN_ADMIN}*[{_CJK}A-Za-z0-9]{{0,6}}?"
    rf"(?:{_CN_ROAD}{_CN_NUM}(?:-{_CN_NUM})?(?:号|弄|巷)|{_CN_ESTATE}\s?[A-Za-z]?{_CN_NUM}(?:栋|幢|座|单元|号楼|号|-{_CN_NUM}(?![0-9])))"
    rf"(?:[{_CJK}A-Za-z0-9\-#\s]{{0,8}}?(?:{_CN_NUM}(?:{_CN_MORE}|-{_CN_NUM})|[A-Za-z]\s?(?:座|栋|幢|区)))*"
    rf"(?:\s?[0-9]+(?![0-9]))?",
    re.IGNORECASE,
)
_STREET = (r"(?i:Street|St|Road|Rd|Avenue|Ave|Lane|Ln|Drive|Dr|Boulevard|Blvd|Way|Court|Ct|Place|Pl|Highway|Hwy|"
           r"Alley|Hutong|Lu|Jie|Dajie|Xiang|Li|Nong|Hao|Close|Crescent|Terrace|Square|Sq)")
_EN_UNIT = r"(?:(?<![A-Za-z])(?i:Room|Rm|Flat|Apt|Apartment|Unit|Suite|Ste|Bldg|Blk|Building|Block|Tower|House|Floor|Fl)(?:\.\s*|\s+|\s*#\s*)[0-9]+[A-Za-z]?(?:-[0-9]+)?(?![A-Za-z0-9]))"
_EN_STREET = (rf"(?<![A-Za-z0-9])(?:(?i:No)\.?\s*)?[0-9]+[A-Za-z]?(?:-[0-9]+)?,?\s+(?:[A-Z][A-Za-z'\-]*\s+){{1,4}}{_STREET}(?![A-Za-z])\.?"
              rf"|(?<![A-Za-z])(?:[A-Z][A-Za-z'\-]*\s+){{1,4}}{_STREET}\.?,?\s*(?i:No)\.?\s*[0-9]+[A-Za-z]?(?![A-Za-z0-9])"
              rf"|(?<![A-Za-z])(?:[A-Z][A-Za-z'\-]*\s+){{1,4}}(?i:Lu|Jie|Dajie|Hutong|Xiang|Nong|Dao)\s+[0-9]+(?:\s*(?i:Hao))?(?![A-Za-z0-9])")
ADDRESS_EN_RE = re.compile(
    rf"(?:{_EN_UNIT}|{_EN_STREET})(?:,?\s*(?:{_EN_UNIT}|{_EN_STREET}|[A-Z][A-Za-z]+(?:\s+[A-Z][A-Za-z]+){{0,3}}"
    rf"(?:\s+[0-9]{{6}})?))*"
)
ADDRESS_MASK = "***"


# Words that lead into an address in a sentence ("寄到…", "地址：…", "我家住在…"): left readable.
_ADDRESS_LEAD = set("寄送发到在住于位地址是往至请的我家你他她们：:")


def _address_spans(norm: str) -> list[tuple[int, int, str]]:
    spans = []
    for m in ADDRESS_RE.finditer(norm):
        start = m.start()
        while start < m.end() - 1 and norm[start] in _ADDRESS_LEAD:
            start += 1
        spans.append((start, m.end(), ADDRESS_MASK))
    return spans + [(m.start(), m.end(), ADDRESS_MASK) for m in ADDRESS_EN_RE.finditer(norm)]


# ---------------------------------------------------------------- names, in Hanzi and pinyin

_PY_SEP = r"[\s\-'·.]*"


def _syllable(readings: list[str]) -> str:
    forms = set()
    for r in readings:
        forms.add(r)
        if "v" in r:
            forms.update({r.replace("v", "u"), r.replace("v", "yu")})
    return "(?:" + "|".join(sorted(forms, key=len, reverse=True)) + ")[1-5]?"


def _pinyin_forms(name: str) -> list[tuple[str, bool]]:
    """Regex forms of a 2-4 character Chinese name in pinyin, each with whether it is a whole name."""
    readings = pinyin(name, style=Style.NORMAL, heteronym=True, errors="ignore")
    if len(readings) != len(name):
        return []
    sylls = [_syllable(r) for r in readings]
    split = 2 if len(name) == 4 else 1
    surname = _PY_SEP.join(sylls[:split])
    given = _PY_SEP.join(sylls[split:])
    initials = r"\.?\s*".join(
        "(?:" + "|".join(sorted({r[0] for r in readings[k]})) + ")" for k in range(split, len(name))) + r"\.?"
    forms = [
        (rf"{surname}{_PY_SEP}{given}", True),               # Zhang Wei, zhangwei, ZHANG Wei, Zhāng Wěi
        (rf"{given}{_PY_SEP}{surname}", True),               # Wei Zhang, Weiming Zhang
        (rf"{initials}\s*{surname}", True),                   # W. Zhang, W.M. Zhang
        (rf"{surname},?\s*{initials}", True),                 # Zhang W., Zhang WM
    ]
    if len(name) - split >= 2:
        forms.append((given, False))                         # Xiaoming, Xiao Ming
    return forms


@lru_cache(maxsize=256)  # a case's view masks a dozen texts with the same names
def _name_forms(names: tuple[str, ...]) -> list[tuple[re.Pattern[str], bool]]:
    """The written forms of the people's names, each with whether it is a whole name: each whole name
    (Hanzi and pinyin), the given name of a Chinese name of three or more characters (张三丰 → 三丰; a
    one-character given name would hit ordinary words), each word of three or more letters of a Latin name."""
    forms: dict[str, bool] = {}
    for raw in names:
        name = " ".join(unicodedata.normalize("NFKC", raw or "").split())
        if len(name) < 2:
            continue
        if re.fullmatch(rf"[{_CJK}]+", name):
            forms[r"\s*".join(map(re.escape, name))] = True
            if len(name) >= 3:
                given = name[1:] if len(name) == 3 else name[2:]  # 欧阳娜娜: two-character surname
                forms.setdefault(r"\s*".join(map(re.escape, given)), False)
            if len(name) <= 4:
                for form, whole in _pinyin_forms(name):
                    forms.setdefault(rf"(?<![A-Za-z]){form}(?![A-Za-z])", whole)
        else:
            forms[rf"(?<![A-Za-z]){re.escape(name)}(?![A-Za-z])"] = True
            for word in re.split(r"[\s.·-]+", name):
                if len(word) >= 3:
                    forms.setdefault(rf"(?<![A-Za-z]){re.escape(word)}(?![A-Za-z])", False)
    made = [(re.compile(form, re.IGNORECASE), whole) for form, whole in forms.items()]
    return sorted(made, key=lambda p: (not p[1], -len(p[0].pattern)))


def _name_spans(norm: str, names: tuple[str, ...]) -> list[tuple[int, int, str]]:
    spans: list[tuple[int, int, str]] = []
    taken = bytearray(len(norm) + 1)
    for pattern, whole in _name_forms(names):
        for m in pattern.finditer(norm):
            if m.group(0).strip() and not any(taken[m.start():m.end()]):
                taken[m.start():m.end()] = b"\x01" * (m.end() - m.start())
                text = " ".join(m.group(0).split())
                spans.append((m.start(), m.end(), mask_name(text) if whole else _star(text)))
    return spans


def _star(text: str) -> str:
    return "".join(ch if ch == " " else "*" for ch in text)


# ---------------------------------------------------------------- links

# A link may carry a signed tracking or survey token that opens the consumer's case: only the site stays.
_URL_RE = re.compile(r"(?:https?://|www\.)[^\s/?#<>\"'，。）)]+([^\s<>\"'，。）)]*)", re.IGNORECASE)


def _url_spans(norm: str) -> list[tuple[int, int, str]]:
    return [(m.start(1), m.end(), "/***") for m in _URL_RE.finditer(norm) if len(m.group(1)) > 1]


# ---------------------------------------------------------------- free text

def _flexible(identifier: str) -> re.Pattern[str] | None:
    """An identifier written with any separators or none between its characters, in any case."""
    chars = [c for c in unicodedata.normalize("NFKC", identifier or "") if c.isalnum()]
    if len(chars) < 4:
        return None
    return re.compile(rf"(?<![A-Za-z0-9]){f'{_SEP}*'.join(map(re.escape, chars))}(?![A-Za-z0-9])", re.IGNORECASE)


def _mask_once(text: str, names: tuple[str, ...], keep: tuple[str, ...], case_numbers: tuple[str, ...]) -> str:
    norm, origin = _normalise(text)
    spans: list[tuple[int, int, str]] = []
    for number in case_numbers:
        pattern = _flexible(number)
        if pattern:
            spans += [(m.start(), m.end(), mask_case_number(number)) for m in pattern.finditer(norm)]
    protected = [(s, e) for s, e, _ in spans]
    for known in keep:  # the shop's own order and parcel numbers on the case stay readable
        pattern = _flexible(known)
        if pattern:
            protected += [m.span() for m in pattern.finditer(norm)]
    spans += _url_spans(norm)
    spans += _name_spans(norm, names)
    spans += _email_spans(norm)
    spans += [s for s in _address_spans(norm) if not _overlaps(s[0], s[1], protected)]
    spans += _number_spans(norm, protected)
    spans += _tail_spans(norm)
    if not spans:
        return text
    # Back onto the original text: each span covers the original characters it came from.
    mapped = sorted(((origin[s], origin[e - 1] + 1, r) for s, e, r in spans if e > s), key=lambda x: (x[0], -x[1]))
    out, pos = [], 0
    merged: list[list] = []
    for s, e, r in mapped:
        if merged and s < merged[-1][1]:
            last = merged[-1]
            if e - s > last[1] - last[0]:
                last[2] = r
            last[1] = max(last[1], e)
        else:
            merged.append([s, e, r])
    for s, e, r in merged:
        out.append(text[pos:s])
        out.append(r)
        pos = e
    out.append(text[pos:])
    return "".join(out)


def mask_text(text: str, names: Iterable[str] = (), keep: Iterable[str] = (), case_numbers: Iterable[str] = ()) -> str:
    """Mask personal data in free text, leaving the rest of each sentence as written (idempotent).

    Detection runs on a normalised copy (NFKC, zero-width characters dropped, Chinese digits as
    digits, any separators between digit groups); each find replaces the original characters it
    came from. Found: mobiles and landlines (138********, never the last four digits), 15- and
    18-digit ID numbers, e-mail addresses (IDN, full-width, "at … dot …"), Chinese and English
    street addresses (***), and the names of `names` in Hanzi and pinyin (张三丰 → 张**).

    `keep`: the case's own order and parcel numbers, left readable even when shaped like a phone.
    `case_numbers`: the case's number, shown only in part (mask_case_number) wherever it is written.
    Order and parcel numbers differ from phones by their letters (JD…, SF…), their length (Taobao's
    16-19 digits) and the words before them (订单号, 运单号, order no.), which turn off the landline rule.
    """
    text = text or ""
    args = (tuple(names), tuple(k for k in keep if k), tuple(n for n in case_numbers if n))
    for _ in range(4):
        masked = _mask_once(text, *args)
        if masked == text:
            return masked
        text = masked
    return text


def contains_personal_data(text: str) -> bool:
    """True when mask_text would change text."""
    return mask_text(text) != (text or "")
