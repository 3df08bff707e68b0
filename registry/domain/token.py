"""A revoked bearer token: one aggregate per (tenant, jti), created by its revocation."""

from __future__ import annotations

from uuid import UUID

from registry.domain.base import RegistryAggregate, natural_id


def token_revocation_id(tenant: str, jti: str) -> UUID:
    return natural_id(tenant, "token", jti)


class TokenRevocation(RegistryAggregate):
    class Revoked(RegistryAggregate.Created):
        jti: str
        reason: str | None

    def __init__(self, tenant: str, jti: str, reason: str | None) -> None:
        self.tenant = tenant
        self.jti = jti
        self.reason = reason

    @classmethod
    def revoke(cls, tenant: str, jti: str, reason: str | None) -> TokenRevocation:
        revoked: TokenRevocation = cls._create(
            cls.Revoked, id=token_revocation_id(tenant, jti), tenant=tenant, jti=jti, reason=reason
        )
        return revoked
