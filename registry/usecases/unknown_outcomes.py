"""Outcome items that named no known authorization (SPEC §11, §19): kept sealed under the
tenant's secrets key for `GET /v1/outcomes/unknown`, a webhook's once per dedupe key."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from registry.crypto import open_sealed, seal
from registry.keys import derive
from registry.store.sql import Sql
from registry.timefmt import iso, jsonable

if TYPE_CHECKING:
    from registry.keys import KeyRing
    from registry.store.database import Database

Statement = tuple[str, list[Any]]
MARK_SEEN = (
    "INSERT INTO registry_webhook_seen (tenant, dedupe_key) VALUES (?, ?) "
    "ON CONFLICT (tenant, dedupe_key) DO NOTHING"
)
_KEEP = (
    "INSERT INTO registry_outcomes_unknown (tenant, received_at, source, reason, item) "
    "VALUES (?, ?, ?, ?, ?)"
)


def unknown_reason(item: dict[str, Any]) -> str:
    if item.get("authorization_id"):
        return "no authorization with this authorization_id"
    return "no authorization with this message_ref"


class UnknownOutcomes:
    def __init__(self, db: Database, keyring: KeyRing) -> None:
        self.db = db
        self.keyring = keyring

    def _key(self, tenant: str) -> bytes:
        return derive(self.keyring.master_data_key, f"tenant secrets {tenant}")

    def kept(self, tenant: str, source: str, item: dict[str, Any], now: datetime) -> Statement:
        """The statement that keeps `item`, sealed."""
        text = json.dumps(jsonable(item), ensure_ascii=False, sort_keys=True)
        sealed = seal(self._key(tenant), text, context=f"{tenant}/outcomes-unknown")
        return _KEEP, [tenant, iso(now), source, unknown_reason(item), sealed]

    @staticmethod
    def seen(sql: Sql, tenant: str, keys: Sequence[str]) -> set[str]:
        """Which of these dedupe keys were kept before."""
        if not keys:
            return set()
        found = sql.query_in(
            "SELECT dedupe_key FROM registry_webhook_seen WHERE tenant = ?",
            [tenant],
            "dedupe_key",
            sorted(set(keys)),
        )
        return {str(key) for (key,) in found}

    def page(self, tenant: str, *, limit: int, after_id: int) -> dict[str, Any]:
        key = self._key(tenant)
        with self.db.transaction() as sql:
            rows = sql.query(
                "SELECT id, received_at, source, reason, item FROM registry_outcomes_unknown "
                "WHERE tenant = ? AND id > ? ORDER BY id LIMIT ?",
                [tenant, after_id, limit],
            )
            position = self.db.max_position(sql)
        items = [
            {
                "id": int(i),
                "received_at": received,
                "source": src,
                "reason": reason,
                "item": json.loads(open_sealed(key, sealed, context=f"{tenant}/outcomes-unknown")),
            }
            for i, received, src, reason, sealed in rows
        ]
        return {"items": items, "position": position}
