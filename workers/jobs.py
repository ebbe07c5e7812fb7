"""Thin job functions taking primitive ids; the work lives in services."""
from __future__ import annotations

from saas.extensions import redis


def heartbeat(key: str, value: str) -> str:
    """Proves a worker is alive and inside the app context (used by /healthz tests and make run)."""
    redis.client.set(key, value, ex=300)
    return value
