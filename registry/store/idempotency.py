"""R-IDEMPOTENCY's records: the first answer given to a key, per tenant. A write's
answer is recorded in its own transaction (registry/store/unit_of_work.py); these are
the reads, and the record of answers that wrote no event."""

from __future__ import annotations

import json
from typing import Any

from registry.idempotency import IdempotentRequest
from registry.store.database import Database


class IdempotencyRecords:
    def __init__(self, db: Database) -> None:
        self.db = db

    def idempotent_answer(self, tenant: str, key: str) -> tuple[str, int, dict[str, Any]] | None:
        with self.db.single_statement() as sql:
            rows = sql.query(
                "SELECT request_hash, status, body FROM registry_idempotency "
                "WHERE tenant = ? AND key = ?",
                [tenant, key],
            )
        if not rows:
            return None
        request_hash, status, body = rows[0]
        return str(request_hash), int(status), json.loads(body)

    def remember_answer(
        self, tenant: str, request: IdempotentRequest, status: int, body: dict[str, Any]
    ) -> None:
        """For answers that recorded no event (a refused authorization, a no-op)."""
        with self.db.transaction(commit=True) as sql:
            sql.execute(
                "INSERT INTO registry_idempotency (tenant, key, request_hash, status, body, position) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (tenant, key) DO NOTHING",
                [
                    tenant,
                    request.key,
                    request.request_hash,
                    status,
                    json.dumps(body),
                    body.get("position"),
                ],
            )
