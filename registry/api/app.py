"""create_app: the Flask application with every resource, guard and error handler."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
from flask import Flask, Response, g, jsonify, request
from flask.json.provider import DefaultJSONProvider
from flask_smorest import Api

from registry import metrics as figures
from registry.api.auth import TokenVerifier, load_public_keys
from registry.api.docs import register_docs
from registry.api.errors import ErrorEnvelopeSchema, error_response, register_error_handlers
from registry.api.guards import install_guards
from registry.api.logs import configure_logging, log_request
from registry.api.openapi import RegistryMarshmallowPlugin
from registry.api.paths import install_path_guard
from registry.api.queries import install_query_guard
from registry.api.ratelimit import build_limiter
from registry.application import Registry
from registry.clock import Clock
from registry.config import Settings, load_settings
from registry.memory import TRIM_AFTER_BODY_BYTES, release_freed_memory


class RegistryJSONProvider(DefaultJSONProvider):
    """Every JSON answer (views, errors, the OpenAPI description) writes non-ASCII text
    as UTF-8, not as `\\u` escapes (SPEC §18), in the order the view built it.

    Responses are written by orjson, which writes the same compact text as `json.dumps`
    with these settings several times faster (a float's exponent unpadded: `1e-7`, the same
    number); dates, decimals and dataclasses still go through Flask's own conversion, and
    anything orjson refuses (an integer past 64 bits, a non-string key, a lone surrogate)
    is written by `json` as before (tests/unit/test_json_answers_text.py)."""

    ensure_ascii = False
    sort_keys = False
    ORJSON_OPTIONS = (
        orjson.OPT_PASSTHROUGH_DATETIME
        | orjson.OPT_PASSTHROUGH_DATACLASS
        | orjson.OPT_PASSTHROUGH_SUBCLASS
    )

    COMPACT: dict[str, Any] = {"separators": (",", ":")}

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        if kwargs == self.COMPACT:  # a response's text (in debug mode it asks for indent)
            try:
                return orjson.dumps(obj, default=self.default, option=self.ORJSON_OPTIONS).decode()
            except TypeError:
                pass
        return super().dumps(obj, **kwargs)


class RegistryFlask(Flask):
    """The registry has no async views: every handler is called as it is, without
    Flask's per-call coroutine check (ten `inspect` calls per request)."""

    json_provider_class = RegistryJSONProvider

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        return func


class RegistryApi(Api):  # type: ignore[misc]
    """Documents error responses in the R-ERRORS shape the handlers actually send, each
    status an operation can answer (`registry.api.openapi`), and no catch-all default."""

    ERROR_SCHEMA = ErrorEnvelopeSchema
    DEFAULT_ERROR_RESPONSE_NAME = None


def create_app(
    settings: Settings | None = None, registry: Registry | None = None, clock: Clock | None = None
) -> Flask:
    from registry.bootstrap import build_registry, build_services, readiness
    from registry.clock import SYSTEM_CLOCK

    settings = settings or load_settings()
    registry = registry or build_registry(settings)
    app = RegistryFlask("registry")
    app.config.update(
        API_TITLE="Consent & Template Governance Registry",
        API_VERSION="1.0",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH=None,
        REGISTRY_MAX_REQUEST_AGE_SECONDS=settings.max_request_age_seconds,
        JSON_SORT_KEYS=False,
        MAX_CONTENT_LENGTH=64 * 1024 * 1024,
    )
    app.extensions["registry"] = registry
    app.extensions["services"] = build_services(registry, clock or SYSTEM_CLOCK, settings)
    app.extensions["settings"] = settings
    api = RegistryApi(
        app,
        spec_kwargs={
            "marshmallow_plugin": RegistryMarshmallowPlugin(app),
            "components": {
                "securitySchemes": {
                    "bearer": {
                        "type": "http",
                        "scheme": "bearer",
                        "bearerFormat": "JWT",
                        "description": "A JWT (HS256 with the registry's secret, or RS256/"
                        "EdDSA with a configured public key) with `sub`, `tenant`, `scope` "
                        "(space-separated) and `exp` (R-AUTH). Each operation lists the "
                        "scopes that open it under `x-required-scopes`: any one of them.",
                    }
                }
            },
            "security": [{"bearer": []}],
        },
    )
    register_error_handlers(app)
    metrics_dir = _install_request_hooks(app, settings)  # first: timed from the guards on
    verifier = TokenVerifier(
        settings.jwt_secret,
        load_public_keys(settings.jwt_public_keys_file),
        audience=settings.jwt_audience,
        issuer=settings.jwt_issuer,
    )
    limiter = build_limiter(settings.rate_limits)
    app.extensions["rate_limiter"] = limiter
    app.extensions["token_verifier"] = verifier  # the console verifies with the same one
    install_guards(app, verifier, limiter)
    install_query_guard(app)  # after the token guard: 401 and 403 come first
    install_path_guard(app)

    from registry.api.changes.views import blp as changes
    from registry.api.consents.views import blp as consents
    from registry.api.customers.views import blp as customers
    from registry.api.decisions.views import blp as decisions
    from registry.api.experiments.views import blp as experiments
    from registry.api.outcomes.views import blp as outcomes
    from registry.api.policy.views import blp as policy
    from registry.api.templates.views import blp as templates
    from registry.api.tokens.views import blp as tokens

    for blueprint in (
        consents,
        customers,
        templates,
        policy,
        decisions,
        changes,
        tokens,
        outcomes,
        experiments,
    ):
        api.register_blueprint(blueprint)
    _register_operational_routes(app, registry, settings, readiness, metrics_dir)
    register_docs(app, api)
    _register_optional(app, api)
    return app


def _register_optional(app: Flask, api: Api) -> None:
    """Resources that live in their own packages (web pages, webhooks, audit)."""
    import importlib

    for module_name, attribute in (
        ("registry.web.pages", "register"),
        ("registry.web.confirm_pages", "register"),
        ("registry.web.console", "register"),
        ("registry.api.integrations.views", "register"),
        ("registry.api.audit.views", "register"),
        ("registry.api.reports.views", "register"),
    ):
        getattr(importlib.import_module(module_name), attribute)(app, api)


def _install_request_hooks(app: Flask, settings: Settings) -> Path | None:
    """Before every other hook, the timer; after every other (so that it sees the answer
    that is sent, a late refusal included), one hook that counts the request, stamps its
    id on the answer and writes its log line, from one reading of the route and clock."""
    configure_logging()
    metrics_dir = figures.configure(settings.var_dir)

    @app.before_request
    def start_timer() -> None:
        g.started = time.perf_counter()

    @app.after_request
    def observe(response: Response) -> Response:
        req, context = request._get_current_object(), g._get_current_object()  # type: ignore[attr-defined]
        route = req.url_rule.rule if req.url_rule is not None else "<unmatched>"
        started = context.get("started")
        seconds = None if started is None else time.perf_counter() - started
        status = response.status_code
        figures.observe_request(req.method, route, status, seconds)
        request_id = context.get("request_id", "")
        response.headers["X-Request-Id"] = request_id
        log_request(request_id, req.method, route, status, seconds, context.get("principal"))
        return response

    @app.teardown_request
    def release_memory_after_large_bodies(_error: BaseException | None) -> None:
        if (request.content_length or 0) >= TRIM_AFTER_BODY_BYTES:
            release_freed_memory()

    return metrics_dir


def _register_operational_routes(
    app: Flask, registry: Registry, settings: Settings, readiness: Any, metrics_dir: Path | None
) -> None:
    @app.get("/healthz")
    def healthz() -> Response:
        return jsonify({"status": "ok"})

    @app.get("/readyz")
    def readyz() -> Response:
        try:
            return jsonify({"status": "ready", **readiness(registry, settings)})
        except Exception as error:  # the database is unreachable: not ready
            return error_response(
                503, "not_ready", f"the database is not reachable: {type(error).__name__}"
            )

    def log_position() -> int:
        with registry.db.transaction() as sql:
            return registry.db.max_position(sql)

    @app.get("/metrics")
    def metrics() -> Response:
        """One view of every worker (registry.metrics)."""
        return Response(
            figures.exposition(metrics_dir, log_position), mimetype=figures.CONTENT_TYPE
        )
