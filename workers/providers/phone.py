"""Phone numbers for SMS providers: E.164 for Twilio, bare national digits for Aliyun (rule: saas.phones)."""

from __future__ import annotations

from saas.phones import e164
from workers.providers.base import Permanent


def mask(number: str) -> str:
    """138****5678: enough to recognise a number in an error without logging it whole."""
    return number[:3] + "****" + number[-4:] if len(number) > 7 else "****"


def to_e164(number: str) -> str:
    """'13812345678', '+86 138-1234-5678', '008613812345678', '１３８…' → '+8613812345678'.

    A number without a country code is taken as a mainland mobile; anything else must carry its
    country code. Raises Permanent when no valid number results, since resending cannot help.
    """
    result = e164(number)
    if result is None:
        raise Permanent(f"not a valid mobile number: {mask((number or '')[:32])}", code="invalid_number")
    return result


def to_aliyun(number: str) -> str:
    """Aliyun wants mainland numbers as 11 bare digits and others as country code + number."""
    result = to_e164(number)
    return result[3:] if result.startswith("+86") else result[1:]
