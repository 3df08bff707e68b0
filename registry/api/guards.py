"""Request guards that run before a view parses its body, in the order R-AUTH
fixes: 401, 403, then 400/413/415, (422 from the schemas), then 404."""

from __future__ import annotations

import json
import os
import re
from typing import Any

from flask import Flask, Request, Response, current_app, g, request

from registry.api.auth import Principal, TokenVerifier
from registry.api.errors import ApiError, error_response
from registry.api.ratelimit import Limiter
from registry.domain.base import bind_request_id
from registry.jsontext import loads
from registry.projections.reader import RevocationProbe, TokenRevokedError, revocation_probe

MiB = 1024 * 1024
SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
JSON_TYPES = ("application/json",)
IMPORT_TYPES = ("text/csv", "application/x-ndjson", "application/jsonl", "application/json-lines")


def body_limit(path: str) -> int:
    if path.startswith("/v1/consents/import"):
        return 64 * MiB
    if path.startswith("/webhooks/"):
        return 3 * MiB
    return 1 * MiB


def required_scope(app: Flask, req: Request) -> str | tuple[str, ...] | None:
    """The scope the view is marked with (`requires`), or the scopes any one of which opens it."""
    view = app.view_functions.get(req.endpoint or "")
    if view is None:
        return None
    view_class = getattr(view, "view_class", None)
    if view_class is not None:
        method = getattr(view_class, req.method.lower(), None)
        if method is None and req.method == "HEAD":
            method = getattr(view_class, "get", None)
        return getattr(method, "_required_scope", None)
    return getattr(view, "_required_scope", None)


def parse_json_body(req: Request) -> Any:
    raw = req.get_data(cache=True)
    if not raw:
        return None
    try:
        text = raw.decode("utf-8")
        value = loads(text)
        if SURROGATE_ESCAPE.search(text) and has_lone_surrogate(value):
            raise ApiError(
                400,
                "bad_encoding",
                "the body escapes a lone UTF-16 surrogate (\\ud800-\\udfff), which is not text",
            )
        return value
    except UnicodeDecodeError:
        raise ApiError(400, "bad_encoding", "the body is not valid UTF-8") from None
    except RecursionError:
        raise ApiError(400, "malformed_json", "the JSON body is nested too deeply") from None
    except ValueError as error:
        raise ApiError(400, "malformed_json", f"the body is not valid JSON: {error}") from None


def has_lone_surrogate(value: Any) -> bool:
    """JSON can spell a lone surrogate as an escape; such a string cannot be encoded
    (storage, logs, responses) and must be refused at the edge. A valid pair is decoded
    by json.loads into one character, so any surrogate left is a lone one."""
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


READ_ONLY_POSTS = frozenset({"/v1/decisions", "/v1/decisions/batch"})
# Writes whose use case reads the views before it writes anything: their revocation probe
# rides that read too, and the use case answers it before it writes if the read did not
# (DecisionService.authorize, `answer_revocation_probe`). One round trip less each.
PROBED_WRITES = frozenset({"/v1/authorizations"})


def _reads_only(req: Request) -> bool:
    return req.method in ("GET", "HEAD") or (req.method == "POST" and req.path in READ_ONLY_POSTS)


def _probed(req: Request) -> bool:
    """Whether the revocation is asked with the request's first view read."""
    return _reads_only(req) or (req.method == "POST" and req.path in PROBED_WRITES)


def token_revoked() -> ApiError:
    return ApiError(
        401,
        "token_revoked",
        "the token has been revoked",
        headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
    )


def new_request_id() -> str:
    """32 random hex digits (as `uuid4().hex` gave, without building the UUID)."""
    return os.urandom(16).hex()


def install_guards(app: Flask, verifier: TokenVerifier, limiter: Limiter) -> None:
    scopes: dict[tuple[str, str], str | tuple[str, ...] | None] = {}

    def scope_of(req: Request) -> str | tuple[str, ...] | None:
        """`required_scope`, looked up once per (endpoint, method): views are fixed."""
        key = (req.endpoint or "", req.method)
        if key not in scopes:
            scopes[key] = required_scope(current_app, req)
        return scopes[key]

    @app.before_request
    def guard() -> None:
        req: Request = request._get_current_object()  # type: ignore[attr-defined]
        context = g._get_current_object()
        path = req.path
        revocation_probe.set(None)
        context.request_id = req.headers.get("X-Request-Id", "")[:64] or new_request_id()
        bind_request_id(context.request_id)  # links and webhooks record it too
        req.max_content_length = body_limit(path)
        if not path.startswith("/v1/"):
            return
        principal: Principal = verifier.verify(req.headers.get("Authorization"))
        if principal.jti is not None and req.endpoint is not None and _probed(req):
            # asked in the request's first view read (one statement), else after the view
            revocation_probe.set(RevocationProbe(principal.tenant, principal.jti))
        else:
            _refuse_revoked(principal)
        if req.endpoint is None:
            return  # unknown /v1 routes still need a valid token first, then 404
        context.principal = principal
        scope = scope_of(req)
        if isinstance(scope, tuple) and principal.scopes.isdisjoint(scope):
            raise ApiError(
                403,
                "insufficient_scope",
                f"this operation needs one of the scopes {', '.join(scope)}",
                {"required_scope": scope[0], "any_of": list(scope)},
            )
        if isinstance(scope, str) and scope not in principal.scopes:
            raise ApiError(
                403,
                "insufficient_scope",
                f"this operation needs the {scope!r} scope",
                {"required_scope": scope},
            )
        if path != "/v1/opt-outs":  # an opt-out is never refused
            limiter.check(f"token:{principal.tenant}:{principal.actor}", public=False)
        if req.method in ("POST", "PUT", "PATCH"):
            _check_body(req)

    def _refuse_revoked(principal: Principal) -> None:
        """A request that writes reads the revocation first, by primary key: a revocation
        written by any worker is seen by the next request anywhere."""
        if principal.jti is None:
            return
        if current_app.extensions["services"].tokens.is_revoked(principal.tenant, principal.jti):
            raise token_revoked()

    @app.after_request
    def revoked_after_all(response: Response) -> Response:
        """A reading request whose view read did not answer the probe asks now, before
        anything is sent."""
        probe = revocation_probe.get()
        if probe is None or probe.answered:
            return response
        probe.answered = True
        if current_app.extensions["services"].tokens.is_revoked(probe.tenant, probe.jti):
            return error_response(401, "token_revoked", "the token has been revoked", {},
                                  token_revoked().headers)  # fmt: skip
        return response

    @app.errorhandler(TokenRevokedError)
    def revoked_in_read(_error: TokenRevokedError) -> Response:
        return error_response(401, "token_revoked", "the token has been revoked", {},
                              token_revoked().headers)  # fmt: skip

    def _check_body(req: Request) -> None:
        length = req.content_length
        if length is not None and length > body_limit(req.path):
            raise ApiError(
                413,
                "payload_too_large",
                "the request body is too large",
                {"limit_bytes": body_limit(req.path)},
            )
        raw = req.get_data(cache=True)  # raises 413 past max_content_length
        if req.path.startswith("/v1/consents/import"):
            return
        if not raw:
            return
        if req.mimetype not in JSON_TYPES:
            raise ApiError(
                415,
                "unsupported_media_type",
                "the body must be application/json",
                {"content_type": req.mimetype or None},
            )
        g.json_body = parse_json_body(req)  # the views' arguments are loaded from it
