"""One log line per event, carrying the request id or the job id; JSON lines when LOG_FORMAT=json."""

from __future__ import annotations

import json
import logging
import sys
from contextvars import ContextVar
from datetime import UTC, datetime

from flask import Flask

# Set by saas.metrics.web for a request, by workers.worker for a job; read by every log record.
request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
job_id: ContextVar[str | None] = ContextVar("job_id", default=None)

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(ids)s] %(message)s"
# Attributes every LogRecord has; anything else came in through `extra=` and is written out.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message",
    "asctime",
    "ids",
    "request_id",
    "job_id",
}


class ContextFilter(logging.Filter):
    """Stamps each record with the request or job it belongs to."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        record.job_id = job_id.get()
        ids = [f"req={record.request_id}"] if record.request_id else []
        if record.job_id:
            ids.append(f"job={record.job_id}")
        record.ids = " ".join(ids) or "-"
        return True


class JsonFormatter(logging.Formatter):
    """A record as one JSON object on one line (a traceback is a field, its newlines escaped)."""

    def format(self, record: logging.LogRecord) -> str:
        out = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key in ("request_id", "job_id"):
            value = getattr(record, key, None)
            if value:
                out[key] = value
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                out[key] = value
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        if record.stack_info:
            out["stack"] = record.stack_info
        return json.dumps(out, ensure_ascii=False, default=str)


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is at the time (test runners swap it between tests)."""

    _aftersales = True

    @property  # type: ignore[override]
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:
        pass


def init_app(app: Flask) -> None:
    """Route every logger through one stderr handler on the root logger, in the configured format.

    Idempotent: a second app (tests build many) replaces the handler the first installed.
    """
    level = logging.getLevelName(str(app.config.get("LOG_LEVEL", "INFO")).upper())
    if not isinstance(level, int):
        level = logging.INFO
    handler = _StderrHandler()
    handler.setLevel(level)  # records propagated from chatty libraries' loggers stop here too
    handler.addFilter(ContextFilter())
    if str(app.config.get("LOG_FORMAT", "text")).lower() == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_aftersales", False)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
