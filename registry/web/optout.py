"""The customer's opt-out pages behind the link in a message (SPEC R-OPTOUT).

`GET /u/<token>` only shows what will stop (link scanners follow GETs); `POST /u/<token>`
withdraws. Our links carry no query string: a GET with one is a 422 page that links to the
address without it, while a POST withdraws whatever its URL carries. The POST takes no login and no CSRF token: the unguessable token in the URL is the
credential, as RFC 8058 one-click unsubscribe requires (the mail provider posts
`List-Unsubscribe=One-Click` without cookies and must not be redirected). An opt-out is
never refused for the shape of its body: anything but `scope=channel` stops the link's
purposes.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Final, Protocol

from flask import Blueprint, Response, g, render_template, request, url_for
from werkzeug.exceptions import HTTPException

from registry.querystrings import QueryRefused, ignores_query
from registry.web.optout_token import InvalidLink, LinkClaims, open_token

LANGUAGES: Final = ("ru", "en")
_FORM_BODY_LIMIT: Final = 64 * 1024

PURPOSE_NAMES: Final[Mapping[str, Mapping[str, str]]] = {
    "ru": {
        "recommendations": "рекомендации",
        "alerts": "уведомления",
        "promotions": "акции и предложения",
        "reminders": "напоминания",
        "service": "сервисные сообщения",
        "authentication": "коды подтверждения",
    },
    "en": {
        "recommendations": "recommendations",
        "alerts": "alerts",
        "promotions": "promotions and offers",
        "reminders": "reminders",
        "service": "service messages",
        "authentication": "verification codes",
    },
}
# "in WhatsApp", "by SMS": the preposition depends on the channel in both languages.
CHANNEL_PHRASES: Final[Mapping[str, Mapping[str, str]]] = {
    "ru": {
        "whatsapp": "в WhatsApp",
        "sms": "по SMS",
        "viber": "в Viber",
        "telegram": "в Telegram",
        "email": "по электронной почте",
    },
    "en": {
        "whatsapp": "on WhatsApp",
        "sms": "by SMS",
        "viber": "on Viber",
        "telegram": "on Telegram",
        "email": "by e-mail",
    },
}


class OptOutService(Protocol):
    """What the pages need from the application (the real one is built by the app)."""

    @property
    def link_key(self) -> bytes: ...

    def display_name(self, tenant: str) -> str: ...

    def withdraw_by_link(
        self, tenant: str, customer_id: str, channel: str, purposes: Sequence[str] | None
    ) -> int:
        """Withdraw `purposes` (None: every purpose on the channel) with source kind `link`
        and actor `customer:link`; return the position of the last event recorded."""
        ...


def create_optout_blueprint(
    service_factory: Callable[[], OptOutService],
    *,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> Blueprint:
    """The `/u/<token>` pages.

    `service_factory` is called once per request (the link key may rotate with the app's
    configuration); `clock` is injectable so tests can make links expire.
    """
    blueprint = Blueprint("optout", __name__, template_folder="templates")

    @blueprint.get("/u/<token>")
    def confirm(token: str) -> tuple[str, int]:
        service = service_factory()
        claims = _open(service.link_key, token, clock())
        if claims is None:
            return _invalid_page()
        page = _render("optout_confirm.html", token, claims, service.display_name(claims.tenant))
        return page, 200

    @blueprint.post("/u/<token>")
    @ignores_query  # an opt-out is never refused, whatever the URL carries
    def unsubscribe(token: str) -> tuple[str, int]:
        service = service_factory()
        claims = _open(service.link_key, token, clock())
        if claims is None:
            return _invalid_page()
        whole_channel = _requested_scope() == "channel"
        purposes = None if whole_channel else claims.purposes
        service.withdraw_by_link(claims.tenant, claims.customer_id, claims.channel, purposes)
        page = _render(
            "optout_done.html",
            token,
            claims,
            service.display_name(claims.tenant),
            whole_channel=whole_channel,
        )
        return page, 200

    @blueprint.errorhandler(QueryRefused)
    def unexpected_query(error: QueryRefused) -> tuple[str, int]:
        """`GET /u/<token>?…`: our links carry no query, so something changed the link.
        The page says what was added and links to the address without it (SPEC §18)."""
        lang = _browser_language()
        token = (request.view_args or {}).get("token", "")
        page = render_template(
            "changed_link.html",
            lang=lang,
            order=(lang, "en" if lang == "ru" else "ru"),
            nonce=_style_nonce(),
            names=error.names,
            clean_url=url_for(".confirm", token=token),
        )
        return page, 422

    @blueprint.after_request
    def protect(response: Response) -> Response:
        nonce = g.get("optout_style_nonce")
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


def _open(link_key: bytes, token: str, now: datetime) -> LinkClaims | None:
    """None for a forged, altered or expired link: the page does not say which."""
    try:
        return open_token(link_key, token, now=now)
    except InvalidLink:
        return None


def _requested_scope() -> str:
    """The `scope` form field; a body that cannot be read still unsubscribes (narrowly)."""
    request.max_content_length = _FORM_BODY_LIMIT
    try:
        return request.form.get("scope", "purposes")
    except HTTPException:
        return "purposes"


def _browser_language() -> str:
    """Russian unless the browser prefers English: the registry serves the Russian market."""
    return request.accept_languages.best_match(LANGUAGES, default="ru") or "ru"


def _style_nonce() -> str:
    nonce = secrets.token_urlsafe(16)
    g.optout_style_nonce = nonce
    return nonce


def _render(
    template: str,
    token: str,
    claims: LinkClaims,
    display_name: str,
    *,
    whole_channel: bool = False,
) -> str:
    lang = claims.lang or _browser_language()
    return render_template(
        template,
        lang=lang,
        nonce=_style_nonce(),
        business=display_name.strip() or "—",
        action=url_for(".unsubscribe", token=token),
        purposes=[PURPOSE_NAMES[lang][p] for p in claims.purposes],
        service_continues=not whole_channel and "service" not in claims.purposes,
        channel_phrase=CHANNEL_PHRASES[lang][claims.channel],
        whole_channel=whole_channel,
    )


def _invalid_page() -> tuple[str, int]:
    lang = _browser_language()
    other = "en" if lang == "ru" else "ru"
    return render_template(
        "optout_invalid.html", lang=lang, order=(lang, other), nonce=_style_nonce()
    ), 400
