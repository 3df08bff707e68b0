"""The console's session cookie (SPEC §15, §19).

The whole session travels in one cookie, sealed with AES-GCM under a key derived from the
registry's master key (so every worker opens it and nobody can read or forge it): the session
id, the API token it was opened with (re-verified on every request exactly as `/v1` verifies
it), the moment it ends, and Flask-WTF's CSRF secret. The cookie is `HttpOnly`,
`SameSite=Strict`, limited to `/console`, `Secure` when the request came over https (or the
registry's public URL is https), and sets `Max-Age` to the seconds left: at most 8 h after
sign-in and never past the token's `exp`. A cookie that does not open, or whose end has
passed, is no session at all.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Final

from flask import Flask, Request, Response
from flask.sessions import SecureCookieSession, SessionInterface, SessionMixin

from registry.crypto import Unreadable, open_sealed, seal

COOKIE_NAME: Final = "registry_console"
COOKIE_PATH: Final = "/console"
SESSION_HOURS: Final = 8
MAX_SESSION_SECONDS: Final = SESSION_HOURS * 3600
# Before sign-in the cookie only carries the sign-in form's CSRF secret.
ANONYMOUS_SECONDS: Final = 3600
_CONTEXT: Final = "registry console session"


def is_console_path(path: str) -> bool:
    return path == COOKIE_PATH or path.startswith(COOKIE_PATH + "/")


class ConsoleSession(SecureCookieSession):
    """`until` (epoch seconds) is when the session stops opening anything."""


class ConsoleSessionInterface(SessionInterface):
    session_class = ConsoleSession

    def __init__(
        self, key: bytes, *, secure_always: bool, clock: Callable[[], float] = time.time
    ) -> None:
        self.key = key
        self.secure_always = secure_always
        self.clock = clock

    def open_session(self, app: Flask, request: Request) -> ConsoleSession:
        if not is_console_path(request.path):
            return self.session_class()
        raw = request.cookies.get(COOKIE_NAME)
        if not raw:
            return self.session_class()
        try:
            data = json.loads(open_sealed(self.key, raw, context=_CONTEXT))
        except (Unreadable, ValueError):
            return self._dropped()
        if not isinstance(data, dict) or not isinstance(data.get("until"), int | float):
            return self._dropped()
        if data["until"] <= self.clock():
            return self._dropped()
        return self.session_class(data)

    def _dropped(self) -> ConsoleSession:
        """A forged, damaged or ended cookie: an empty session that clears it."""
        session = self.session_class()
        session.modified = True
        return session

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        from flask import request

        if not is_console_path(request.path) or not session.modified:
            return
        secure = self.secure_always or request.is_secure
        if not session:
            response.delete_cookie(
                COOKIE_NAME, path=COOKIE_PATH, secure=secure, httponly=True, samesite="Strict"
            )
            return
        now = self.clock()
        if not isinstance(session.get("until"), int | float):
            session["until"] = int(now) + ANONYMOUS_SECONDS
        max_age = int(session["until"] - now)
        if max_age <= 0:
            response.delete_cookie(
                COOKIE_NAME, path=COOKIE_PATH, secure=secure, httponly=True, samesite="Strict"
            )
            return
        value = seal(self.key, json.dumps(dict(session), separators=(",", ":")), context=_CONTEXT)
        response.set_cookie(
            COOKIE_NAME,
            value,
            max_age=max_age,
            path=COOKIE_PATH,
            secure=secure,
            httponly=True,
            samesite="Strict",
        )
        response.vary.add("Cookie")


def session_end(now: float, token_expires: float) -> int:
    """At most 8 hours from now, and never past the token's `exp`."""
    return int(min(now + MAX_SESSION_SECONDS, token_expires))
