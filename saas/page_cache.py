"""A per-process cache of rendered public pages that only change when their data does."""
from __future__ import annotations

import secrets
from collections import OrderedDict
from typing import Callable, Hashable

from flask import g, request, session
from flask_login import current_user

# Rendered with this in place of the CSP nonce; each response gets a fresh one.
NONCE_SLOT = "__csp_nonce_slot__"
MAX_PAGES = 512

_pages: OrderedDict[Hashable, str] = OrderedDict()


def cached_page(key: Hashable, render: Callable[[], str]) -> str:
    """The page for `key` (which must name every input that changes it); anonymous visitors only.

    Published policy versions never change, so a key naming the versions shown
    is invalidated by publishing itself: no explicit purge is needed, across
    processes too.
    """
    if current_user.is_authenticated or session.get("_flashes"):
        return render()
    full_key = (key, request.full_path)
    html = _pages.get(full_key)
    if html is None:
        g.csp_nonce = NONCE_SLOT
        html = render()
        _pages[full_key] = html
        while len(_pages) > MAX_PAGES:
            _pages.popitem(last=False)
    else:
        _pages.move_to_end(full_key)
    g.csp_nonce = secrets.token_urlsafe(16)
    return html.replace(NONCE_SLOT, g.csp_nonce)


def clear() -> None:
    _pages.clear()
