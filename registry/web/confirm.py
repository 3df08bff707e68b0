"""The double opt-in page behind the link in a grant's answer (SPEC §17, R-CONFIRM).

It works as the opt-out page does (registry/web/optout.py): `GET /c/<token>` only shows
what the customer is asked to confirm (link scanners follow GETs); `POST /c/<token>`
confirms, with actor `customer:link` and the browser's address and user agent as sealed
evidence. No login, no JavaScript, Russian or English (the grant's locale, else the
browser), and a forged, altered or expired link gets a 400 page in both languages that
changes nothing. Confirming twice is harmless: the second POST records nothing.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime
from typing import Any, Final, Protocol

from flask import Blueprint, Response, g, render_template, request, url_for

from registry.confirm_links import ConfirmClaims, InvalidConfirmLink, open_confirm_token
from registry.querystrings import QueryRefused, ignores_query
from registry.usecases.confirmations import LinkState
from registry.web.optout import CHANNEL_PHRASES, LANGUAGES, PURPOSE_NAMES

_USER_AGENT_KEPT: Final = 512


class ConfirmService(Protocol):
    @property
    def link_key(self) -> bytes: ...

    def now(self) -> datetime: ...

    def display_name(self, tenant: str) -> str: ...

    def link_state(self, claims: ConfirmClaims) -> LinkState | None: ...

    def confirm_by_link(
        self, claims: ConfirmClaims, *, ip: str | None, user_agent: str | None
    ) -> Any: ...


def create_confirm_blueprint(service_factory: Callable[[], ConfirmService]) -> Blueprint:
    """The `/c/<token>` pages; `service_factory()` gives the service for one request."""
    blueprint = Blueprint("confirm", __name__, template_folder="templates")

    def opened(service: ConfirmService, token: str) -> tuple[ConfirmClaims, LinkState] | None:
        try:
            claims = open_confirm_token(service.link_key, token, now=service.now())
        except InvalidConfirmLink:
            return None
        state = service.link_state(claims)
        if state is None or state.status == "expired":
            return None
        return claims, state

    @blueprint.get("/c/<token>")
    def show(token: str) -> tuple[str, int]:
        service = service_factory()
        found = opened(service, token)
        if found is None:
            return _invalid_page()
        claims, state = found
        template = "confirm_done.html" if state.status == "confirmed" else "confirm_ask.html"
        return _render(template, token, claims, state, service.display_name(claims.tenant)), 200

    @blueprint.post("/c/<token>")
    @ignores_query  # a confirmation click is not refused for what the URL carries
    def confirm(token: str) -> tuple[str, int]:
        service = service_factory()
        found = opened(service, token)
        if found is None:
            return _invalid_page()
        claims, state = found
        if state.status == "pending":
            agent = request.headers.get("User-Agent")
            service.confirm_by_link(
                claims,
                ip=request.remote_addr,
                user_agent=agent[:_USER_AGENT_KEPT] if agent else None,
            )
        page = _render(
            "confirm_done.html", token, claims, state, service.display_name(claims.tenant)
        )
        return page, 200

    @blueprint.errorhandler(QueryRefused)
    def unexpected_query(error: QueryRefused) -> tuple[str, int]:
        """Our links carry no query: something changed this one. Nothing changes; the page
        names what was added and links to the address without it (a 422, SPEC §18)."""
        lang = _browser_language()
        page = render_template(
            "changed_link.html",
            lang=lang,
            order=(lang, "en" if lang == "ru" else "ru"),
            nonce=_style_nonce(),
            names=error.names,
            clean_url=url_for(".show", token=(request.view_args or {}).get("token", "")),
        )
        return page, 422

    @blueprint.after_request
    def protect(response: Response) -> Response:
        nonce = g.get("confirm_style_nonce")
        style_src = f"'nonce-{nonce}'" if nonce else "'none'"
        response.headers["Content-Security-Policy"] = (
            f"default-src 'none'; style-src {style_src}; form-action 'self'; "
            "frame-ancestors 'none'; base-uri 'none'"
        )
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["X-Robots-Tag"] = "noindex, nofollow"
        response.headers["Cache-Control"] = "no-store"
        return response

    return blueprint


def _browser_language() -> str:
    return request.accept_languages.best_match(LANGUAGES, default="ru") or "ru"


def _style_nonce() -> str:
    nonce = secrets.token_urlsafe(16)
    g.confirm_style_nonce = nonce
    return nonce


def _render(
    template: str, token: str, claims: ConfirmClaims, state: LinkState, display_name: str
) -> str:
    lang = claims.lang or _browser_language()
    return render_template(
        template,
        lang=lang,
        nonce=_style_nonce(),
        business=display_name.strip() or "—",
        action=url_for(".confirm", token=token),
        purposes=[PURPOSE_NAMES[lang][p] for p in state.purposes],
        channel_phrase=CHANNEL_PHRASES[lang][state.channel],
    )


def _invalid_page() -> tuple[str, int]:
    lang = _browser_language()
    other = "en" if lang == "ru" else "ru"
    return render_template(
        "confirm_invalid.html", lang=lang, order=(lang, other), nonce=_style_nonce()
    ), 400
