"""One SLA sweep in a fresh process: prints clocks breached, seconds, and peak RSS (MiB) before/after.

BENCH_SWEEP_MAX_CLOCKS=N stops the sweep after the batches that hold its first N overdue
clocks (the memory comparison at 1,000,000 cases needs the sweep's working set, not the
hour a full sweep of that backlog takes on a 2-core machine).
"""

import json
import os
import resource
import sys as _sys
import time
from pathlib import Path as _Path

_sys.path.insert(0, str(_Path(__file__).resolve().parent.parent))  # the project, before bench/ itself

from bench.settings import BenchConfig
from saas import create_app

MAX_CLOCKS = int(os.environ.get("BENCH_SWEEP_MAX_CLOCKS") or 0)

app = create_app(BenchConfig)
with app.app_context():
    from saas.extensions import db
    from saas.services import case_breaches
    from workers import jobs

    if MAX_CLOCKS:
        whole = case_breaches._due_batches

        def capped(now, batch):
            seen = 0
            for ids in whole(now, batch):
                if seen >= MAX_CLOCKS:
                    return
                seen += len(ids)
                yield ids

        case_breaches._due_batches = capped
    db.session.execute(db.text("SELECT 1"))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t0 = time.perf_counter()
    count = jobs.sweep_sla()
    seconds = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "breached": count,
                "seconds": seconds,
                "rss_before_mib": before,
                "peak_rss_mib": peak,
                "max_clocks": MAX_CLOCKS or None,
            }
        )
    )
