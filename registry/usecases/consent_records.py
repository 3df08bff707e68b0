"""`GET /v1/consents/{receipt_id}` (SPEC §17): a grant as recorded, its status now, and a
consent record in the shape of ISO/IEC TS 27560, signed by the audit key as a compact JWS
(EdDSA) that `python -m audit verify-consent` checks offline.

A grant is found through the customer index (a keyed hash of the receipt id, written with
the grant, `receipt_index_row`). Grants recorded without that row (imports, opt-ins by
keyword, grants from before it was kept) are found by reading the tenant's grant events
for the receipt id, which costs a pass over them.
"""

from __future__ import annotations

import json
from datetime import datetime
from functools import cached_property
from typing import Any

import jwt

from audit.checkpoint import key_id as signed_note_key_id
from registry.clock import Clock
from registry.crypto import blind_index
from registry.domain.exceptions import NotFound
from registry.domain.rules.consent import consent_status
from registry.keys import KeyRing
from registry.personal_data import PersonalDataKeys
from registry.projections.history import history_entry
from registry.projections.reader import ViewReader
from registry.store.database import Database
from registry.timefmt import iso, parse_iso

SCHEMA_VERSION = "ISO/IEC TS 27560:2023 (registry record v1)"
GRANT_TYPES = ("Customer.ConsentGranted", "Customer.ConsentRequested")
WITHDRAWAL_METHODS = [
    "reply STOP (or СТОП, ОТПИСАТЬСЯ, UNSUBSCRIBE) on the channel",
    "the unsubscribe link in a message",
    "the business, which records it with POST /v1/opt-outs",
]


def receipt_index_row(
    keyring: KeyRing, tenant: str, receipt_id: str, customer_id: str
) -> tuple[str, str]:
    """The customer index row that finds a grant's customer by its receipt id."""
    return blind_index(keyring.blind_index_key, tenant, "receipt", receipt_id), customer_id


def consent_state(
    customer: dict[str, Any], channel: str, purpose: str, receipt_id: str, now: datetime
) -> str:
    """One purpose of a grant now: `granted`, `pending`, `withdrawn`, `expired`, or
    `superseded` when a later grant of that purpose has taken its place."""
    record = customer["consents"].get(f"{channel}:{purpose}")
    if record is None or record.get("receipt_id") != receipt_id:
        return "superseded"
    return consent_status(
        str(record["status"]),
        parse_iso(record.get("expires_at")),
        now,
        parse_iso(record.get("confirm_by")),
    )


class ConsentRecordService:
    def __init__(
        self,
        db: Database,
        views: ViewReader,
        keys: PersonalDataKeys,
        keyring: KeyRing,
        clock: Clock,
        origin_host: str,
        policies: Any,  # the policies service: policy(tenant) -> the policy document
    ) -> None:
        self.db = db
        self.views = views
        self.keys = keys
        self.keyring = keyring
        self.clock = clock
        self.origin_host = origin_host
        self.policies = policies

    @cached_property
    def key_id(self) -> str:
        return signed_note_key_id(self.origin_host, self.keyring.signing_key.public_key())

    def record(
        self, tenant: str, receipt_id: str, min_position: int | None = None
    ) -> dict[str, Any]:
        docs, position = self.views.read(tenant, [("tenant", "")], min_position)
        found = self._grant_event(tenant, receipt_id)
        if found is None:
            raise NotFound(f"consent {receipt_id!r} not found")
        customer_id, event_position, topic, state = found
        docs, _ = self.views.read(tenant, [("customer", customer_id)])
        customer = docs[("customer", customer_id)]
        opener = self.keys.opener(tenant, customer_id, customer["erased"])
        grant = history_entry(event_position, topic, state, opener)
        data = grant["data"]
        now = self.clock.now()
        statuses = {
            purpose: consent_state(customer, data["channel"], purpose, receipt_id, now)
            for purpose in data["purposes"]
        }
        values = set(statuses.values())
        status = values.pop() if len(values) == 1 else "partly_active"
        policy = self.policies.policy(tenant)
        record = self._signed_record(
            tenant, customer_id, receipt_id, data, customer, status, policy
        )
        return {
            "receipt_id": receipt_id,
            "customer_id": customer_id,
            "grant": grant,
            "status": status,
            "purposes": statuses,
            "record": record,
            "position": position,
        }

    def _signed_record(
        self,
        tenant: str,
        customer_id: str,
        receipt_id: str,
        data: dict[str, Any],
        customer: dict[str, Any],
        status: str,
        policy: dict[str, Any],
    ) -> str:
        source = data.get("source") or {}
        now = self.clock.now()
        payload = {
            "iss": f"{self.origin_host}/{tenant}",
            "iat": int(now.timestamp()),
            "schema_version": SCHEMA_VERSION,
            "record_id": receipt_id,
            "pii_principal_id": customer_id,
            "purposes": list(data["purposes"]),
            "channel": data["channel"],
            "notice_version": source.get("notice_version"),
            "language": customer["profile"].get("locale"),
            "controller": policy["display_name"],
            "collection_method": source.get("kind"),
            "timestamp": data.get("granted_at"),
            "validity": {"from": data.get("granted_at"), "until": data.get("expires_at")},
            "state": status,
            "state_at": iso(now),
            "withdrawal_method": WITHDRAWAL_METHODS,
        }
        return jwt.encode(
            payload, self.keyring.signing_key, algorithm="EdDSA", headers={"kid": self.key_id}
        )

    def _grant_event(self, tenant: str, receipt_id: str) -> tuple[str, int, str, bytes] | None:
        blind, _ = receipt_index_row(self.keyring, tenant, receipt_id, "")
        db = self.db
        marks = ",".join("?" * len(GRANT_TYPES))
        select = (
            f"SELECT l.customer_id, l.position, e.topic, e.state FROM audit_leaves l "
            f"JOIN {db.events_table} e ON e.{db.position_column} = l.position "
            f"WHERE l.tenant = ? AND l.event_type IN ({marks})"
        )
        with db.transaction() as sql:
            known = sql.scalar(
                "SELECT customer_id FROM registry_customer_index WHERE tenant = ? AND blind = ?",
                [tenant, blind],
            )
            if known is not None:
                rows = sql.query(
                    f"{select} AND l.customer_id = ? ORDER BY l.position",
                    [tenant, *GRANT_TYPES, known],
                )
            else:
                rows = sql.query(
                    f"{select} AND {self._contains()} ORDER BY l.position",
                    [tenant, *GRANT_TYPES, f'"receipt_id":"{receipt_id}"'],
                )
        for customer_id, position, topic, state in rows:
            raw = bytes(state)
            if json.loads(raw).get("receipt_id") == receipt_id:
                return str(customer_id), int(position), str(topic), raw
        return None

    def _contains(self) -> str:
        if self.db.dialect == "postgres":
            return "position(convert_to(?, 'UTF8') in e.state) > 0"
        return "instr(CAST(e.state AS TEXT), ?) > 0"
