"""An authorization restores the customer from its view document instead of from the
event store: for every history, the restored customer renders the same document and
takes the same authorization as the customer rebuilt from its events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from registry.domain.customer import Customer
from registry.projections.documents import customer_document
from registry.store.unit_of_work import compact_json_text
from registry.usecases.authorizing import customer_from_view

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
CHANNELS = ("whatsapp", "sms")
PURPOSES = ("promotions", "service", "news")

moments = st.integers(min_value=-5 * 86400, max_value=5 * 86400).map(
    lambda s: T0 + timedelta(seconds=s, microseconds=s % 7 * 1000)
)
purposes = st.lists(st.sampled_from(PURPOSES), min_size=1, max_size=3, unique=True)
commands = st.one_of(
    st.tuples(st.just("grant"), st.sampled_from(CHANNELS), purposes, moments, st.booleans()),
    st.tuples(st.just("withdraw"), st.sampled_from(CHANNELS), purposes, moments),
    st.tuples(st.just("inbound"), st.sampled_from(CHANNELS), moments),
    st.tuples(st.just("authorize"), st.sampled_from(PURPOSES), moments),
    st.tuples(st.just("profile"), st.text(max_size=8)),
    st.tuples(st.just("suppress"), st.booleans()),
    st.tuples(st.just("erase")),
)


def run(customer: Customer, command: tuple[Any, ...]) -> None:
    kind = command[0]
    if kind == "grant" and not customer.erased:
        _, channel, chosen, at, expires = command
        customer.grant(
            receipt_id=f"r{at.timestamp()}",
            channel=channel,
            purposes=chosen,
            source={"kind": "api", "evidence": {"form": "v3"}},
            granted_at=at,
            expires_at=at + timedelta(days=30) if expires else None,
        )
    elif kind == "withdraw":
        _, channel, chosen, at = command
        customer.withdraw(
            channel=channel, purposes=chosen, source={"kind": "link"}, withdrawn_at=at
        )
    elif kind == "inbound":
        customer.receive_inbound(
            channel=command[1], received_at=command[2], text=None, opt_out_keyword=False
        )
    elif kind == "authorize" and not customer.erased:
        authorize(customer, command[1], command[2])
    elif kind == "profile" and not customer.erased:
        customer.change_profile({"timezone": "Europe/Moscow", "name": command[1]})
    elif kind == "suppress" and command[1]:
        customer.suppress("test")
    elif kind == "suppress" and not customer.erased:
        customer.unsuppress("test")
    elif kind == "erase":
        customer.erase("test")


def authorize(customer: Customer, purpose: str, at: datetime) -> None:
    customer.authorize_send(
        authorization_id=f"a{at.timestamp()}",
        channel="whatsapp",
        template={"name": "spring_sale", "language": "ru", "version": 1},
        purpose=purpose,
        authorized_at=at,
        message_ref=None,
    )


def as_stored(customer: Customer) -> dict[str, Any]:
    """The document as the view keeps it and the reader parses it back."""
    doc: dict[str, Any] = orjson.loads(compact_json_text(customer_document(customer)))
    return doc


@settings(max_examples=150, deadline=None)
@given(history=st.lists(commands, max_size=12))
def test_a_customer_restored_from_its_view_renders_the_same_view(
    history: list[tuple[Any, ...]],
) -> None:
    customer = Customer.register("t", "c1", {"timezone": "Europe/Moscow"})
    for command in history:
        run(customer, command)
    restored = customer_from_view("t", as_stored(customer))
    assert vars(restored).keys() == vars(customer).keys(), "an attribute the view lacks"
    assert (restored.id, restored.version) == (customer.id, customer.version)
    assert customer_document(restored) == customer_document(customer)
    assert restored.consents == customer.consents
    assert restored.recent_authorizations == customer.recent_authorizations
    assert restored.last_inbound_at == customer.last_inbound_at


@settings(max_examples=150, deadline=None)
@given(history=st.lists(commands, max_size=12), purpose=st.sampled_from(PURPOSES), at=moments)
def test_an_authorization_of_a_restored_customer_is_the_one_of_the_rebuilt_customer(
    history: list[tuple[Any, ...]], purpose: str, at: datetime
) -> None:
    customer = Customer.register("t", "c1")
    for command in history:
        run(customer, command)
    customer.collect_events()
    restored = customer_from_view("t", as_stored(customer))
    if customer.erased:
        return
    authorize(customer, purpose, at)
    authorize(restored, purpose, at)
    [event], [restored_event] = customer.collect_events(), restored.collect_events()
    assert restored_event.originator_version == event.originator_version == customer.version
    ignored = {"timestamp"}
    assert {k: v for k, v in vars(restored_event).items() if k not in ignored} == {
        k: v for k, v in vars(event).items() if k not in ignored
    }
    assert customer_document(restored) == customer_document(customer)
