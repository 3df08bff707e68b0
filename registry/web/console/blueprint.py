"""The console blueprint: sign-in, sign-out, the language switch, the guard every page
passes, and the HTML error pages (the console never answers with the API's JSON)."""

from __future__ import annotations

import secrets
import time
import uuid
from collections.abc import Callable
from typing import Any

import jwt
from flask import (
    Blueprint,
    Response,
    current_app,
    g,
    redirect,
    request,
    session,
    url_for,
)
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from registry.api.auth import TokenVerifier
from registry.api.errors import ApiError
from registry.api.ratelimit import RateLimiter
from registry.domain.exceptions import (
    Conflict,
    CustomerErased,
    DomainError,
    FourEyesViolation,
    InvalidRequest,
    NotFound,
)
from registry.querystrings import QueryRefused, takes_query
from registry.web.console.access import ScopeMissing
from registry.web.console.backend import Backend
from registry.web.console.pages import register_pages
from registry.web.console.render import (
    LANGUAGES,
    BadValues,
    UnknownParameters,
    allow_fields,
    figure,
    page,
    safe_back,
    when,
)
from registry.web.console.session import COOKIE_PATH, session_end

PUBLIC_ENDPOINTS = frozenset(
    {"console.sign_in", "console.sign_in_form", "console.language", "console.static"}
)


def create_console_blueprint(
    backend_factory: Callable[[], Backend],
    verifier: TokenVerifier,
    limiter: RateLimiter | None,
    *,
    clock: Callable[[], float] = time.time,
) -> Blueprint:
    bp = Blueprint(
        "console",
        __name__,
        url_prefix=COOKIE_PATH,
        template_folder="templates",
        static_folder="static",
        static_url_path="/static",
    )

    @bp.before_request
    def guard() -> Any:
        g.console_backend = backend_factory()
        g.lang = _language()
        if request.endpoint in PUBLIC_ENDPOINTS:
            if request.method == "POST":
                current_app.extensions["csrf"].protect()
            return None
        principal = _signed_in(verifier, clock)
        if principal is None:
            if g.get("console_session_dropped"):
                return redirect(url_for("console.sign_in_form", ended="1"), 303)
            return redirect(url_for("console.sign_in_form"), 303)
        g.console_principal = principal
        g.principal = principal  # the request log names tenant and actor, as for /v1
        if limiter is not None:
            limiter.check(f"token:{principal.tenant}:{principal.actor}", public=False)
        if request.method == "POST":
            current_app.extensions["csrf"].protect()
        return None

    @bp.after_request
    def protect(response: Response) -> Response:
        response.headers.setdefault(  # a page may narrow or widen it (the report's charts)
            "Content-Security-Policy",
            "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
            "frame-ancestors 'none'; base-uri 'none'",
        )
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["X-Robots-Tag"] = "noindex, nofollow"
        if request.endpoint != "console.static":
            response.headers["Cache-Control"] = "no-store"
        return response

    @bp.get("/sign-in")
    @takes_query("ended")
    def sign_in_form() -> Any:
        if _signed_in(verifier, clock) is not None:
            return redirect(url_for("console.home"), 303)
        ended = request.args.get("ended") == "1" or bool(g.get("console_session_dropped"))
        return page("sign_in.html", expired=ended)

    @bp.post("/sign-in")
    @takes_query()
    def sign_in() -> Any:
        allow_fields("csrf_token", "token")
        token = request.form.get("token", "").strip()
        try:
            principal = verifier.verify(f"Bearer {token}")
        except ApiError as error:
            return page("sign_in.html", error=error.code, status=401)
        if g.console_backend.is_revoked(principal):
            return page("sign_in.html", error="token_revoked", status=401)
        claims = jwt.decode(token, options={"verify_signature": False})
        until = session_end(clock(), float(claims["exp"]))
        session.clear()  # a fresh session id and CSRF secret: no fixation
        session.update(
            sid=uuid.uuid4().hex + secrets.token_hex(8),
            token=token,
            until=until,
            tenant=principal.tenant,
        )
        return redirect(url_for("console.home"), 303)

    @bp.post("/sign-out")
    @takes_query()
    def sign_out() -> Any:
        allow_fields("csrf_token")
        principal = g.console_principal
        g.console_backend.sessions.sign_out(principal.tenant, session["sid"], principal.actor)
        session.clear()
        return page("signed_out.html")

    @bp.get("/language/<lang>")
    @takes_query("back")
    def language(lang: str) -> Any:
        chosen = lang if lang in LANGUAGES else "ru"
        response = redirect(safe_back(request.args.get("back")), 303)
        response.set_cookie(
            "registry_console_lang",
            chosen,
            max_age=365 * 86400,
            path=COOKIE_PATH,
            httponly=True,
            samesite="Strict",
            secure=request.is_secure,
        )
        return response

    @bp.get("")
    @bp.get("/")
    @takes_query()
    def home() -> Any:
        return page("home.html")

    bp.add_app_template_filter(when, "when")
    bp.add_app_template_filter(figure, "figure")
    register_pages(bp)

    @bp.route("/<path:unknown>", methods=["GET", "POST"])
    def not_found(unknown: str) -> Any:
        return page("error.html", kind="not_found", status=404)

    _register_error_pages(bp)
    return bp


def _language() -> str:
    chosen = request.cookies.get("registry_console_lang")
    if chosen in LANGUAGES:
        return str(chosen)
    return request.accept_languages.best_match(LANGUAGES, default="ru") or "ru"


def _signed_in(verifier: TokenVerifier, clock: Callable[[], float]) -> Any:
    """The token's principal, or None: no session, signed out, or the token no longer
    verifies (expired, revoked, altered)."""
    if not session:
        if session.modified:
            g.console_session_dropped = True
        return None
    token, sid, until = session.get("token"), session.get("sid"), session.get("until")
    if not isinstance(token, str) or not isinstance(sid, str) or not until:
        return None
    if until <= clock() or g.console_backend.sessions.is_signed_out(sid):
        session.clear()
        g.console_session_dropped = True
        return None
    try:
        principal = verifier.verify(f"Bearer {token}")
    except ApiError:
        principal = None
    if principal is None or g.console_backend.is_revoked(principal):
        session.clear()
        g.console_session_dropped = True
        return None
    if principal.tenant != session.get("tenant"):
        return None
    return principal


def _register_error_pages(bp: Blueprint) -> None:
    @bp.errorhandler(CSRFError)
    def csrf_failed(error: CSRFError) -> Any:
        return page("error.html", kind="csrf", status=400)

    @bp.errorhandler(QueryRefused)
    def query_refused(error: QueryRefused) -> Any:
        return page("error.html", kind="unknown_parameters", names=error.names, status=422)

    @bp.errorhandler(UnknownParameters)
    def unknown_parameters(error: UnknownParameters) -> Any:
        kind = "bad_values" if isinstance(error, BadValues) else "unknown_parameters"
        return page("error.html", kind=kind, names=error.names, status=422)

    @bp.errorhandler(ScopeMissing)
    def scope_missing(error: ScopeMissing) -> Any:
        return page("error.html", kind="scope", scopes=sorted(error.scopes), status=403)

    @bp.errorhandler(DomainError)
    def domain_error(error: DomainError) -> Any:
        if isinstance(error, NotFound):
            return page("error.html", kind="not_found", status=404)
        if isinstance(error, FourEyesViolation):
            return page("error.html", kind="four_eyes", status=403)
        if isinstance(error, CustomerErased):
            return page("error.html", kind="erased", status=409)
        if isinstance(error, Conflict):
            return page("error.html", kind="conflict", detail=error.message, status=409)
        if isinstance(error, InvalidRequest):
            return page("error.html", kind="invalid", detail=error.message, status=422)
        return page("error.html", kind="invalid", detail=error.message, status=422)

    @bp.errorhandler(ApiError)
    def api_error(error: ApiError) -> Any:
        response = page("error.html", kind="api", detail=error.message, status=error.status)
        for name, value in error.headers.items():
            response.headers[name] = value
        return response

    @bp.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Any:
        status = error.code or 400
        kind = "not_found" if status == 404 else "http"
        return page("error.html", kind=kind, detail=error.name, status=status)
