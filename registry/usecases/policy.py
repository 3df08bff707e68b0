"""R-POLICY use cases: the tenant's policy, every change an event."""

from __future__ import annotations

from typing import Any

from registry.application import RegistryCore
from registry.domain.exceptions import InvalidRequest
from registry.domain.policy import Policy, PolicyInvalid
from registry.domain.tenant import Tenant, tenant_aggregate_id


class PolicyUseCases(RegistryCore):
    def policy(self, tenant: str, min_position: int | None = None) -> dict[str, Any]:
        docs, position = self.read_views(tenant, [("tenant", "")], min_position)
        policy, version = self.policy_of(tenant, docs.get(("tenant", "")))
        return {**policy.to_document(), "version": version, "position": position}

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
            result=lambda t: {**new_doc, "version": t.policy_version},
        )
        return result
