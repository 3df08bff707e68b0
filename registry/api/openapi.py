"""What `/openapi.json` says of each operation beyond its schemas (SPEC §18): the bearer
scheme with the scope it needs (in its description and under `x-required-scopes`), the
`Idempotency-Key` header where it is honoured, and every error status it can answer.

It is read from the same places the server acts on, so that a new endpoint is documented
by being written: the scope from `requires` (which the token guard checks), the body
checks from the method (the guard checks every POST, PUT and PATCH body), 404 from the
path's parameters, 422 for every operation (the query guard refuses unknown parameters
everywhere), 429 where the rate limit applies, and `@idempotent` on the views that call
`idempotently`.
"""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus
from typing import Any, TypeVar

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Flask
from marshmallow import Schema, fields, validate

from registry.api.errors import ErrorEnvelopeSchema

F = TypeVar("F", bound=Callable[..., Any])
IDEMPOTENT_ATTRIBUTE = "_idempotent"
BODY_METHODS = ("post", "put", "patch")
NOT_RATE_LIMITED = frozenset({"/v1/opt-outs"})  # an opt-out is never refused

ERRORS: dict[int, str] = {
    400: "The body is not valid JSON or not UTF-8 (`malformed_json`, `bad_encoding`).",
    401: "No bearer token, or one that is invalid or expired (`unauthorized`, "
    "`invalid_token`, `token_expired`).",
    403: "The token lacks the scope this operation needs (`insufficient_scope`), or the "
    "reviewer is the submitter (`four_eyes`).",
    404: "Nothing of this tenant at this path (`not_found`).",
    409: "The Idempotency-Key was used with another body (`idempotency_key_reused`), or the "
    "state does not allow the change (`conflict`).",
    413: "The body is larger than the limit (`payload_too_large`; 1 MiB, imports 64 MiB).",
    415: "The body is not `application/json` (`unsupported_media_type`).",
    422: "A field, query parameter or header is invalid, missing or unknown "
    "(`validation_error`; `details` names each).",
    429: "Too many requests (`rate_limited`); retry after `Retry-After` seconds.",
}
# Answered by the HTTP server before the registry sees the request, so not as JSON.
URI_TOO_LONG = (
    "The request line (path and query) is longer than the HTTP server takes (gunicorn: "
    "4094 bytes, `--limit-request-line`); gunicorn answers it itself, not as JSON."
)


def _response_name(status: int) -> str:
    return "Error" + "".join(word.title() for word in HTTPStatus(status).phrase.split())


CONFLICT = _response_name(409)  # for `@blp.alt_response(409, response=CONFLICT)`


def idempotent(view: F) -> F:
    """Marks a view that answers a repeated `Idempotency-Key` with its first answer."""
    setattr(view, IDEMPOTENT_ATTRIBUTE, True)
    return view


class IdempotencyKeyHeader(Schema):
    key = fields.String(
        data_key="Idempotency-Key",
        validate=validate.Length(min=1, max=255),
        metadata={
            "description": "Repeating the request with the same key and body answers the "
            "first answer again and records nothing new; another body with the same key is "
            "a 409 `idempotency_key_reused` (R-IDEMPOTENCY)."
        },
    )


def scopes_of(view: Any) -> tuple[str, ...]:
    scope = getattr(view, "_required_scope", None)
    if scope is None:
        return ()
    return (scope,) if isinstance(scope, str) else tuple(scope)


def _scope_sentence(scopes: tuple[str, ...]) -> str:
    if len(scopes) == 1:
        return f"Needs the `{scopes[0]}` scope."
    return "Needs one of the scopes " + ", ".join(f"`{s}`" for s in scopes) + "."


def _view_method(app: Flask, endpoint: str, method: str) -> Any:
    view = app.view_functions.get(endpoint)
    view_class = getattr(view, "view_class", None)
    return view if view_class is None else getattr(view_class, method, None)


class RegistryMarshmallowPlugin(MarshmallowPlugin):
    """apispec's marshmallow plugin, which first completes each operation as above (so
    that the schemas added here are resolved with the view's own); `registry.api.app`
    passes it to flask-smorest's Api."""

    def __init__(self, app: Flask) -> None:
        super().__init__()
        self.app = app

    def init_spec(self, spec: APISpec) -> None:
        super().init_spec(spec)
        for status, description in ERRORS.items():
            response: dict[str, Any] = {
                "description": description,
                "content": {"application/json": {"schema": ErrorEnvelopeSchema}},
            }
            if status == 429:
                response["headers"] = {
                    "Retry-After": {"schema": {"type": "integer"}, "description": "seconds"}
                }
            spec.components.response(_response_name(status), response, lazy=True)
        spec.components.response(_response_name(414), {"description": URI_TOO_LONG}, lazy=True)

    def operation_helper(
        self, path: str | None = None, operations: dict[str, Any] | None = None, **kwargs: Any
    ) -> None:
        rule = kwargs.get("rule")
        if rule is not None and operations and rule.rule.startswith("/v1/"):
            for method, operation in operations.items():
                view = _view_method(self.app, rule.endpoint, method)
                self._document(operation, method, view, has_path_parameters=bool(rule.arguments))
                if rule.rule in NOT_RATE_LIMITED:
                    operation["responses"].pop("429", None)
        super().operation_helper(path=path, operations=operations, **kwargs)

    def _document(
        self, operation: dict[str, Any], method: str, view: Any, *, has_path_parameters: bool
    ) -> None:
        statuses = [401, 414, 422, 429]
        scopes = scopes_of(view)
        operation["security"] = [{"bearer": []}]
        if scopes:
            statuses.append(403)
            operation["x-required-scopes"] = list(scopes)
            sentence = _scope_sentence(scopes)
            described = operation.get("description")
            operation["description"] = f"{described}\n\n{sentence}" if described else sentence
        if has_path_parameters:
            statuses.append(404)
        if method in BODY_METHODS:
            statuses.extend([400, 413, 415])
        if getattr(view, IDEMPOTENT_ATTRIBUTE, False):
            statuses.append(409)
            operation.setdefault("parameters", []).append(
                {"in": "header", "schema": IdempotencyKeyHeader}
            )
        responses = operation.setdefault("responses", {})
        for status in sorted(statuses):
            if not isinstance(responses.get(str(status)), dict):  # a view's own stays
                responses[str(status)] = _response_name(status)
        operation["responses"] = dict(sorted(responses.items(), key=lambda item: str(item[0])))
