"""The stored events, Merkle leaves and view document of a customer new to the registry
whose first grant arrives in an import, built without the aggregate.

`Customer.register` then `grant`, eventsourcing's mapper (its `JSONTranscoder`) and the
`WriteSet` would give the same bytes: the event states keep the order of the events'
attributes, datetimes are transcoded as `datetime_iso`, the leaf is the canonical JSON of
the stored event and the document is `customer_document` of the aggregate
(tests/unit/test_import_new_customers.py compares each with the plain path). A large
import spends most of its time on these few hundred bytes per customer, so they are
serialised once, with orjson, which writes what `json.dumps` writes for these values
(strings, lists, `None`, small integers; `json` takes over for anything orjson refuses).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import orjson
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import get_topic

from audit.log import LeafEntry
from registry.domain.customer import Customer, consent_key
from registry.domain.feed_items import change_fragment
from registry.store.unit_of_work import (
    canonical_json_text,
    compact_json_text,
    event_type,
    normalise_timestamp,
)
from registry.timefmt import iso

CUSTOMER_TOPIC = get_topic(Customer)
REGISTERED_TOPIC = get_topic(Customer.Registered)
GRANTED_TOPIC = get_topic(Customer.ConsentGranted)
REGISTERED_CLASS_VERSION = Customer.Registered.class_version
DATETIME = "datetime_iso"  # eventsourcing's `DatetimeAsISO` transcoding


@dataclass(frozen=True)
class PreparedEvent(StoredEvent):
    """A stored event whose Merkle leaf was serialised with it (`BulkWriteSet`)."""

    leaf: bytes = b""
    occurred_at: str = ""
    actor: str = ""
    customer_id: str | None = None
    change: str | None = None  # the feed item, as `WriteSet._leaf_entry` writes it
    template: str | None = None  # "name/language" of the event's template (a send's)

    def leaf_entry(self, position: int) -> LeafEntry:
        return LeafEntry(
            position=position,
            leaf=self.leaf,
            event_type=event_type(self.topic),
            occurred_at=self.occurred_at,
            actor=self.actor,
            customer_id=self.customer_id,
            template=self.template,
            change=self.change,
        )


@dataclass(slots=True)
class NewCustomerGrant:
    """A new customer's first grant, its personal data already sealed."""

    tenant: str
    customer_id: str
    aggregate_id: UUID
    profile: dict[str, Any]
    receipt_id: str
    channel: str
    purposes: list[str]
    source: dict[str, Any]
    granted_at: datetime | None  # None: the moment of the import
    expires_at: datetime | None


@dataclass(slots=True)
class NewCustomerRecord:
    events: tuple[PreparedEvent, PreparedEvent]
    version: int  # the aggregate's version after them
    document: str  # the customer view's document, serialised as view rows are


def new_customer_record(
    grant: NewCustomerGrant, *, actor: str, request_id: str, now: datetime
) -> NewCustomerRecord:
    """`Registered` (v2, with the profile) and `ConsentGranted`, both at `now`."""
    timestamp = now.isoformat()
    stamp = {"_type_": DATETIME, "_data_": timestamp}
    granted_at = grant.granted_at or now
    registered = {
        "timestamp": stamp,
        "originator_topic": CUSTOMER_TOPIC,
        "actor": actor,
        "request_id": request_id,
        "tenant": grant.tenant,
        "customer_id": grant.customer_id,
        "profile": grant.profile,
        "class_version": REGISTERED_CLASS_VERSION,
    }
    granted = {
        "timestamp": stamp,
        "actor": actor,
        "request_id": request_id,
        "receipt_id": grant.receipt_id,
        "channel": grant.channel,
        "purposes": grant.purposes,
        "source": grant.source,
        "granted_at": {"_type_": DATETIME, "_data_": granted_at.isoformat()},
        "expires_at": _transcoded(grant.expires_at),
    }
    originator_id = str(grant.aggregate_id)
    occurred_at = normalise_timestamp(timestamp)

    def prepared(version: int, topic: str, state: dict[str, Any]) -> PreparedEvent:
        return PreparedEvent(
            originator_id=grant.aggregate_id,
            originator_version=version,
            topic=topic,
            state=json_bytes(state),
            leaf=leaf_bytes(originator_id, version, topic, state),
            occurred_at=occurred_at,
            actor=actor,
            customer_id=grant.customer_id,
            change=change_fragment(event_type(topic), occurred_at, grant.customer_id, None, state),
        )

    return NewCustomerRecord(
        events=(prepared(1, REGISTERED_TOPIC, registered), prepared(2, GRANTED_TOPIC, granted)),
        version=2,
        document=_document(grant, originator_id, granted_at).decode("utf-8"),
    )


def _document(grant: NewCustomerGrant, originator_id: str, granted_at: datetime) -> bytes:
    """`customer_document` of the customer after its two events."""
    consents = {
        consent_key(grant.channel, purpose): {
            "channel": grant.channel,
            "purpose": purpose,
            "status": "granted",
            "granted_at": iso(granted_at),
            "withdrawn_at": None,
            "expires_at": iso(grant.expires_at),
            "receipt_id": grant.receipt_id,
            "source": grant.source,
            "event_version": 2,
        }
        for purpose in grant.purposes
    }
    return json_bytes(
        {
            "customer_id": grant.customer_id,
            "profile": grant.profile,
            "erased": False,
            "suppressed": False,
            "last_inbound_at": {},
            "consents": consents,
            "recent_authorizations": [],
            "last_sends": {},
            "marketing_at": {},
            "holds": {},
            "aggregate_id": originator_id,
            "version": 2,
        }
    )


def leaf_bytes(originator_id: str, version: int, topic: str, state: dict[str, Any]) -> bytes:
    """`WriteSet._leaf_entry`'s leaf: the stored event as a canonical JSON object."""
    leaf = {
        "originator_id": originator_id,
        "originator_version": version,
        "topic": topic,
        "state": state,
    }
    try:
        return _exact(orjson.dumps(leaf, option=orjson.OPT_SORT_KEYS))
    except TypeError:
        return canonical_json_text(leaf).encode("utf-8")


def json_bytes(value: dict[str, Any]) -> bytes:
    try:
        return _exact(orjson.dumps(value))
    except TypeError:  # e.g. a lone surrogate, which the plain path fails on too
        return compact_json_text(value).encode("utf-8")


def _exact(data: bytes) -> bytes:
    """A copy of orjson's output in a block of its own size: orjson (3.13) returns short
    output in a 4 KiB allocation, and an import holds two per row until it writes them
    (a 20,000-row import peaked at 480 MB, 310 MB of it these blocks)."""
    return bytes(memoryview(data))


def _transcoded(moment: datetime | None) -> dict[str, str] | None:
    return None if moment is None else {"_type_": DATETIME, "_data_": moment.isoformat()}
