"""E-mail addresses: the platform's one rule, email-validator's syntax check (no DNS look-up).

Consumers' contacts, staff and supervisor accounts, the orders import and the WTForms fields all
ask this module. Full-width characters typed with a Chinese IME fold first (＠ → @); the domain is
lower-cased (and an internationalised domain kept in its Unicode form); the local part keeps the
case it was typed in. `a..b@example.com`, `a@localhost` and anything that is not one address are
refused.
"""

from __future__ import annotations

import hmac
import unicodedata

from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l

MAX_LENGTH = 254
EMAIL_MESSAGE = _l("Please enter a valid email address.")


def normalise_email(value: object) -> str | None:
    """The address as stored ("Alice@example.com" from " Alice＠Example．COM "), or None if it is not one."""
    if not isinstance(value, str) or len(value) > 4 * MAX_LENGTH:
        return None
    text = unicodedata.normalize("NFKC", value).strip()
    if not text or len(text) > MAX_LENGTH:
        return None
    try:
        checked = validate_email(text, check_deliverability=False, allow_smtputf8=True)
    except EmailNotValidError:
        return None
    return checked.normalized


def account_email(value: object) -> str:
    """The key a staff account is found by: the normalised address in lower case (what was typed, in lower
    case, when it is not an address, so that a look-up simply finds nothing)."""
    text = value if isinstance(value, str) else ""
    return (normalise_email(text) or text.strip()).lower()


def email_matches(a: str | None, b: str | None) -> bool:
    """Same address, ignoring case everywhere: mail providers in practice treat local parts
    case-insensitively, and consumers do not remember how they typed it."""
    na, nb = normalise_email(a or ""), normalise_email(b or "")
    if na is None or nb is None:
        return False
    return hmac.compare_digest(na.casefold().encode(), nb.casefold().encode())


def valid_email(form, field) -> None:
    """WTForms validator with the same rule; blank passes (combine with DataRequired or Optional)."""
    from wtforms.validators import ValidationError

    if (field.data or "").strip() and normalise_email(field.data) is None:
        raise ValidationError(EMAIL_MESSAGE)
