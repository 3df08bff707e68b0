"""Token revocation (issue #20 item 10): `revoke` records `TokenRevocation.Revoked`, whose
view row (kind `revoked_token`, key = the jti) is written in the event's transaction;
`is_revoked` reads that row by primary key, so every worker refuses the token from the
next request on."""

from __future__ import annotations

from typing import Any

from registry.domain.exceptions import NotFound
from registry.domain.token import TokenRevocation, token_revocation_id
from registry.store.database import Database
from registry.store.writer import EventWriter

KIND = "revoked_token"


class TokenService:
    def __init__(self, writer: EventWriter, db: Database) -> None:
        self.writer = writer
        self.db = db

    def revoke(self, tenant: str, jti: str, reason: str | None) -> dict[str, Any]:
        """Revoke once; revoking a revoked jti again records nothing and answers the same."""
        aggregate_id = token_revocation_id(tenant, jti)
        try:
            self.writer.get(aggregate_id)
        except NotFound:
            pass
        else:
            return {"jti": jti, "revoked": True, "position": self._position(tenant, jti)}
        return self.writer.write(
            tenant,
            aggregate_id,
            lambda: TokenRevocation.revoke(tenant, jti, reason),
            lambda _revocation: None,
            result=lambda _revocation: {"jti": jti, "revoked": True},
        )

    def is_revoked(self, tenant: str, jti: str) -> bool:
        with self.db.single_statement() as sql:
            found = sql.scalar(
                "SELECT 1 FROM registry_views WHERE tenant = ? AND kind = ? AND key = ?",
                [tenant, KIND, jti],
            )
        return found is not None

    def _position(self, tenant: str, jti: str) -> int:
        with self.db.single_statement() as sql:
            value = sql.scalar(
                "SELECT position FROM registry_views WHERE tenant = ? AND kind = ? AND key = ?",
                [tenant, KIND, jti],
            )
        return int(value or 0)
