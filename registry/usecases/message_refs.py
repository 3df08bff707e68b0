"""`POST /v1/authorizations/{id}/message-ref` (SPEC §11): a send's message id, attached
once. The `Send` is restored from its registry_sends row (no event-store read); a
concurrent write to it fails the insert and the attach is decided again."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from eventsourcing.domain import Snapshot
from eventsourcing.persistence import IntegrityError
from eventsourcing.utils import get_topic

from registry.domain.exceptions import Conflict, NotFound
from registry.domain.send import OUTCOME_STATUSES, Send, send_aggregate_id
from registry.projections.send_reads import SendRow, authorizations_by_ref, sends_by_id

if TYPE_CHECKING:
    from registry.store.database import Database
    from registry.store.writer import EventWriter

MAX_ATTEMPTS = 20
_SEND_TOPIC = get_topic(Send)


class MessageRefInUse(Conflict):
    code = "message_ref_in_use"


def send_from_row(tenant: str, row: SendRow, now: datetime) -> Send:
    """The send at its row's version, as from a snapshot (the row commits with its events);
    a send with no event yet is opened."""
    identity = row.identity
    if row.send_version == 0:
        return Send.open(tenant, identity, row.message_ref)
    snapshot = Snapshot(
        originator_id=send_aggregate_id(tenant, identity.authorization_id),
        originator_version=row.send_version,
        timestamp=now,
        topic=_SEND_TOPIC,
        state={
            "_created_on": None,
            "_modified_on": None,
            "tenant": tenant,
            **identity.fields(),
            "message_ref": row.message_ref,
            "statuses": {s: None for s in OUTCOME_STATUSES if row.flags[s]},
        },
    )
    return cast(Send, snapshot.mutate(None))


def attach_message_ref(
    writer: EventWriter, db: Database, tenant: str, authorization_id: str, ref: str, now: datetime
) -> dict[str, Any]:
    for _ in range(MAX_ATTEMPTS):
        with db.transaction() as sql:
            row = sends_by_id(sql, tenant, [authorization_id]).get(authorization_id)
            owner = authorizations_by_ref(sql, tenant, [ref]).get(ref)
            position = db.max_position(sql)
        if row is None:
            raise NotFound(f"authorization {authorization_id!r} not found")
        if owner is not None and owner != authorization_id:
            raise MessageRefInUse(
                "this message_ref names another authorization",
                message_ref=["already attached to another authorization"],
            )
        send = send_from_row(tenant, row, now)
        send.attach_message_ref(ref)
        body = {"authorization_id": authorization_id, "message_ref": ref}
        if not send.pending_events:
            return {**body, "position": position}
        write_set = writer.write_set(tenant, [send], body, None)
        events = send.collect_events()
        stored = writer.to_stored(events)
        try:
            return dict(
                writer.write_stored(
                    tenant, stored, write_set, body, aggregates=[send], events=events
                )
            )
        except IntegrityError:
            continue
    raise RuntimeError("too many concurrent writes to one send")
