"""A tenant: its policy (every change an event) and its platform integration."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from registry.domain.base import RegistryAggregate, natural_id


def tenant_aggregate_id(tenant: str) -> UUID:
    return natural_id(tenant, "tenant")


class Tenant(RegistryAggregate):
    class Registered(RegistryAggregate.Created):
        pass

    class PolicyReplaced(RegistryAggregate.Event):
        policy: dict[str, Any]

        def apply(self, tenant: Tenant) -> None:
            """`pilot_since`: when `pilot` went from null to set (SPEC §13: versions
            approved from then on are "newly approved"); null again when it is unset."""
            if self.policy.get("pilot") is None:
                tenant.pilot_since = None
            elif tenant.policy is None or tenant.policy.get("pilot") is None:
                tenant.pilot_since = self.timestamp
            tenant.policy = self.policy
            tenant.policy_version += 1

    class WhatsAppIntegrationConfigured(RegistryAggregate.Event):
        app_secret: str  # sealed with the server's secret box
        verify_token: str  # sealed
        waba_id: str | None

        def apply(self, tenant: Tenant) -> None:
            tenant.whatsapp = {
                "app_secret": self.app_secret,
                "verify_token": self.verify_token,
                "waba_id": self.waba_id,
            }

    def __init__(self, tenant: str) -> None:
        self.tenant = tenant
        self.policy: dict[str, Any] | None = None
        self.policy_version = 0
        self.pilot_since: datetime | None = None
        self.whatsapp: dict[str, Any] | None = None

    @classmethod
    def register(cls, tenant: str) -> Tenant:
        created: Tenant = cls._create(cls.Registered, id=tenant_aggregate_id(tenant), tenant=tenant)
        return created

    def replace_policy(self, policy: dict[str, Any]) -> None:
        self.trigger_event(self.PolicyReplaced, policy=policy)

    def configure_whatsapp(
        self, *, app_secret: str, verify_token: str, waba_id: str | None
    ) -> None:
        self.trigger_event(
            self.WhatsAppIntegrationConfigured,
            app_secret=app_secret,
            verify_token=verify_token,
            waba_id=waba_id,
        )
