"""Phone number normalisation for SMS providers: E.164 for Twilio, bare national digits for Aliyun."""
from __future__ import annotations

import re

from workers.providers.base import Permanent

# Mainland China mobile numbers: 11 digits starting 13–19. Landlines cannot receive SMS.
_MAINLAND_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_SEPARATORS = re.compile(r"[\s\-().]")


def mask(number: str) -> str:
    """138****5678: enough to recognise a number in an error without logging it whole."""
    return number[:3] + "****" + number[-4:] if len(number) > 7 else "****"


def to_e164(number: str) -> str:
    """'13812345678', '+86 138-1234-5678', '008613812345678' → '+8613812345678'.

    A number without a country code is taken as a mainland mobile; anything else
    must carry its country code. Raises Permanent when no valid number results,
    since resending the same number cannot help.
    """
    raw = _SEPARATORS.sub("", number or "")
    if raw.startswith("00"):
        raw = "+" + raw[2:]
    if _MAINLAND_MOBILE.match(raw):
        return "+86" + raw
    if raw.startswith("86") and _MAINLAND_MOBILE.match(raw[2:]):
        return "+" + raw
    if raw.startswith("+") and raw[1:].isdigit() and 8 <= len(raw) - 1 <= 15:
        if raw.startswith("+86") and not _MAINLAND_MOBILE.match(raw[3:]):
            raise Permanent(f"not a mainland mobile number: {mask(raw)}", code="invalid_number")
        return raw
    raise Permanent(f"not a valid mobile number: {mask(raw)}", code="invalid_number")


def to_aliyun(number: str) -> str:
    """Aliyun wants mainland numbers as 11 bare digits and others as country code + number."""
    e164 = to_e164(number)
    return e164[3:] if e164.startswith("+86") else e164[1:]
