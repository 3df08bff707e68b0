"""The Customer aggregate on in-memory persistence."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from eventsourcing.application import Application

from registry.domain.base import acting_as
from registry.domain.customer import Customer
from registry.domain.exceptions import CustomerErased

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def granted(customer: Customer, *, at: datetime = T0, purposes: list[str] | None = None) -> None:
    customer.grant(
        receipt_id="r1",
        channel="whatsapp",
        purposes=purposes or ["promotions"],
        source={"kind": "api"},
        granted_at=at,
        expires_at=None,
    )


def test_grant_then_withdraw_leaves_the_consent_withdrawn() -> None:
    customer = Customer.register("t", "c")
    granted(customer)
    customer.withdraw(
        channel="whatsapp",
        purposes=["promotions"],
        source={"kind": "api"},
        withdrawn_at=T0 + timedelta(hours=1),
    )
    assert customer.consents["whatsapp:promotions"]["status"] == "withdrawn"


def test_late_import_of_an_older_grant_never_undoes_an_opt_out() -> None:
    customer = Customer.register("t", "c")
    customer.withdraw(
        channel="whatsapp", purposes=["promotions"], source={"kind": "api"}, withdrawn_at=T0
    )
    granted(customer, at=T0 - timedelta(days=30))
    assert customer.consents["whatsapp:promotions"]["status"] == "withdrawn"


def test_newer_grant_after_an_opt_out_grants_again() -> None:
    customer = Customer.register("t", "c")
    customer.withdraw(
        channel="whatsapp", purposes=["promotions"], source={"kind": "api"}, withdrawn_at=T0
    )
    granted(customer, at=T0 + timedelta(minutes=1))
    assert customer.consents["whatsapp:promotions"]["status"] == "granted"


def test_events_carry_the_acting_user_and_request() -> None:
    with acting_as("alice", "req-9"):
        customer = Customer.register("t", "c")
        granted(customer)
    events = customer.collect_events()
    assert {(e.actor, e.request_id) for e in events} == {("alice", "req-9")}


def test_erased_customer_refuses_new_grants_but_accepts_opt_outs() -> None:
    customer = Customer.register("t", "c")
    customer.erase("request by data subject")
    with pytest.raises(CustomerErased):
        granted(customer)
    customer.withdraw(channel="sms", purposes=["alerts"], source={"kind": "api"}, withdrawn_at=T0)
    assert customer.consents["sms:alerts"]["status"] == "withdrawn"


def test_only_recent_non_transactional_authorizations_are_kept() -> None:
    customer = Customer.register("t", "c")
    for days, purpose in ((10, "promotions"), (1, "promotions"), (0, "service")):
        customer.authorize_send(
            authorization_id=f"a{days}",
            channel="whatsapp",
            template={},
            purpose=purpose,
            authorized_at=T0 - timedelta(days=days),
            message_ref=None,
        )
    assert customer.recent_authorizations == [T0 - timedelta(days=1)]


def test_customer_round_trips_through_the_event_store() -> None:
    app: Application = Application(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    with acting_as("alice"):
        customer = Customer.register("t", "c")
        granted(customer)
    app.save(customer)
    loaded = app.repository.get(customer.id)
    assert loaded.consents == customer.consents
    assert loaded.tenant == "t"
