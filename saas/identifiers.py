"""Case numbers, URL tokens, and normalisation of the contacts consumers identify themselves with."""
from __future__ import annotations

import hmac
import re
import secrets
import unicodedata
from datetime import date

# Crockford base32: no I, L, O, U, so nothing is confused when read out over the phone.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}
# What people type for the letters that are not in the alphabet.
_ALIASES = str.maketrans({"O": "0", "I": "1", "L": "1"})
PREFIX = "AS"
# 10 random characters = 50 bits per day. 40 bits (8 characters) would give a 0.5 %
# chance of one collision among 100k numbers on a single day; the database's unique
# constraint (with a retry) stays the final guard either way.
RANDOM_CHARS = 10
_SEPARATORS = re.compile(r"[\s\-‐‑–—_.·/]")
_CANONICAL = re.compile(rf"{PREFIX}([0-9]{{6}})([{ALPHABET}]{{{RANDOM_CHARS}}})([{ALPHABET}])")


def _luhn32(values: list[int]) -> int:
    """Luhn mod 32 check value: catches every single-character substitution and most
    adjacent transpositions, while staying inside the 32 readable characters (Crockford's
    own mod-37 check needs the awkward extra symbols * ~ $ = U)."""
    total, factor = 0, 2
    for value in reversed(values):
        addend = factor * value
        total += addend // 32 + addend % 32
        factor = 3 - factor
    return (32 - total % 32) % 32


def _check_char(date_part: str, random_part: str) -> str:
    return ALPHABET[_luhn32([_VALUE[ch] for ch in date_part + random_part])]


def _format(date_part: str, random_part: str, check: str) -> str:
    # Grouped in fours after the date so it can be read out in small pieces.
    body = random_part + check
    return f"{PREFIX}{date_part}-{body[:4]}-{body[4:8]}-{body[8:]}"


def new_case_number(today: date) -> str:
    """E.g. AS250115-7K3M-9QXA-2BT: date, 10 random characters, 1 check character."""
    date_part = today.strftime("%y%m%d")
    bits = secrets.randbits(5 * RANDOM_CHARS)
    random_part = "".join(ALPHABET[(bits >> (5 * i)) & 31] for i in range(RANDOM_CHARS))
    return _format(date_part, random_part, _check_char(date_part, random_part))


def normalise_case_number(user_input: str) -> str | None:
    """The canonical case number, or None if malformed or the check character fails.

    Accepts lower case, full-width characters, any spaces or dashes (or none),
    and O for 0, I or L for 1.
    """
    text = unicodedata.normalize("NFKC", user_input or "").upper()
    text = _SEPARATORS.sub("", text)
    if not text.startswith(PREFIX):
        return None
    text = PREFIX + text[len(PREFIX):].translate(_ALIASES)
    m = _CANONICAL.fullmatch(text)
    if not m:
        return None
    date_part, random_part, check = m.groups()
    if _check_char(date_part, random_part) != check:
        return None
    return _format(date_part, random_part, check)


def new_token(nbytes: int = 32) -> str:
    """A URL-safe random token (survey links and similar capabilities)."""
    return secrets.token_urlsafe(nbytes)


# ---------- contacts -------------------------------------------------------

_CN_MOBILE = re.compile(r"1[3-9][0-9]{9}")
_PHONE_NOISE = re.compile(r"[\s\-‐‑–—().（）]")


def normalise_cn_mobile(value: str) -> str | None:
    """11-digit mainland mobile from "+86 138-1234-5678", "0086 13812345678" …; else None."""
    text = _PHONE_NOISE.sub("", unicodedata.normalize("NFKC", value or ""))
    for prefix in ("+86", "0086"):
        if text.startswith(prefix):
            text = text[len(prefix):]
            break
    else:
        if len(text) == 13 and text.startswith("86"):
            text = text[2:]
    return text if _CN_MOBILE.fullmatch(text) else None


def last4_matches(mobile: str | None, given: str) -> bool:
    """Whether given is the last 4 digits of mobile, compared in constant time."""
    given = unicodedata.normalize("NFKC", given or "").strip()
    digits = normalise_cn_mobile(mobile or "") or re.sub(r"[^0-9]", "", mobile or "")
    expected = digits[-4:] if len(digits) >= 4 else "\x00" * 4
    if not re.fullmatch(r"[0-9]{4}", given):
        return False
    return hmac.compare_digest(expected.encode(), given.encode())


def normalise_email(value: str) -> str | None:
    """Stripped, full-width folded, domain lower-cased; None unless it looks like a@b.c."""
    text = unicodedata.normalize("NFKC", value or "").strip()
    local, at, domain = text.rpartition("@")
    if (
        not at
        or not local
        or len(text) > 254
        or "@" in local
        or re.search(r"\s", text)
        or not re.fullmatch(r"[^.\s]+(\.[^.\s]+)+", domain)
    ):
        return None
    return f"{local}@{domain.lower()}"


def email_matches(a: str | None, b: str | None) -> bool:
    """Same address, ignoring case everywhere: mail providers in practice treat
    local parts case-insensitively, and consumers do not remember how they typed it."""
    na, nb = normalise_email(a or ""), normalise_email(b or "")
    if na is None or nb is None:
        return False
    return hmac.compare_digest(na.casefold().encode(), nb.casefold().encode())
