"""The one masking family for personal data shown outside the tenant's own staff (supervisors, exports)."""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

# Chinese mobile: 11 digits, 1[3-9]xxxxxxxxx. `\d` is Unicode-aware on purpose so that
# full-width digits typed with a Chinese IME (１３８…) are caught too.
MOBILE_RE = re.compile(r"1[3-9]\d{9}")
# Deliberately broad (no validation of the domain): over-masking is the safe failure.
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
# Anything shaped like an 18-character PRC resident ID, valid checksum or not.
ID_CARD_RE = re.compile(r"\d{17}[\dXx]")

_SEP = r"[\s.\-‐‑–—]"
# A mobile written in groups (138 1234 5678, 138-1234-5678), optionally with +86/0086/86.
# The digit look-arounds keep it from biting into longer numbers.
_GROUPED_MOBILE_RE = re.compile(
    rf"(?<!\d)(?:(?:\+|00)?86{_SEP}?)?(\d{{3}}){_SEP}?(\d{{4}}){_SEP}?(\d{{4}})(?!\d)"
)
# Maximal digit runs; a run of 17+ digits takes a trailing X/x with it (ID check char).
_DIGIT_RUN_RE = re.compile(r"\d{17,}[Xx]?|\d+")
_MASKED_MOBILE_RE = re.compile(r"\d{3}\*{4}\d{4}")


def _ascii_digits(text: str) -> str:
    """Digits of text as ASCII (full-width and other Unicode decimals included)."""
    return "".join(str(unicodedata.decimal(ch)) for ch in text if ch.isdecimal())


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
    """138****1234 for a Chinese mobile (any +86/0086, space or dash form).

    Other numbers (landlines, foreign) keep only their last two digits.
    """
    text = (mobile or "").strip()
    if not text or _MASKED_MOBILE_RE.fullmatch(text):
        return text
    digits = _ascii_digits(text)
    for prefix in ("0086", "86"):
        if len(digits) == 11 + len(prefix) and digits.startswith(prefix):
            digits = digits[len(prefix):]
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


def _mask_grouped_mobile(m: re.Match[str]) -> str:
    core = _ascii_digits(m.group(1) + m.group(2) + m.group(3))
    return f"{core[:3]}****{core[-4:]}" if MOBILE_RE.fullmatch(core) else m.group(0)


def _mask_run(m: re.Match[str]) -> str:
    run = m.group(0)
    n = len(run)
    if n < 11:
        return run
    if n == 18 and ID_CARD_RE.fullmatch(run):
        return mask_id_card(run)
    digits = _ascii_digits(run)
    if n == 11 and MOBILE_RE.fullmatch(digits):
        return mask_mobile(run)
    if n >= 18 or MOBILE_RE.search(digits):
        # Long numbers (order numbers, bank cards, a mobile with a country code glued on):
        # at most 3 + 4 digits stay, so no mobile or ID-shaped run can survive.
        return run[:3] + "*" * (n - 7) + run[-4:]
    return run


def _mask_pass(text: str) -> str:
    # Emails first: "13812345678@qq.com" is an email whose local part is a mobile.
    text = EMAIL_RE.sub(lambda m: mask_email(m.group(0)), text)
    text = _GROUPED_MOBILE_RE.sub(_mask_grouped_mobile, text)
    return _DIGIT_RUN_RE.sub(_mask_run, text)


_CJK = "\u4e00-\u9fff"
# A street address written out in Chinese: an administrative unit or a road/estate word, then within a
# few characters a house, building or room number ("北京市朝阳区建国路88号3栋502室", "幸福小区7幢2单元301").
# Without a number ("上海市浦东新区") it identifies no one and stays. The span goes whole.
ADDRESS_RE = re.compile(
    rf"[{_CJK}A-Za-z0-9]{{0,12}}(?:省|自治区|市|区|县|镇|乡|街道|村|路|街|大道|巷|胡同|弄|小区|花园|大厦|公寓)"
    rf"[{_CJK}A-Za-z0-9\-－#＃()（）]{{0,30}}?\d+\s*(?:号楼|号院|号|栋|幢|单元|室|楼|层)"
    rf"(?:[{_CJK}A-Za-z0-9\-－#＃]{{0,6}}?\d+\s*(?:号|栋|幢|单元|室|楼|层))*\d*"
)
ADDRESS_MASK = "***"


@lru_cache(maxsize=256)  # a case's view masks a dozen texts with the same names
def _name_forms(names: tuple[str, ...]) -> list[tuple[re.Pattern[str], bool]]:
    """The written forms of the people's names, each with whether it is a whole name: each whole name,
    the given name of a Chinese name of three or more characters (张三丰 → 三丰; a one-character given
    name would hit ordinary words), each word of three or more letters of a Latin name. Longest first,
    so a name goes before its parts."""
    forms: dict[str, bool] = {}
    for raw in names:
        name = " ".join((raw or "").split())
        if len(name) < 2:
            continue
        forms[name] = True
        if re.fullmatch(rf"[{_CJK}]+", name):
            if len(name) >= 3:
                forms.setdefault(name[1:] if len(name) == 3 else name[2:], False)  # 欧阳娜娜: two-character surname
        else:
            for word in re.split(r"[\s.·-]+", name):
                if len(word) >= 3:
                    forms.setdefault(word, False)
    made = []
    for form in sorted(forms, key=len, reverse=True):
        if re.fullmatch(rf"[{_CJK}]+", form):
            pattern = re.compile(re.escape(form))
        else:
            pattern = re.compile(rf"(?<![A-Za-z]){re.escape(form)}(?![A-Za-z])", re.IGNORECASE)
        made.append((pattern, forms[form]))
    return made


def _star(text: str) -> str:
    return "".join(ch if ch == " " else "*" for ch in text)


def mask_text(text: str, names: Iterable[str] = ()) -> str:
    """Mask every mobile, email and ID-shaped number in free text (idempotent).

    `names`: the people the text is about (a case's customer): their names are starred wherever they
    are written (mask_name: 张三丰 → 张**), and so is a written-out street address (→ ***).

    Chinese text has no spaces around numbers ("我的电话13812345678谢谢"), so matching
    works on digit runs, not words. Any digit run of 18+ characters is masked even if
    it is an order number: over-masking is the safe side, and the order number is
    shown in its own field. Passes repeat until nothing changes, because masking one
    address can expose another ("a@b.cn@c.com"); each pass only adds stars or drops
    separators, so this ends within a few rounds.
    """
    text = text or ""
    for pattern, whole in _name_forms(tuple(names)):  # a whole name as in the name field (张**), a part all stars
        text = pattern.sub(lambda m: mask_name(m.group(0)) if whole else _star(m.group(0)), text)
    text = ADDRESS_RE.sub(ADDRESS_MASK, text)
    for _ in range(16):
        masked = _mask_pass(text)
        if masked == text:
            return masked
        text = masked
    return text


def contains_personal_data(text: str) -> bool:
    """True when mask_text would change text."""
    return mask_text(text) != (text or "")
