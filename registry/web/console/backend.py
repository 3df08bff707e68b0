"""The console's one door into the registry: the same services the API calls
(`services()`, registry/usecases/container.py), plus the console's own queries.

Part-two features (outcome stats and limits, reports, experiments) are reached only when
the services container has them; until then `None` tells the page to say plainly that the
feature is not built yet, and no figure is shown.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from registry.api.auth import Principal
from registry.usecases.console import ConsoleQueries, ConsoleSessions
from registry.usecases.container import Services

HISTORY_PAGE = 100


class Backend:
    def __init__(self, services: Services) -> None:
        self.services = services
        parts = services.parts
        self.sessions = ConsoleSessions(parts.db, parts.clock)
        self.queries = ConsoleQueries(parts.db, parts.keyring.blind_index_key)

    def is_revoked(self, principal: Principal) -> bool:
        """As /v1 refuses a revoked token (a token without a jti cannot be revoked)."""
        if principal.jti is None:
            return False
        return bool(self.services.tokens.is_revoked(principal.tenant, principal.jti))

    # ---- templates ---------------------------------------------------------------

    def templates(self, tenant: str) -> list[dict[str, Any]]:
        return list(self.services.templates.templates(tenant)["templates"])

    def template(self, tenant: str, name: str, language: str) -> dict[str, Any]:
        return self.services.templates.template(tenant, name, language)

    def template_history(
        self, tenant: str, name: str, language: str, after: int, limit: int = HISTORY_PAGE
    ) -> list[dict[str, Any]]:
        answer = self.services.templates.template_history(
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
        return self.services.templates.change_template(tenant, name, language, action, **kwargs)

    def template_stats(self, tenant: str, name: str, language: str) -> dict[str, Any] | None:
        """R-OUTCOME stats over every send, or None while outcomes are not built here."""
        outcomes = getattr(self.services, "outcomes", None)
        if outcomes is None:
            return None
        return dict(outcomes.template_stats(tenant, name, language, None, None))

    # ---- customers ---------------------------------------------------------------

    def customer(self, tenant: str, customer_id: str) -> dict[str, Any]:
        return self.services.consents.customer(tenant, customer_id)

    def customer_history(self, tenant: str, customer_id: str, after: int) -> list[dict[str, Any]]:
        answer = self.services.consents.customer_history(
            tenant, customer_id, limit=HISTORY_PAGE, after_position=after
        )
        return list(answer["events"])

    def customer_id_by_phone(self, tenant: str, phone: str) -> str | None:
        return self.queries.customer_id_by_phone(tenant, phone)

    def erase(self, tenant: str, customer_id: str, reason: str | None) -> dict[str, Any]:
        return self.services.consents.erase(tenant, customer_id, reason)

    # ---- policy --------------------------------------------------------------------

    def policy(self, tenant: str) -> dict[str, Any]:
        return self.services.policies.policy(tenant)

    def replace_policy(self, tenant: str, document: dict[str, Any]) -> dict[str, Any]:
        return self.services.policies.replace_policy(tenant, document)

    def policy_history(self, tenant: str) -> list[dict[str, Any]]:
        """Every version, oldest first, from the API's own use case (GET /v1/policy/history)."""
        versions: list[dict[str, Any]] = []
        while True:
            after = versions[-1]["position"] if versions else 0
            page = self.services.policies.policy_history(tenant, limit=1000, after_position=after)
            versions.extend(page["versions"])
            if len(page["versions"]) < 1000:
                return versions

    # ---- audit ---------------------------------------------------------------------

    def checkpoint(self, tenant: str) -> dict[str, Any]:
        return self.services.audit.checkpoint(tenant)

    def export(self, tenant: str, filters: dict[str, Any], fmt: str) -> Iterator[str]:
        return self.services.audit.export(tenant, filters, fmt)

    @property
    def public_key_pem(self) -> str:
        return self.services.parts.keyring.public_key_pem

    # ---- part two, when built ---------------------------------------------------------

    def has_reports(self) -> bool:
        return getattr(self.services, "reports", None) is not None

    def monthly_report(self, tenant: str, month: str) -> dict[str, Any]:
        """The signed report, as `GET /v1/reports/monthly/{month}` answers it."""
        return dict(self.services.reports.monthly(tenant, month))

    @staticmethod
    def report_charts(report: dict[str, Any]) -> list[tuple[str, str]]:
        """(title, inline SVG) for each of the report's charts, drawn by the report."""
        from registry.reports.charts import CHARTS, drawn, svg

        return [(title, svg(drawn(draw, report), title)) for _, title, draw in CHARTS]

    @staticmethod
    def report_as(report: dict[str, Any], fmt: str) -> tuple[str | bytes, str]:
        """The report in a download format, by the report's own renderers."""
        if fmt == "csv":
            from registry.reports.csv_format import csv_text

            return csv_text(report), "text/csv; charset=utf-8"
        if fmt == "html":
            from registry.reports.html import html_page

            return html_page(report), "text/html; charset=utf-8"
        if fmt == "pdf":
            from registry.reports.pdf import pdf_bytes

            return pdf_bytes(report), "application/pdf"
        import json

        return json.dumps(report, ensure_ascii=False), "application/json"

    def limits(self, tenant: str) -> dict[str, Any] | None:
        outcomes = getattr(self.services, "outcomes", None)
        return None if outcomes is None else dict(outcomes.limits(tenant))
