"""R-POLICY use cases: the tenant's policy, every change an event."""

from __future__ import annotations

from typing import Any

from registry.application import RegistryCore
from registry.domain.confirmation import as_number
from registry.domain.exceptions import InvalidRequest
from registry.domain.policy import Policy, PolicyInvalid
from registry.domain.tenant import Tenant, tenant_aggregate_id


class PolicyUseCases(RegistryCore):
    def policy(self, tenant: str, min_position: int | None = None) -> dict[str, Any]:
        docs, position = self.read_views(tenant, [("tenant", "")], min_position)
        policy, version = self.policy_of(tenant, docs.get(("tenant", "")))
        return {**answered(policy), "version": version, "position": position}

    def replace_policy(self, tenant: str, document: dict[str, Any]) -> dict[str, Any]:
        try:
            policy = Policy.from_document(document, tenant=tenant)
        except PolicyInvalid as error:
            raise InvalidRequest("the policy is not valid", **error.details) from None
        new_doc = policy.to_document()
        result = self.write(
            tenant,
            tenant_aggregate_id(tenant),
            lambda: Tenant.register(tenant),
            lambda t: t.replace_policy(new_doc),
            result=lambda t: {**answered(policy), "version": t.policy_version},
        )
        return result


def answered(policy: Policy) -> dict[str, Any]:
    """The policy as the API shows it: the stored document, with numbers kept as decimal
    text there (no floats in events) answered as numbers."""
    return {**policy.to_document(), "confirmation_days": as_number(policy.confirmation_days)}
