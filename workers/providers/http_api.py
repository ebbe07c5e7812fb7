"""HTTP plumbing shared by the SMS gateways: one bounded request, its JSON body, a Retry-After header."""

from __future__ import annotations

import http.client
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.request import Request, urlopen

from workers.providers.base import Retryable

# Providers answer in a few hundred bytes; a cap keeps a misbehaving endpoint from filling memory.
_MAX_RESPONSE = 1 << 20


def exchange(request: Request, timeout: float) -> tuple[int, Mapping[str, str], bytes]:
    """Status, headers and body of one request; network failures become Retryable."""
    try:
        try:
            with urlopen(request, timeout=timeout) as resp:
                return resp.status, resp.headers, resp.read(_MAX_RESPONSE)
        except HTTPError as exc:
            # 4xx/5xx still carry the provider's error code in the body.
            try:
                return exc.code, exc.headers, exc.read(_MAX_RESPONSE)
            finally:
                exc.close()
    except URLError as exc:
        reason = exc.reason
        if isinstance(reason, TimeoutError):
            raise Retryable(f"timed out after {timeout}s connecting", code="timeout") from exc
        raise Retryable(f"connection failed: {reason}", code="connection") from exc
    except TimeoutError as exc:
        # The request went out and no answer came: ambiguous, the provider may have sent it.
        raise Retryable(f"no answer within {timeout}s", code="timeout") from exc
    except (http.client.HTTPException, OSError) as exc:
        raise Retryable(f"connection failed: {type(exc).__name__}: {exc}", code="connection") from exc


def json_body(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def retry_after_header(headers: Mapping[str, str]) -> float | None:
    """Retry-After as seconds (it may be a number or an HTTP date)."""
    value = (headers.get("Retry-After") or "").strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
