"""Case numbers and URL tokens. (Mobiles: saas.phones; e-mail addresses: saas.email_addresses.)"""

from __future__ import annotations

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
    text = PREFIX + text[len(PREFIX) :].translate(_ALIASES)
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
