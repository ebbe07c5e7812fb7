"""Sign-in under attack: failures counted per account, and one-time sign-in links by e-mail.

Strangers guessing one account's password from many addresses must not lock its
owner out. Limits per address and per (account, address) stop a single source;
when an account collects many failures from several addresses, password
sign-in for it pauses and the login page offers a one-time link sent to the
account's own mailbox, which only its owner reads. Everything here is keyed by
the address that was typed, so an unknown address behaves exactly like a
known one.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from flask import current_app
from itsdangerous import BadData, URLSafeTimedSerializer
from limits import parse
from sqlalchemy import select

from saas.extensions import db, redis
from saas.models.base import utcnow
from saas.models.user import User, normalise_email

LINK_MAX_AGE = 15 * 60  # seconds a sign-in link stays valid
GUARD_IP_TTL = 60 * 60


def account_key(email: str) -> str:
    """A stable, non-reversible Redis key part for a typed address (known or not)."""
    return hashlib.sha256(normalise_email(email or "").encode()).hexdigest()[:32]


def _limiter():
    return current_app.extensions["app_limiter"].limiter


def _guard_limit():
    return parse(current_app.config.get("LOGIN_ACCOUNT_GUARD", "20 per hour"))


def _ips_key(email: str) -> str:
    return f"login-guard-ips:{account_key(email)}"


def _limits_on() -> bool:
    return bool(current_app.config.get("RATELIMIT_ENABLED", True))


def record_failure(email: str, ip: str) -> None:
    """One more failed password for this typed address, from this client address."""
    if not _limits_on():
        return
    _limiter().hit(_guard_limit(), "login-account", account_key(email))
    pipe = redis.client.pipeline(transaction=False)
    pipe.sadd(_ips_key(email), ip or "?")
    pipe.expire(_ips_key(email), GUARD_IP_TTL)
    pipe.execute()


def under_attack(email: str) -> bool:
    """Many failures for this address within the hour, from several client addresses."""
    if not _limits_on() or _limiter().test(_guard_limit(), "login-account", account_key(email)):
        return False
    return redis.client.scard(_ips_key(email)) >= int(current_app.config.get("LOGIN_GUARD_MIN_IPS", 3))


def may_send_link(email: str) -> bool:
    """Counts a link request for this address; False once it has had its share (no spam cannon)."""
    if not _limits_on():
        return True
    limit = parse(current_app.config.get("SIGNIN_LINK_LIMIT", "3 per 15 minutes"))
    return _limiter().hit(limit, "signin-link", account_key(email))


# ------------------------------------------------------------ one-time links


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="signin-link")


def _stamp(when: datetime | None) -> int:
    # Microseconds of the last sign-in: any sign-in (this link's included) changes it,
    # which makes every link issued before it useless. No table of used links needed.
    return int(when.timestamp() * 1_000_000) if when else 0


def make_link_token(user: User) -> str:
    return _serializer().dumps([user.id, user.session_version or 0, _stamp(user.last_login_at)])


def user_for_link(token: str) -> User | None:
    """The user a still-valid, unused link signs in, or None (expired, used, forged, disabled)."""
    try:
        user_id, version, stamp = _serializer().loads(token, max_age=LINK_MAX_AGE)
        user = db.session.get(User, int(user_id))
    except (BadData, TypeError, ValueError):  # forged, expired, malformed
        return None
    if user is None or not user.is_enabled or (user.tenant is not None and not user.tenant.is_active):
        return None
    if version != (user.session_version or 0) or stamp != _stamp(user.last_login_at):
        return None
    return user


def use_link(token: str) -> User | None:
    """Consume the link: the user it signs in (the link is spent), or None."""
    user = user_for_link(token)
    if user is not None:
        user.last_login_at = utcnow()
        db.session.flush()
    return user


def link_recipient(email: str) -> User | None:
    """The enabled account for a typed address, if any (the caller answers the same either way)."""
    user = db.session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None or not user.is_enabled:
        return None
    return user
