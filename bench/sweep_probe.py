"""One SLA sweep in a fresh process: prints clocks breached, seconds, and peak RSS (MiB) before/after."""
import json
import resource
import time

import sys as _sys
from pathlib import Path as _Path

_sys.path.insert(0, str(_Path(__file__).resolve().parent.parent))  # the project, before bench/ itself

from bench.settings import BenchConfig
from saas import create_app

app = create_app(BenchConfig)
with app.app_context():
    from saas.extensions import db
    from workers import jobs

    db.session.execute(db.text("SELECT 1"))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t0 = time.perf_counter()
    count = jobs.sweep_sla()
    seconds = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"breached": count, "seconds": seconds, "rss_before_mib": before, "peak_rss_mib": peak}))
