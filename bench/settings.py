"""The benchmark's app configuration: production, minus what would make the real and baseline apps incomparable."""

from __future__ import annotations

import os

from config import ProductionConfig


class BenchConfig(ProductionConfig):
    """ProductionConfig (read from the same environment variables) with two bench-only changes.

    - WTF_CSRF_ENABLED = False: wrk cannot fetch a form and echo its token per request;
      the minimal intake baseline has no CSRF either, so the pair stays comparable.
    - The per-IP intake limit (20 per hour) is raised, not removed: every request still
      pays its Redis round trip, as in production, but wrk's thousands pass.
    """

    SQLALCHEMY_DATABASE_URI = os.environ["DATABASE_URL"]
    REDIS_URL = os.environ["REDIS_URL"]
    WTF_CSRF_ENABLED = False
    RATELIMIT_INTAKE = "100000000 per hour"
