"""ConsentService on the in-memory fakes (tests/services.py): grants, expiry, opt-outs,
inbound keywords."""

from __future__ import annotations

import json
from typing import Any

import pytest

from registry.domain.base import acting_as
from registry.domain.customer import customer_aggregate_id
from registry.domain.vocabulary import NON_TRANSACTIONAL, PURPOSES
from tests.services import OnFakes, on_fakes

T = "acme"


@pytest.fixture
def on() -> OnFakes:
    return on_fakes()


def grant_request(customer_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "customer_id": customer_id,
        "channel": "whatsapp",
        "purposes": ["promotions"],
        "source": {"kind": "web_form", "evidence": "form #7"},
        **extra,
    }


def events_of(on: OnFakes, customer_id: str) -> list[str]:
    return on.writer.events_of(customer_aggregate_id(T, customer_id))


def test_a_grant_records_the_customer_and_its_consent_with_sealed_evidence(on: OnFakes) -> None:
    with acting_as("alice"):
        answer = on.consents.grant(T, grant_request("anna", phone="+79161234567"))
    assert answer["receipt_id"].startswith("rcpt_")
    assert events_of(on, "anna") == ["Registered", "ProfileChanged", "ConsentGranted"]
    customer = on.consents.customer(T, "anna")
    assert customer["phone"] == "+79161234567"
    (consent,) = customer["consents"]
    assert (consent["purpose"], consent["status"]) == ("promotions", "granted")
    assert consent["granted_at"] == on.clock.now().isoformat().replace("+00:00", "Z")
    assert consent["source"]["evidence"] == "form #7"
    stored = on.views.docs[(T, "customer", "anna")]["consents"]["whatsapp:promotions"]
    assert "form #7" not in json.dumps(stored)  # sealed in the view, as in the event


def test_a_grant_past_its_expiry_reads_as_expired(on: OnFakes) -> None:
    expires = on.clock.advance(hours=1)
    on.clock.advance(hours=-1)
    with acting_as("alice"):
        on.consents.grant(T, grant_request("anna", expires_at=expires))
    assert on.consents.customer(T, "anna")["consents"][0]["status"] == "granted"
    on.clock.advance(hours=2)
    assert on.consents.customer(T, "anna")["consents"][0]["status"] == "expired"


def test_an_opt_out_withdraws_every_purpose_asked_and_no_other(on: OnFakes) -> None:
    with acting_as("alice"):
        on.consents.grant(T, grant_request("anna", purposes=list(PURPOSES)))
        on.consents.opt_out(T, "anna", "whatsapp", list(NON_TRANSACTIONAL), {"kind": "api"})
    statuses = {c["purpose"]: c["status"] for c in on.consents.customer(T, "anna")["consents"]}
    assert statuses == {p: ("withdrawn" if p in NON_TRANSACTIONAL else "granted") for p in PURPOSES}


def test_an_opt_out_of_an_unknown_customer_is_recorded_not_refused(on: OnFakes) -> None:
    with acting_as("alice"):
        on.consents.opt_out(T, "stranger", "sms", "all", {"kind": "api"})
    assert events_of(on, "stranger") == ["Registered", "ConsentWithdrawn"]
    assert {c["status"] for c in on.consents.customer(T, "stranger")["consents"]} == {"withdrawn"}


def test_an_inbound_stop_keyword_withdraws_everything_once_per_dedupe_key(on: OnFakes) -> None:
    with acting_as("alice"):
        on.consents.grant(T, grant_request("anna", purposes=list(PURPOSES)))
    for _ in range(2):
        on.consents.receive_inbound(
            T, "anna", channel="whatsapp", received_at=None, text="СТОП", dedupe_key="msg-1"
        )
    assert {c["status"] for c in on.consents.customer(T, "anna")["consents"]} == {"withdrawn"}
    assert events_of(on, "anna").count("InboundReceived") == 1
