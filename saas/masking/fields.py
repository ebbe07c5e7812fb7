"""Masks for single fields (a name, a mobile, an e-mail, an ID number, a case number)."""

from __future__ import annotations

import re
import unicodedata

# Chinese mobile: 11 digits, 1[3-9]xxxxxxxxx. `\d` is Unicode-aware on purpose so that
# full-width digits typed with a Chinese IME (１３８…) are caught too.
MOBILE_RE = re.compile(r"1[3-9]\d{9}")
# Deliberately broad (no validation of the domain): over-masking is the safe failure.
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
# Anything shaped like an 18-character PRC resident ID, valid checksum or not.
ID_CARD_RE = re.compile(r"\d{17}[\dXx]")

_MASKED_MOBILE_RE = re.compile(r"\d{3}\*{4}\d{4}")
ASCII_MOBILE_RE = re.compile(r"1[3-9][0-9]{9}")


def ascii_digits(text: str) -> str:
    """Digits of text as ASCII (full-width and other Unicode decimals included)."""
    return "".join(str(unicodedata.decimal(ch)) for ch in text if ch.isdecimal())


def national(digits: str) -> str:
    """Digits without a +86 / 0086 / 86 country code in front of an 11-digit mobile."""
    for prefix in ("0086", "86"):
        if len(digits) == 11 + len(prefix) and digits.startswith(prefix):
            return digits[len(prefix) :]
    return digits


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
    digits = national(ascii_digits(text))
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
    digits = national(ascii_digits(mobile or ""))
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
