"""What the request metrics cost: /healthz through the app with and without saas.metrics' middleware.

    TEST_REDIS_URL=redis://127.0.0.1:6379/3 .venv/bin/python -m bench.metrics_overhead [requests]

Both apps are the same create_app(); the "without" one has the middleware unwrapped and the
route signal disconnected, i.e. the app as it was before /metrics. Rounds alternate so that
drift on a shared machine falls on both. Prints microseconds per request and the difference.
"""

from __future__ import annotations

import os
import statistics
import sys
import time

from flask import request_started


def main(n: int = 2000, rounds: int = 7) -> None:
    from saas import create_app
    from saas.extensions import db
    from saas.metrics import web
    from tests.conftest import make_config

    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/3")
    with_metrics = create_app(make_config("sqlite:///" + os.path.abspath("instance/bench_metrics.db"), url))
    without = create_app(make_config("sqlite:///" + os.path.abspath("instance/bench_metrics.db"), url))
    without.wsgi_app = without.wsgi_app.wrapped  # type: ignore[attr-defined]
    request_started.disconnect(web._note_route, without)
    with with_metrics.app_context():
        db.create_all()
    clients = {"with": with_metrics.test_client(), "without": without.test_client()}
    times: dict[str, list[float]] = {k: [] for k in clients}
    for client in clients.values():  # warm up
        for _ in range(200):
            client.get("/healthz")
    for _ in range(rounds):
        for name, client in clients.items():
            start = time.perf_counter()
            for _ in range(n):
                client.get("/healthz")
            times[name].append((time.perf_counter() - start) / n * 1e6)
    a, b = statistics.median(times["with"]), statistics.median(times["without"])
    print(f"/healthz through the test client, median of {rounds} rounds of {n}:")
    print(f"  without metrics {b:8.1f} µs/request")
    print(f"  with metrics    {a:8.1f} µs/request   (+{a - b:.1f} µs, {100 * (a - b) / b:+.1f} %)")

    # The middleware alone, around a WSGI app that does nothing: its cost without the noise of a real request.
    def bare(environ, start_response):
        environ[web.ENDPOINT_KEY] = "core.healthz"
        start_response("200 OK", [])
        return [b""]

    class Holder:
        wsgi_app = staticmethod(bare)
        config: dict = {}

    wrapped = web.RequestMetrics(Holder)  # type: ignore[arg-type]
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/healthz"}
    m = 200_000
    start = time.perf_counter()
    for _ in range(m):
        wrapped(dict(environ), lambda *a: None)
    mid = time.perf_counter()
    for _ in range(m):
        bare(dict(environ), lambda *a: None)
    end = time.perf_counter()
    print(
        f"  the middleware alone: {((mid - start) - (end - mid)) / m * 1e6:.1f} µs/request "
        "(request id, counter, histogram)"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)
