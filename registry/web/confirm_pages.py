"""Registers the double opt-in pages (`/c/<token>`) with the registry's services behind them."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from flask import Flask, current_app, request

from registry.confirm_links import ConfirmClaims
from registry.usecases.confirmations import LinkState
from registry.usecases.container import Services
from registry.web.confirm import create_confirm_blueprint


class RegistryConfirmService:
    def __init__(self, services: Services) -> None:
        self.services = services

    @property
    def link_key(self) -> bytes:
        return self.services.confirmations.link_key

    def now(self) -> datetime:
        return self.services.parts.clock.now()

    def display_name(self, tenant: str) -> str:
        return str(self.services.policies.policy(tenant)["display_name"])

    def link_state(self, claims: ConfirmClaims) -> LinkState | None:
        return self.services.confirmations.link_state(claims)

    def confirm_by_link(
        self, claims: ConfirmClaims, *, ip: str | None, user_agent: str | None
    ) -> Any:
        return self.services.confirmations.confirm_by_link(claims, ip=ip, user_agent=user_agent)


def register(app: Flask, api: Any) -> None:
    def service() -> RegistryConfirmService:
        return RegistryConfirmService(cast(Services, current_app.extensions["services"]))

    limiter = app.extensions.get("rate_limiter")

    @app.before_request
    def protect_confirmation_pages() -> None:
        if limiter is not None and request.path.startswith("/c/") and request.method == "GET":
            limiter.check(f"public:{request.remote_addr}", public=True)

    app.register_blueprint(create_confirm_blueprint(service))
