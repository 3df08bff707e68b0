"""A batch's `Send` events built straight as stored events (the outcome batch's bulk path)
are, byte for byte, what the `Send` aggregate, eventsourcing's mapper and the `WriteSet`
give for the same outcomes at the same moment: events and labelled Merkle leaves, and the
aggregate reads back from them with the same state."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from eventsourcing.application import Application
from hypothesis import given, settings
from hypothesis import strategies as st

from registry.domain.base import acting_as, events_stamped_by
from registry.domain.send import OUTCOME_STATUSES, Send, SendIdentity, new_outcome
from registry.store.prepared_sends import Stamp, opened, outcome_recorded
from registry.store.unit_of_work import WriteSet

MAPPER = Application[uuid.UUID]().mapper
NOW = datetime(2026, 3, 1, 12, 30, 15, 123456, tzinfo=UTC)

moments = st.datetimes(
    min_value=datetime(1970, 1, 2),
    max_value=datetime(2999, 1, 1),
    timezones=st.sampled_from(
        [UTC, timezone(timedelta(hours=3)), timezone(timedelta(hours=-5, minutes=-30))]
    ),
)
identities = st.builds(
    SendIdentity,
    authorization_id=st.text(min_size=1, max_size=30),
    customer_id=st.text(min_size=1, max_size=20),
    channel=st.sampled_from(["whatsapp", "sms", "email"]),
    template=st.fixed_dictionaries(
        {
            "name": st.text(min_size=1, max_size=20),
            "language": st.sampled_from(["ru", "en", "pt_BR"]),
            "version": st.one_of(st.none(), st.integers(1, 10**6)),
        }
    ),
    purpose=st.sampled_from(["marketing", "transactional", "service"]),
    authorized_at=moments,
)
outcomes = st.lists(
    st.fixed_dictionaries(
        {
            "status": st.sampled_from(OUTCOME_STATUSES),
            "at": moments,
            "error_code": st.one_of(st.none(), st.sampled_from(["131049", "131026", "x"])),
            "detail": st.one_of(st.none(), st.text(max_size=30)),
        }
    ),
    min_size=1,
    max_size=6,
)


def _aggregate_path(
    identity: SendIdentity, message_ref: str | None, items: list[dict[str, Any]], actor: str
) -> Send:
    with acting_as(actor, "req-1"), events_stamped_by(lambda: NOW):
        send = Send.open("tenant-a", identity, message_ref)
        for item in items:
            send.record_outcome(source="whatsapp", **item)
    return send


def _bulk_path(
    identity: SendIdentity, message_ref: str | None, items: list[dict[str, Any]], actor: str
) -> list[Any]:
    stamp = Stamp(actor, "req-1", NOW)
    send_id = Send.open("tenant-a", identity, message_ref).id
    events = [opened("tenant-a", send_id, identity, message_ref, stamp)]
    known: set[str] = set()
    for item in items:
        outcome = new_outcome(known, item["status"], item["at"], item["error_code"])
        if outcome is None:
            continue
        known.add(outcome.status)
        events.append(
            outcome_recorded(
                send_id,
                len(events) + 1,
                identity,
                outcome,
                detail=item["detail"],
                message_ref=message_ref,
                source="whatsapp",
                stamp=stamp,
            )
        )
    return events


@settings(max_examples=200, deadline=None)
@given(
    identity=identities,
    message_ref=st.one_of(st.none(), st.text(min_size=1, max_size=40)),
    items=outcomes,
    actor=st.sampled_from(["platform:whatsapp", "alice", "système"]),
)
def test_prepared_send_events_store_what_the_aggregate_path_stores(
    identity: SendIdentity, message_ref: str | None, items: list[dict[str, Any]], actor: str
) -> None:
    send = _aggregate_path(identity, message_ref, items, actor)
    plain = [MAPPER.to_stored_event(e) for e in send.collect_events()]
    bulk = _bulk_path(identity, message_ref, items, actor)
    assert [(e.originator_id, e.originator_version, e.topic, e.state) for e in bulk] == [
        (e.originator_id, e.originator_version, e.topic, e.state) for e in plain
    ]
    template = f"{identity.template['name']}/{identity.template['language']}"
    write_set = WriteSet(
        tenant="tenant-a", leaf_labels={str(send.id): (identity.customer_id, template)}
    )
    for position, (ours, theirs) in enumerate(zip(bulk, plain, strict=True), start=3):
        assert ours.leaf_entry(position) == write_set._leaf_entry(theirs, position)


@settings(max_examples=100, deadline=None)
@given(identity=identities, items=outcomes)
def test_prepared_send_events_read_back_as_the_aggregate(
    identity: SendIdentity, items: list[dict[str, Any]]
) -> None:
    expected = _aggregate_path(identity, "wamid.1", items, "alice")
    send: Send | None = None
    for stored in _bulk_path(identity, "wamid.1", items, "alice"):
        send = MAPPER.to_domain_event(stored).mutate(send)  # type: ignore[attr-defined]
    assert send is not None
    ignored = {"_pending_events"}
    assert {k: v for k, v in vars(send).items() if k not in ignored} == {
        k: v for k, v in vars(expected).items() if k not in ignored
    }
