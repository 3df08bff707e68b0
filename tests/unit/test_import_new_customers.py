"""A new customer built straight as stored events (the import's bulk path) is, byte for
byte, what the aggregate, eventsourcing's mapper and the `WriteSet` give for the same
grant at the same moment: events, Merkle leaves, view document, and the aggregate the
repository reads back from them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate
from hypothesis import given, settings
from hypothesis import strategies as st

from registry.domain.base import acting_as
from registry.domain.customer import Customer, customer_aggregate_id
from registry.domain.vocabulary import CHANNELS, PURPOSES
from registry.projections.documents import customer_document
from registry.store.new_customers import NewCustomerGrant, new_customer_record
from registry.store.unit_of_work import ViewWrite, WriteSet, view_row

MAPPER = Application[uuid.UUID]().mapper
NOW = datetime(2026, 3, 1, 12, 30, 15, 123456, tzinfo=UTC)

text = st.text(max_size=40)  # any Unicode but lone surrogates, which the API refuses
sealed = st.builds(lambda s: "enc:v1:" + s, st.text("abcXYZ019-_", min_size=1, max_size=30))
moments = st.datetimes(
    min_value=datetime(1970, 1, 2),
    max_value=datetime(2999, 1, 1),
    timezones=st.sampled_from(
        [UTC, timezone(timedelta(hours=3)), timezone(timedelta(hours=-5, minutes=-30))]
    ),
)
sources = st.fixed_dictionaries(
    {"kind": st.sampled_from(["import", "web_form", "paper"])},
    optional={
        "evidence": st.one_of(st.none(), sealed),
        "ip": st.one_of(st.none(), sealed),
        "user_agent": st.one_of(st.none(), sealed),
        "notice_version": st.one_of(st.none(), text),
    },
)
profiles = st.fixed_dictionaries({}, optional={"phone": sealed, "timezone": text, "locale": text})
grants = st.builds(
    lambda customer_id, channel, purposes, source, profile, granted_at, expires_at: {
        "customer_id": customer_id,
        "channel": channel,
        "purposes": sorted(purposes, key=PURPOSES.index),
        "source": source,
        "profile": profile,
        "granted_at": granted_at,
        "expires_at": expires_at,
    },
    st.text(min_size=1, max_size=20),
    st.sampled_from(CHANNELS),
    st.sets(st.sampled_from(PURPOSES), min_size=1),
    sources,
    profiles,
    st.one_of(st.none(), moments),
    st.one_of(st.none(), moments),
)


def _plain(grant: dict[str, Any], actor: str, monkeypatch: Any) -> Customer:
    """The aggregate path of an import row for a new customer, every event at NOW."""
    monkeypatch.setattr(Aggregate.Event, "create_timestamp", staticmethod(lambda: NOW))
    with acting_as(actor, "req-1"):
        customer = Customer.register("tenant-a", grant["customer_id"], grant["profile"])
        customer.grant(
            receipt_id="rcpt_1",
            channel=grant["channel"],
            purposes=grant["purposes"],
            source=grant["source"],
            granted_at=grant["granted_at"] or NOW,
            expires_at=grant["expires_at"],
        )
    return customer


def _bulk(grant: dict[str, Any], actor: str) -> Any:
    return new_customer_record(
        NewCustomerGrant(
            tenant="tenant-a",
            customer_id=grant["customer_id"],
            aggregate_id=customer_aggregate_id("tenant-a", grant["customer_id"]),
            profile=grant["profile"],
            receipt_id="rcpt_1",
            channel=grant["channel"],
            purposes=grant["purposes"],
            source=grant["source"],
            granted_at=grant["granted_at"],
            expires_at=grant["expires_at"],
        ),
        actor=actor,
        request_id="req-1",
        now=NOW,
    )


@settings(max_examples=300, deadline=None)
@given(grant=grants, actor=st.sampled_from(["alice", "système", "customer:link"]))
def test_a_bulk_built_customer_stores_what_the_aggregate_path_stores(
    grant: dict[str, Any], actor: str
) -> None:
    with pytest.MonkeyPatch.context() as monkeypatch:
        customer = _plain(grant, actor, monkeypatch)
    plain = [MAPPER.to_stored_event(e) for e in customer.collect_events()]
    bulk = _bulk(grant, actor)
    assert [(e.originator_id, e.originator_version, e.topic, e.state) for e in bulk.events] == [
        (e.originator_id, e.originator_version, e.topic, e.state) for e in plain
    ]
    write_set = WriteSet(
        tenant="tenant-a", leaf_labels={str(customer.id): (customer.customer_id, None)}
    )
    for position, (ours, theirs) in enumerate(zip(bulk.events, plain, strict=True), start=7):
        assert ours.leaf_entry(position) == write_set._leaf_entry(theirs, position)
    view = ViewWrite("customer", grant["customer_id"], str(customer.id), customer.version, {})
    view.doc = customer_document(customer)
    assert (bulk.version, bulk.document) == (customer.version, view_row("t", view, 1)[-1])


@settings(max_examples=100, deadline=None)
@given(grant=grants)
def test_a_bulk_built_customer_reads_back_as_the_aggregate(grant: dict[str, Any]) -> None:
    with pytest.MonkeyPatch.context() as monkeypatch:
        expected = _plain(grant, "alice", monkeypatch)
    customer: Customer | None = None
    for stored in _bulk(grant, "alice").events:
        customer = MAPPER.to_domain_event(stored).mutate(customer)  # type: ignore[attr-defined]
    assert customer is not None
    assert _state(customer) == _state(expected)


def _state(customer: Customer) -> dict[str, Any]:
    return {k: v for k, v in vars(customer).items() if k != "_pending_events"}
