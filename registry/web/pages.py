"""Registers the customer-facing opt-out pages with the real registry behind them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from flask import Flask, current_app, request

from registry.domain.base import acting_as
from registry.domain.vocabulary import ACTOR_LINK
from registry.usecases.container import Services
from registry.web.optout import create_optout_blueprint


class RegistryOptOutService:
    """The opt-out pages' view of the registry: withdrawals by link, the business name."""

    def __init__(self, services: Services) -> None:
        self.services = services

    @property
    def link_key(self) -> bytes:
        return self.services.parts.keyring.link_key

    def display_name(self, tenant: str) -> str:
        return str(self.services.policies.policy(tenant)["display_name"])

    def withdraw_by_link(
        self, tenant: str, customer_id: str, channel: str, purposes: Sequence[str] | None
    ) -> int:
        chosen: list[str] | str = "all" if purposes is None else list(purposes)
        with acting_as(ACTOR_LINK):
            answer = self.services.consents.opt_out(
                tenant, customer_id, channel, chosen, {"kind": "link"}
            )
        return int(answer["position"])


def register(app: Flask, api: Any) -> None:
    def service() -> RegistryOptOutService:
        return RegistryOptOutService(cast(Services, current_app.extensions["services"]))

    limiter = app.extensions.get("rate_limiter")

    @app.before_request
    def protect_public_pages() -> None:
        # GETs of /u pages are throttled per client address; POSTs (genuine opt-outs) never are.
        if limiter is not None and request.path.startswith("/u/") and request.method == "GET":
            limiter.check(f"public:{request.remote_addr}", public=True)

    app.register_blueprint(create_optout_blueprint(service))
