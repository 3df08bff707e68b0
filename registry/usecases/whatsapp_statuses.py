"""WhatsApp `statuses[]` as outcome items (SPEC §11), and what they teach about who the
recipient is: a status naming both the phone (`wa_id`) and the platform's user id pairs
them, so that a later phone-less STOP finds the right customer (R-WEBHOOK)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from registry.crypto import blind_index
from registry.domain.send import PLATFORM_USER_CAP_ERROR
from registry.integrations.whatsapp_changes import MessageStatus
from registry.store.sql import Sql

Identity = tuple[str, str]  # (wa_id, user_id)


@dataclass
class Identities:
    """What a WhatsApp status says about its recipient: (wa_id, user_id) per item index."""

    by_item: dict[int, Identity] = field(default_factory=dict)


@dataclass
class StatusItems:
    items: list[dict[str, Any]]
    identities: Identities
    dedupe_keys: list[str]  # an item naming no known send is kept once per key


def status_items(statuses: Sequence[MessageStatus]) -> StatusItems:
    """`statuses[]` as outcome items, matched to sends by message id."""
    items = [
        {
            "message_ref": status.message_id,
            "status": status.status,
            "at": status.occurred_at,
            "error_code": recorded_error_code(status.error_codes),
        }
        for status in statuses
    ]
    identities = Identities(
        {
            index: (status.wa_id, status.user_id)
            for index, status in enumerate(statuses)
            if status.wa_id and status.user_id
        }
    )
    return StatusItems(items, identities, [f"whatsapp:{s.dedupe_key}" for s in statuses])


def recorded_error_code(codes: Sequence[str]) -> str | None:
    """The code an outcome records: the per-user cap's if present, else the first."""
    if PLATFORM_USER_CAP_ERROR in codes:
        return PLATFORM_USER_CAP_ERROR
    return codes[0] if codes else None


class Pairings:
    """The customer index rows a batch's statuses teach, gathered item by item; the
    customers that the phones and user ids of unknown messages name are looked up first,
    in one statement (`look_up`)."""

    def __init__(self, tenant: str, blind_key: bytes) -> None:
        self.tenant = tenant
        self.blind_key = blind_key
        self.rows: list[tuple[str, str]] = []  # (blind, customer_id)
        self._known: dict[str, str] = {}  # blind -> customer_id, of `look_up`'s blinds

    def _blinds(self, identity: Identity) -> tuple[str, str]:
        wa_id, user_id = identity
        return (
            blind_index(self.blind_key, self.tenant, "wa", str(wa_id)),
            blind_index(self.blind_key, self.tenant, "uid", str(user_id)),
        )

    def look_up(self, sql: Sql, identities: Sequence[Identity]) -> None:
        wanted = sorted({blind for identity in identities for blind in self._blinds(identity)})
        if wanted:
            rows = sql.query_in(
                "SELECT blind, customer_id FROM registry_customer_index WHERE tenant = ?",
                [self.tenant],
                "blind",
                wanted,
            )
            self._known.update({str(blind): str(customer) for blind, customer in rows})

    def of_send(self, customer_id: str, identity: Identity | None) -> None:
        """Both the phone and the user id find the send's customer from now on."""
        if identity is not None:
            self.rows += [(blind, customer_id) for blind in self._blinds(identity)]

    def of_unknown_message(self, identity: Identity | None) -> None:
        """For a status of a message the registry never saw (its identity looked up): the
        pairing, when its phone (or else its user id) already names a customer."""
        if identity is None:
            return
        phone, user = self._blinds(identity)
        customer = self._known.get(phone) or self._known.get(user)
        if customer:
            self.rows += [(phone, customer), (user, customer)]
