"""One place that turns every failure into R-ERRORS JSON, never HTML, never a 500
for input."""

from __future__ import annotations

import logging
from typing import Any

import marshmallow as ma
from flask import Flask, Response, jsonify
from werkzeug.exceptions import HTTPException

from registry.domain.exceptions import (
    Conflict,
    DomainError,
    FourEyesViolation,
    InvalidRequest,
    NotFound,
)

log = logging.getLogger("registry.errors")

DEFAULT_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    500: "internal_error",
    503: "unavailable",
}


class ErrorBodySchema(ma.Schema):
    """R-ERRORS, for the OpenAPI description (flask-smorest documents every error
    response with its ERROR_SCHEMA; its default shape is not ours)."""

    code = ma.fields.String(required=True, metadata={"description": "snake_case error code"})
    message = ma.fields.String(required=True)
    details = ma.fields.Dict(required=True)


class ErrorEnvelopeSchema(ma.Schema):
    error = ma.fields.Nested(ErrorBodySchema, required=True)


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details or {}
        self.headers = headers or {}


def error_response(
    status: int,
    code: str,
    message: str,
    details: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    response = jsonify({"error": {"code": code, "message": message, "details": details or {}}})
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _validation_details(error: HTTPException) -> dict[str, Any]:
    """flask-smorest/webargs put field messages under data.messages.{location}."""
    data = getattr(error, "data", None) or {}
    messages = data.get("messages") or {}
    merged: dict[str, Any] = {}
    for location_messages in messages.values():
        if isinstance(location_messages, dict):
            merged.update(location_messages)
    return merged


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def api_error(error: ApiError) -> Response:
        return error_response(error.status, error.code, error.message, error.details, error.headers)

    @app.errorhandler(DomainError)
    def domain_error(error: DomainError) -> Response:
        if isinstance(error, NotFound):
            status = 404
        elif isinstance(error, FourEyesViolation):
            status = 403
        elif isinstance(error, Conflict):
            status = 409
        elif isinstance(error, InvalidRequest):
            status = 422
        else:
            status = 422
        return error_response(status, error.code, error.message, error.details)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        status = error.code or 500
        code = DEFAULT_CODES.get(status, "error")
        details = _validation_details(error) if status == 422 else {}
        message = error.description or code
        if status == 422:
            message = "the request has invalid or unknown fields"
        if status == 413:
            message = "the request body is too large"
        response = error_response(status, code, message, details)
        allowed = getattr(error, "valid_methods", None)
        if status == 405 and allowed:
            response.headers["Allow"] = ", ".join(allowed)
        return response

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Response:
        if _is_database_outage(error):
            message = _outage_message(error)
            log.warning(
                "database unavailable",
                extra={"fields": {"error_type": type(error).__name__, "what": message}},
            )
            return error_response(503, "unavailable", message, headers={"Retry-After": "1"})
        log.error(
            "unhandled error",
            exc_info=error,
            extra={"fields": {"error_type": type(error).__name__}},
        )
        return error_response(500, "internal_error", "an unexpected error occurred")


def _outage_message(error: BaseException) -> str:
    """Name what happened: a write lock held too long, a worker's connections all busy, or
    a database that does not answer."""
    from eventsourcing.persistence import ConnectionUnavailableError

    text = str(error).lower()
    if "database is locked" in text or "database is busy" in text:
        return (
            "the database stayed locked by other writes for longer than the write-lock wait "
            "(SQLite: one writer at a time, REGISTRY_SQLITE_LOCK_TIMEOUT); retry shortly"
        )
    import psycopg_pool

    if isinstance(error, ConnectionUnavailableError | psycopg_pool.PoolTimeout):
        return "every database connection of this worker stayed busy; retry shortly"
    return "the database is not reachable; retry shortly"


def _is_database_outage(error: BaseException) -> bool:
    """Connection-level failures (the database restarting or gone), not bad input."""
    from eventsourcing.persistence import InterfaceError, OperationalError

    if isinstance(error, InterfaceError | OperationalError):
        return True
    try:
        import psycopg
        import psycopg_pool
    except ImportError:  # pragma: no cover - psycopg is a dependency
        return False
    return isinstance(
        error, psycopg.OperationalError | psycopg.InterfaceError | psycopg_pool.PoolTimeout
    )
