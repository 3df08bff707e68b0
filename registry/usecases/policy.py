"""R-POLICY use cases: the tenant's policy, every change an event."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from registry.domain.confirmation import as_number
from registry.domain.exceptions import InvalidRequest
from registry.domain.policy import Policy, PolicyInvalid
from registry.domain.tenant import Tenant, tenant_aggregate_id
from registry.projections.reader import ViewReader
from registry.store.writer import EventWriter

MAX_KEPT = 10_000


class PolicyService:
    """Owns the tenant's policy: its reads, its replacement and history, and the parsed
    policy of a tenant view that every decision asks for (kept per version)."""

    def __init__(self, writer: EventWriter, views: ViewReader) -> None:
        self.writer = writer
        self.views = views
        self._kept: dict[tuple[str, int], Policy] = {}

    def policy_of(self, tenant: str, tenant_doc: dict[str, Any] | None) -> tuple[Policy, int]:
        """The policy in a tenant's view document (the default without one), and its version."""
        if tenant_doc is None or tenant_doc.get("policy") is None:
            return self._kept_policy(tenant, 0, None), 0
        version = int(tenant_doc["policy_version"])
        return self._kept_policy(tenant, version, tenant_doc["policy"]), version

    def _kept_policy(self, tenant: str, version: int, doc: dict[str, Any] | None) -> Policy:
        kept = self._kept.get((tenant, version))
        if kept is None:
            kept = (
                Policy.default(tenant) if doc is None else Policy.from_document(doc, tenant=tenant)
            )
            if len(self._kept) > MAX_KEPT:
                self._kept.clear()
            self._kept[(tenant, version)] = kept
        return kept

    def policy(self, tenant: str, min_position: int | None = None) -> dict[str, Any]:
        docs, position = self.views.read(tenant, [("tenant", "")], min_position)
        policy, version = self.policy_of(tenant, docs.get(("tenant", "")))
        return {**answered(policy), "version": version, "position": position}

    def replace_policy(self, tenant: str, document: dict[str, Any]) -> dict[str, Any]:
        try:
            policy = Policy.from_document(document, tenant=tenant)
        except PolicyInvalid as error:
            raise InvalidRequest("the policy is not valid", **error.nested()) from None
        new_doc = policy.to_document()
        result = self.writer.write(
            tenant,
            tenant_aggregate_id(tenant),
            lambda: Tenant.register(tenant),
            lambda t: t.replace_policy(new_doc),
            result=lambda t: {**answered(policy), "version": t.policy_version},
        )
        return result

    def policy_history(
        self, tenant: str, *, limit: int, after_position: int, min_position: int | None = None
    ) -> dict[str, Any]:
        """Every version of the policy, oldest first: its number, who replaced it when, in
        which request, and the whole policy as it was stored (R-POLICY; issue #20 item 8)."""
        _docs, position = self.views.read(tenant, [("tenant", "")], min_position)
        versions: list[dict[str, Any]] = []
        after = 0
        while True:  # a tenant's own events are few: its policies and its integration
            page = self.views.history(
                str(tenant_aggregate_id(tenant)), after_position=after, limit=1000
            )
            for event in page:
                if event["type"] == "Tenant.PolicyReplaced":
                    versions.append(
                        {
                            "version": len(versions) + 1,
                            "position": event["position"],
                            "replaced_at": event["occurred_at"],
                            "actor": event["actor"],
                            "request_id": event["request_id"],
                            "policy": _as_answered(event["data"]["policy"]),
                        }
                    )
            if len(page) < 1000:
                break
            after = page[-1]["position"]
        shown = [v for v in versions if v["position"] > after_position][:limit]
        return {"versions": shown, "position": position}


def _as_answered(stored: dict[str, Any]) -> dict[str, Any]:
    """A stored policy document with its decimal-text numbers as GET /v1/policy answers them."""
    days = stored.get("confirmation_days")
    if not isinstance(days, str):
        return stored
    try:
        return {**stored, "confirmation_days": as_number(Decimal(days))}
    except InvalidOperation:
        return stored


def answered(policy: Policy) -> dict[str, Any]:
    """The policy as the API shows it: the stored document, with numbers kept as decimal
    text there (no floats in events) answered as numbers."""
    return {**policy.to_document(), "confirmation_days": as_number(policy.confirmation_days)}
