"""The console's one door into the registry: the same use cases the API calls.

Everything the pages read or change goes through here, so that the API and the console
cannot drift apart. Part-two features (outcomes and stats, limits, reports, experiments)
are reached only when the registry has them; until then `None` tells the page to say
plainly that the feature is not built yet.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from registry.domain.tenant import tenant_aggregate_id
from registry.service import Registry
from registry.usecases.console import ConsoleSessions, CustomerLookup

HISTORY_PAGE = 100


class Backend:
    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self.sessions = ConsoleSessions(registry.db)
        self.lookup = CustomerLookup(registry.db, registry.keyring.blind_index_key)

    @property
    def master_key(self) -> bytes:
        return self.registry.keyring.master_data_key

    # ---- templates ---------------------------------------------------------------

    def templates(self, tenant: str) -> list[dict[str, Any]]:
        return list(self.registry.templates(tenant)["templates"])

    def template(self, tenant: str, name: str, language: str) -> dict[str, Any]:
        return self.registry.template(tenant, name, language)

    def template_history(
        self, tenant: str, name: str, language: str, after: int, limit: int = HISTORY_PAGE
    ) -> list[dict[str, Any]]:
        answer = self.registry.template_history(
            tenant, name, language, limit=limit, after_position=after
        )
        return list(answer["events"])

    def template_events(self, tenant: str, name: str, language: str) -> Iterator[dict[str, Any]]:
        """Every event of the template, oldest first, a page at a time."""
        after = 0
        while True:
            page = self.template_history(tenant, name, language, after, 1000)
            yield from page
            if len(page) < 1000:
                return
            after = int(page[-1]["position"])

    def change_template(
        self, tenant: str, name: str, language: str, action: str, **kwargs: Any
    ) -> dict[str, Any]:
        return self.registry.change_template(tenant, name, language, action, **kwargs)

    def template_stats(self, tenant: str, name: str, language: str) -> dict[str, Any] | None:
        """R-OUTCOME stats, or None while outcomes are not built on this server."""
        stats = getattr(self.registry, "template_stats", None)
        if stats is None:
            return None
        return dict(stats(tenant, name, language))

    # ---- customers ---------------------------------------------------------------

    def customer(self, tenant: str, customer_id: str) -> dict[str, Any]:
        return self.registry.customer(tenant, customer_id)

    def customer_history(self, tenant: str, customer_id: str, after: int) -> list[dict[str, Any]]:
        answer = self.registry.customer_history(
            tenant, customer_id, limit=HISTORY_PAGE, after_position=after
        )
        return list(answer["events"])

    def customer_id_by_phone(self, tenant: str, phone: str) -> str | None:
        return self.lookup.customer_id_by_phone(tenant, phone)

    def erase(self, tenant: str, customer_id: str, reason: str | None) -> dict[str, Any]:
        return self.registry.erase(tenant, customer_id, reason)

    # ---- policy --------------------------------------------------------------------

    def policy(self, tenant: str) -> dict[str, Any]:
        return self.registry.policy(tenant)

    def replace_policy(self, tenant: str, document: dict[str, Any]) -> dict[str, Any]:
        return self.registry.replace_policy(tenant, document)

    def policy_history(self, tenant: str) -> list[dict[str, Any]]:
        """Every policy the tenant has had, oldest first (integration events left out:
        they carry sealed secrets and are not the policy)."""
        found: list[dict[str, Any]] = []
        after = 0
        while True:
            page = self.registry.aggregate_history(
                str(tenant_aggregate_id(tenant)), after_position=after, limit=1000
            )
            found.extend(e for e in page if e["type"] == "Tenant.PolicyReplaced")
            if len(page) < 1000:
                return found
            after = int(page[-1]["position"])

    # ---- audit ---------------------------------------------------------------------

    def checkpoint(self, tenant: str) -> dict[str, Any]:
        return self.registry.checkpoint(tenant)

    def export(self, tenant: str, filters: dict[str, Any], fmt: str) -> Iterator[str]:
        return self.registry.export(tenant, filters, fmt)

    @property
    def public_key_pem(self) -> str:
        return self.registry.keyring.public_key_pem

    # ---- part two, when built ---------------------------------------------------------

    def limits(self, tenant: str) -> dict[str, Any] | None:
        limits = getattr(self.registry, "limits", None)
        return None if limits is None else dict(limits(tenant))

    def has_reports(self) -> bool:
        return hasattr(self.registry, "monthly_report")

    def has_experiments(self) -> bool:
        return hasattr(self.registry, "experiment")
