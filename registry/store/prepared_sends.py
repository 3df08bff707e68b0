"""A batch of outcomes (SPEC §11) as stored events built without `Send` aggregates, and
the unit of work that writes them with their derived rows in one transaction.

`Send.open` / `record_outcome`, eventsourcing's mapper (its `JSONTranscoder`) and the
`WriteSet` give the same bytes: the event states keep the order of the events'
attributes, datetimes are transcoded as `datetime_iso`, and the leaf is the canonical JSON
of the stored event, labelled with the send's customer and template
(tests/unit/test_prepared_sends.py compares each with the aggregate path). A webhook of
1000 statuses spends most of its time on these events, so they are serialised once, with
orjson, as the import's new customers are (registry/store/new_customers.py).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime
from functools import cached_property
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import get_topic

from registry.domain.send import NewOutcome, Send, SendIdentity
from registry.store.bulk_writes import BulkWriteSet
from registry.store.new_customers import DATETIME, PreparedEvent, json_bytes, leaf_bytes
from registry.store.sql import Sql
from registry.store.unit_of_work import WriteSet, normalise_timestamp

SEND_TOPIC = get_topic(Send)
OPENED_TOPIC = get_topic(Send.Opened)
OUTCOME_TOPIC = get_topic(Send.OutcomeRecorded)


@dataclass(frozen=True)
class Stamp:
    """Who records a batch's events, in which request, and when (one moment per batch)."""

    actor: str
    request_id: str
    now: datetime

    @cached_property
    def timestamp(self) -> dict[str, str] | None:
        return _transcoded(self.now)

    @cached_property
    def occurred_at(self) -> str:
        return normalise_timestamp(self.now.isoformat())


def opened(
    tenant: str,
    send_id: UUID,
    identity: SendIdentity,
    message_ref: str | None,
    stamp: Stamp,
    *,
    transcoded: dict[str, Any] | None = None,
) -> PreparedEvent:
    """`Send.Opened`, version 1: the send's first outcome opens it. `transcoded` is
    `identity_state(identity)` when the caller has it (a send's events share it)."""
    state = {
        "timestamp": stamp.timestamp,
        "originator_topic": SEND_TOPIC,
        "actor": stamp.actor,
        "request_id": stamp.request_id,
        "tenant": tenant,
        **(transcoded or identity_state(identity)),
        "message_ref": message_ref,
    }
    return _prepared(send_id, 1, OPENED_TOPIC, state, identity, stamp)


def outcome_recorded(
    send_id: UUID,
    version: int,
    identity: SendIdentity,
    outcome: NewOutcome,
    *,
    detail: str | None,
    message_ref: str | None,
    source: str,
    stamp: Stamp,
    transcoded: dict[str, Any] | None = None,
) -> PreparedEvent:
    """`Send.OutcomeRecorded` at `version` (`transcoded` as for `opened`)."""
    state = {
        "timestamp": stamp.timestamp,
        "actor": stamp.actor,
        "request_id": stamp.request_id,
        **(transcoded or identity_state(identity)),
        "status": outcome.status,
        "at": _transcoded(outcome.at),
        "error_code": outcome.error_code,
        "detail": detail,
        "message_ref": message_ref,
        "source": source,
        "hold_until": _transcoded(outcome.hold_until),
    }
    return _prepared(send_id, version, OUTCOME_TOPIC, state, identity, stamp)


def identity_state(identity: SendIdentity) -> dict[str, Any]:
    """The send's identity as its events' states hold it (datetimes transcoded)."""
    return {
        "authorization_id": identity.authorization_id,
        "customer_id": identity.customer_id,
        "channel": identity.channel,
        "template": dict(identity.template),
        "purpose": identity.purpose,
        "authorized_at": _transcoded(identity.authorized_at),
    }


def _prepared(
    send_id: UUID,
    version: int,
    topic: str,
    state: dict[str, Any],
    identity: SendIdentity,
    stamp: Stamp,
) -> PreparedEvent:
    template = identity.template
    return PreparedEvent(
        originator_id=send_id,
        originator_version=version,
        topic=topic,
        state=json_bytes(state),
        leaf=leaf_bytes(str(send_id), version, topic, state),
        occurred_at=stamp.occurred_at,
        actor=stamp.actor,
        customer_id=identity.customer_id,
        template=f"{template['name']}/{template['language']}",
    )


def _transcoded(moment: datetime | None) -> dict[str, str] | None:
    return None if moment is None else {"_type_": DATETIME, "_data_": moment.isoformat()}


@dataclass
class BatchWriteSet(BulkWriteSet):
    """A `WriteSet` (the application's, for the batch's other aggregates) plus writers of
    derived rows in bulk (a batch's registry_sends rows), run after everything the
    `WriteSet` writes, in the same transaction."""

    bulk_rows: list[Callable[[Sql], None]] = field(default_factory=list)

    @classmethod
    def extending(cls, base: WriteSet) -> BatchWriteSet:
        return cls(**{f.name: getattr(base, f.name) for f in fields(WriteSet) if f.init})

    def __call__(self, sql: Sql, stored: Sequence[StoredEvent], positions: Sequence[int]) -> None:
        super().__call__(sql, stored, positions)
        for write in self.bulk_rows:
            write(sql)
