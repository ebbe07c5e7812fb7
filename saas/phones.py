"""Phone numbers: the platform's one rule, phonenumbers' metadata for mainland China.

Every place a person types a mobile (the case form, an agent's phone entry, complaints, the orders
import, the tracking lookup's last four digits) and the SMS providers ask this module, so a number
one of them accepts is accepted by all of them, written the same way.

What is accepted: full-width digits (typed with a Chinese IME), spaces, dashes, dots and brackets
between the digits, and a +86 / 0086 / 86 country code in front. What comes out is the 11 national
digits. Anything else (letters, other scripts' digits, a landline, an unassigned prefix such as 140,
control characters, more than MAX_INPUT characters) is refused.

Detection of numbers inside free text (masking, retention) is a different question and lives with
the masking code: there an over-broad match is the safe failure.
"""

from __future__ import annotations

import hmac
import re
import unicodedata

import phonenumbers
from flask_babel import lazy_gettext as _l

MAX_INPUT = 64
# After NFKC: what people put between the digits (full-width brackets fold to ASCII ones).
_SEPARATORS = re.compile(r"[\s\-‐‑‒–—―.·()/]")
_DIALLED = re.compile(r"\+?[0-9]{1,20}")
_MOBILE_TYPES = frozenset({phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE})

MOBILE_MESSAGE = _l("Please enter a valid mainland China mobile number (11 digits).")


def _dialled(value: object) -> str | None:
    """The number as +digits or digits, with separators and full-width forms folded; None if not a number."""
    if not isinstance(value, str) or len(value) > MAX_INPUT:
        return None
    text = _SEPARATORS.sub("", unicodedata.normalize("NFKC", value))
    if not _DIALLED.fullmatch(text):
        return None
    if text.startswith("00"):
        return "+" + text[2:]
    if len(text) == 13 and text.startswith("86"):
        return "+" + text  # 8613812345678: the country code without its plus
    return text


def _parse(value: object) -> phonenumbers.PhoneNumber | None:
    text = _dialled(value)
    if not text:
        return None
    try:
        return phonenumbers.parse(text, "CN")
    except phonenumbers.NumberParseException:
        return None


def mainland_mobile(value: object) -> str | None:
    """The 11 digits of a mainland China mobile ("１３８ 1234-5678", "+86 138…", "0086…"), else None."""
    number = _parse(value)
    if (
        number is None
        or number.country_code != 86
        or not phonenumbers.is_valid_number(number)
        or phonenumbers.number_type(number) not in _MOBILE_TYPES
    ):
        return None
    national = str(number.national_number)
    return national if len(national) == 11 else None


def e164(value: object) -> str | None:
    """A number an SMS can reach, as E.164: a mainland mobile (with or without +86), or a foreign
    number written with its country code. Landlines and malformed numbers give None."""
    mobile = mainland_mobile(value)
    if mobile is not None:
        return "+86" + mobile
    text = _dialled(value)
    if not text or not text.startswith("+"):
        return None  # without a country code a number is taken as mainland, and it was not a mobile
    number = _parse(text)
    if number is None or number.country_code == 86 or not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def last4_matches(mobile: str | None, given: str | None) -> bool:
    """Whether `given` is the last 4 digits of the stored mobile, compared in constant time."""
    given = unicodedata.normalize("NFKC", given or "").strip() if isinstance(given, str) else ""
    stored = mobile if isinstance(mobile, str) else ""
    digits = mainland_mobile(stored) or re.sub(r"[^0-9]", "", unicodedata.normalize("NFKC", stored)[:MAX_INPUT])
    expected = digits[-4:] if len(digits) >= 4 else "\x00" * 4
    if not re.fullmatch(r"[0-9]{4}", given):
        return False
    return hmac.compare_digest(expected.encode(), given.encode())


def service_phone(value: object) -> bool:
    """Whether value is a number a shop can give its customers: a landline, a mobile, a 400/800 number, a
    foreign number with its country code, or a service number of 5 digits or more (95588, 12315)."""
    text = _dialled(value)
    number = _parse(text)
    if number is None:
        return False
    if phonenumbers.is_valid_number(number):
        return True
    return number.country_code == 86 and len(text) >= 5 and phonenumbers.is_valid_short_number(number)
