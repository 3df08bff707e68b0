"""Structured request logs: one JSON line per request, with the request id.

Only the route pattern is logged (`/u/<token>`, `/v1/customers/<path:customer_id>`),
never the raw path, query string, headers or body: paths carry opt-out tokens and
customer ids, headers carry bearer tokens, bodies carry personal data.

The line is cheap: the request's record is made without `logging`'s search of the stack
for its caller (which no line shows), the time stamp is formatted once a second, and the
line is written by orjson.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any

import orjson

LOGGER = logging.getLogger("registry.requests")
_stamp: tuple[int, str] = (-1, "")


def timestamp(created: float) -> str:
    """`2026-12-02T06:40:34Z` (UTC), formatted once per second."""
    global _stamp
    second = int(created)
    if _stamp[0] != second:
        _stamp = (second, time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(second)))
    return _stamp[1]


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": timestamp(record.created),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(getattr(record, "fields", {}))
        if record.exc_info and record.exc_info[0] is not None:
            entry["exception"] = record.exc_info[0].__name__
        try:
            return orjson.dumps(entry).decode()
        except TypeError:  # a value orjson does not write (a lone surrogate, a set): as before
            return json.dumps(entry, ensure_ascii=False, default=str)


def configure_logging() -> None:
    root = logging.getLogger("registry")
    if any(isinstance(h.formatter, JsonFormatter) for h in root.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    logging.Formatter.converter = time.gmtime
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    root.propagate = False


def log_request(
    request_id: str,
    method: str,
    route: str,
    status: int,
    seconds: float | None,
    principal: Any,
) -> None:
    """The request's line (`registry/api/app.py` calls it once, after the response)."""
    if not LOGGER.isEnabledFor(logging.INFO):
        return
    fields = {
        "request_id": request_id,
        "method": method,
        "route": route,
        "status": status,
        "duration_ms": None if seconds is None else round(seconds * 1000, 2),
        "tenant": getattr(principal, "tenant", None),
        "actor": getattr(principal, "actor", None),
    }
    record = LOGGER.makeRecord(
        LOGGER.name, logging.INFO, __file__, 0, "request", (), None, extra={"fields": fields}
    )
    LOGGER.handle(record)
