"""What an authorization needs besides its decision: the customer restored from its
view instead of from the event store, and the log positions its receipt names."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast
from uuid import UUID

from eventsourcing.domain import Snapshot
from eventsourcing.utils import get_topic

from registry.domain.customer import Customer
from registry.store.database import Database
from registry.store.unit_of_work import Read, WriteSet
from registry.timefmt import parse_iso, utcnow

_CONSENT_TIMES = ("granted_at", "withdrawn_at", "expires_at")
_CUSTOMER_TOPIC = get_topic(Customer)


def customer_from_view(tenant: str, doc: dict[str, Any]) -> Customer:
    """The customer at its view's version, restored as from a snapshot.

    A customer's view row is written in the transaction that records the customer's
    events (registry/store/unit_of_work.py), so its document is the customer's state at
    the row's `version`: the attributes `customer_document` renders, times parsed back.
    Saving a command's events then claims version + 1; if another writer got there
    first the insert fails and `StoreWriter.write` retries from the event store."""
    consents = {
        key: {**consent, **{t: parse_iso(consent.get(t)) for t in _CONSENT_TIMES}}
        for key, consent in doc["consents"].items()
    }
    snapshot = Snapshot(
        originator_id=UUID(doc["aggregate_id"]),
        originator_version=int(doc["version"]),
        timestamp=utcnow(),
        topic=_CUSTOMER_TOPIC,
        state={
            "_created_on": None,  # not in the view; nothing reads it
            "_modified_on": None,  # set by the next event
            "tenant": tenant,
            "customer_id": doc["customer_id"],
            "consents": consents,
            "profile": dict(doc["profile"]),
            "last_inbound_at": {ch: parse_iso(at) for ch, at in doc["last_inbound_at"].items()},
            "recent_authorizations": [parse_iso(at) for at in doc["recent_authorizations"]],
            "last_sends": {
                channel: {**send, "authorized_at": parse_iso(send["authorized_at"])}
                for channel, send in doc.get("last_sends", {}).items()
            },
            "marketing_at": {
                channel: [parse_iso(at) for at in pair]
                for channel, pair in doc.get("marketing_at", {}).items()
            },
            "holds": {channel: parse_iso(at) for channel, at in doc.get("holds", {}).items()},
            "suppressed": bool(doc["suppressed"]),
            "erased": bool(doc["erased"]),
        },
    )
    return cast(Customer, snapshot.mutate(None))


Event = tuple[str, int]  # (aggregate id, version)


class EventPositions:
    """Log positions of (aggregate id, version) events, for receipts.

    An event's position never changes once recorded, so positions found are kept: the
    template approval and policy version that every receipt names are read once, and a
    customer's consent once per worker (bounded, emptied when full). The others are read
    on their own (`of`) or inside a write's transaction (`read_in`)."""

    MAX_KEPT = 50_000

    def __init__(self, db: Database) -> None:
        self.db = db
        self._kept: dict[Event, int] = {}

    def of(self, events: list[Event]) -> dict[Event, int]:
        found, missing = self._split(events)
        if missing:
            with self.db.single_statement() as sql:
                found.update(self._keep(self.db.positions_of_events(sql, missing)))
        return found

    def read_in(self, write_set: WriteSet, events: list[Event]) -> Callable[[], dict[Event, int]]:
        """Positions of `events`, those not kept read in `write_set`'s transaction: call
        the function returned once the write has committed."""
        found, missing = self._split(events)
        if not missing:
            return lambda: found
        read = Read(*self.db.positions_query(missing))
        write_set.reads.append(read)
        return lambda: {**found, **self._keep(self.db.positions_found(missing, read.rows or []))}

    def _split(self, events: list[Event]) -> tuple[dict[Event, int], list[Event]]:
        found = {event: self._kept[event] for event in events if event in self._kept}
        return found, [event for event in events if event not in found]

    def _keep(self, found: dict[Event, int]) -> dict[Event, int]:
        if len(self._kept) + len(found) > self.MAX_KEPT:
            self._kept.clear()
        self._kept.update(found)
        return found
