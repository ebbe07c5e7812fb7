"""Values worked out once per request: the one place code memoises on `flask.g`.

    terms = request_memo.table("service_terms")   # a dict that lives until the request ends
    request_memo.put("track_failed", True)        # a single value
    request_memo.get("track_failed")              # None if not set in this request
    request_memo.forget("published_versions")     # a change made the memo stale

Everything lives under one key on `g`, which `init_app` clears before every request (an app
context may be shared by several requests: the CLI, tests), so no caller's key name needs to
be known elsewhere. Outside a request nothing is kept: `table` hands out a fresh dict each time.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, g, has_request_context

_KEY = "_request_memo"


def _memo() -> dict[str, Any] | None:
    if not has_request_context():
        return None
    memo = g.get(_KEY)
    if memo is None:
        memo = {}
        setattr(g, _KEY, memo)
    return memo


def table(name: str) -> dict:
    """A dict for `name`, kept until the request ends (a throwaway one outside a request)."""
    memo = _memo()
    if memo is None:
        return {}
    return memo.setdefault(name, {})


def get(name: str, default: Any = None) -> Any:
    memo = _memo()
    return default if memo is None else memo.get(name, default)


def put(name: str, value: Any) -> None:
    memo = _memo()
    if memo is not None:
        memo[name] = value


def forget(name: str) -> None:
    memo = _memo()
    if memo is not None:
        memo.pop(name, None)


def clear() -> None:
    g.pop(_KEY, None)


def init_app(app: Flask) -> None:
    app.before_request(clear)
