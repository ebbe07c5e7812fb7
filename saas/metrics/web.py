"""The web side of the metrics: request counts and latency by route, the request id, and /metrics itself."""

from __future__ import annotations

import hmac
import ipaddress
import logging
import re
import time
import uuid

from flask import Flask, Response, abort, current_app, request, request_started
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest, multiprocess
from prometheus_client.values import ValueClass

from saas import logs
from saas.metrics.figures import PREFIX, SharedFigures

# Per process; with PROMETHEUS_MULTIPROC_DIR set (before the process starts) prometheus_client keeps
# them in files there, and /metrics sums every gunicorn worker's files.
_OWN = CollectorRegistry(auto_describe=True)
REQUESTS = Counter(
    PREFIX + "http_requests",
    "HTTP requests answered, by route (endpoint), method and status.",
    ["endpoint", "method", "status"],
    registry=_OWN,
)
LATENCY = Histogram(
    PREFIX + "http_request_duration_seconds",
    "Time to the response's headers, by route (endpoint).",
    ["endpoint"],
    registry=_OWN,
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
MULTIPROCESS = getattr(ValueClass, "__name__", "") != "MutexValue"  # prometheus_client chose the mmap files

PAGE_CACHE = "page_cache"  # answered by saas.caches.pages before Flask saw the request
UNMATCHED = "none"  # no route (404, 405)
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
REQUEST_ID_HEADER = "X-Request-ID"
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:@-]{1,128}")  # anything else is replaced, never logged as sent

ENDPOINT_KEY = "aftersales.endpoint"

access_log = logging.getLogger("saas.access")


def _note_route(sender, **extra) -> None:
    """On request_started (routing done, before any view or guard): the route's name for the middleware."""
    rule = request.url_rule
    request.environ[ENDPOINT_KEY] = rule.endpoint if rule is not None else UNMATCHED


def request_id_from(environ) -> str:
    """The proxy's X-Request-ID when it is a sane token, else a fresh one."""
    sent = environ.get("HTTP_X_REQUEST_ID", "")
    return sent if _REQUEST_ID.fullmatch(sent) else uuid.uuid4().hex


class RequestMetrics:
    """Outermost WSGI middleware: a request id for the logs, one counter and one histogram per request.

    No database or Redis work here: the route is the one _note_route left in the environ, or
    "page_cache" for a page saas.caches.pages answered before Flask saw the request.
    """

    def __init__(self, app: Flask):
        self.wrapped = app.wsgi_app
        self.access = bool(app.config.get("ACCESS_LOG"))

    def __call__(self, environ, start_response):
        start = time.perf_counter()
        rid = request_id_from(environ)
        environ["HTTP_X_REQUEST_ID"] = rid
        token = logs.request_id.set(rid)
        status = ["500"]

        def respond(status_line, headers, exc_info=None):
            status[0] = status_line[:3]
            headers.append((REQUEST_ID_HEADER, rid))
            return start_response(status_line, headers, exc_info)

        try:
            return self.wrapped(environ, respond)
        finally:
            seconds = time.perf_counter() - start
            endpoint = environ.get(ENDPOINT_KEY, PAGE_CACHE)
            method = environ.get("REQUEST_METHOD", "")
            REQUESTS.labels(endpoint, method if method in _METHODS else "other", status[0]).inc()
            LATENCY.labels(endpoint).observe(seconds)
            if self.access:
                # The route, never the path: paths carry tracking tokens and sign-in links.
                access_log.info(
                    "%s %s %s %.1fms",
                    method,
                    endpoint,
                    status[0],
                    seconds * 1000,
                    extra={
                        "endpoint": endpoint,
                        "method": method,
                        "status": int(status[0]),
                        "duration_ms": round(seconds * 1000, 1),
                    },
                )
            logs.request_id.reset(token)


_LOOPBACK_PROXY_HEADERS = ("X-Forwarded-For", "X-Real-IP", "Forwarded")


def _allowed() -> bool:
    token = current_app.config.get("METRICS_TOKEN") or ""
    if token:
        sent = request.headers.get("Authorization", "")
        scheme, _, value = sent.partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(value.strip().encode(), token.encode())
    # No token: only a scraper on this host. A request a local reverse proxy passed on also comes
    # from 127.0.0.1, so one that carries a proxy's forwarding header is not taken as local.
    if any(h in request.headers for h in _LOOPBACK_PROXY_HEADERS):
        return False
    try:
        return ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        return False


def metrics_view():
    if not _allowed():
        abort(404)  # the same answer as any unknown address: nothing says a metrics page exists
    registry = CollectorRegistry()
    if MULTIPROCESS:
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(REQUESTS)
        registry.register(LATENCY)
    registry.register(SharedFigures())
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)


def init_app(app: Flask) -> None:
    """Serve /metrics and count every request; called last by create_app, outside every other middleware."""
    app.add_url_rule("/metrics", "metrics", metrics_view, methods=["GET"])
    request_started.connect(_note_route, app)
    app.wsgi_app = RequestMetrics(app)  # type: ignore[method-assign]
