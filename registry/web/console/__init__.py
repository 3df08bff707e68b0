"""The compliance console (SPEC §15, R-CONSOLE): server-rendered pages under `/console`.

`register(app, api)` is called by the app factory (registry/api/app.py). It installs the
console's encrypted session cookie, Flask-WTF's CSRF protection for the console's POST forms
only (the API and the customers' opt-out pages are left as they are), and the pages.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_wtf.csrf import CSRFProtect

from registry.api.auth import TokenVerifier, load_public_keys
from registry.keys import derive
from registry.web.console.blueprint import create_console_blueprint
from registry.web.console.session import MAX_SESSION_SECONDS, ConsoleSessionInterface


def register(app: Flask, api: Any) -> None:
    from registry.web.console.backend import Backend

    settings = app.extensions["settings"]
    services = app.extensions["services"]
    master = services.parts.keyring.master_data_key
    app.session_interface = ConsoleSessionInterface(
        derive(master, "registry console session cookie"),
        secure_always=str(settings.public_url).startswith("https://"),
    )
    app.config.update(
        WTF_CSRF_SECRET_KEY=derive(master, "registry console csrf"),
        WTF_CSRF_CHECK_DEFAULT=False,  # only the console's forms; see blueprint.py
        WTF_CSRF_TIME_LIMIT=MAX_SESSION_SECONDS,
    )
    CSRFProtect(app)
    verifier = app.extensions.get("token_verifier") or TokenVerifier(
        settings.jwt_secret, load_public_keys(settings.jwt_public_keys_file)
    )
    app.register_blueprint(
        create_console_blueprint(
            lambda: Backend(app.extensions["services"]),
            verifier,
            app.extensions.get("rate_limiter"),
        )
    )
