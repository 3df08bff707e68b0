"""Structured request logs: one JSON line per request, with the request id.

Only the route pattern is logged (`/u/<token>`, `/v1/customers/<path:customer_id>`),
never the raw path, query string, headers or body: paths carry opt-out tokens and
customer ids, headers carry bearer tokens, bodies carry personal data.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any

from flask import Flask, Response, g, request

LOGGER = logging.getLogger("registry.requests")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + "Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(getattr(record, "fields", {}))
        if record.exc_info and record.exc_info[0] is not None:
            entry["exception"] = record.exc_info[0].__name__
        return json.dumps(entry, ensure_ascii=False)


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


def install_request_logging(app: Flask) -> None:
    configure_logging()

    @app.after_request
    def log_request(response: Response) -> Response:
        req, context = request._get_current_object(), g._get_current_object()  # type: ignore[attr-defined]
        rule = req.url_rule.rule if req.url_rule is not None else "<unmatched>"
        principal = context.get("principal")
        started = context.get("started")
        LOGGER.info(
            "request",
            extra={
                "fields": {
                    "request_id": context.get("request_id", ""),
                    "method": req.method,
                    "route": rule,
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2)
                    if started
                    else None,
                    "tenant": getattr(principal, "tenant", None),
                    "actor": getattr(principal, "actor", None),
                }
            },
        )
        return response
