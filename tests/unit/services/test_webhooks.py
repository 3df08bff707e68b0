"""WebhookService on the in-memory fakes (tests/services.py): an inbound STOP from a known
phone, its redelivery, and the platform's pause of a template."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from registry.domain.base import acting_as
from registry.domain.customer import customer_aggregate_id
from registry.domain.vocabulary import PURPOSES
from tests.conftest import MARKETING_TEMPLATE
from tests.services import OnFakes, on_fakes

T = "acme"
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "whatsapp"


@pytest.fixture
def on() -> OnFakes:
    return on_fakes()


def payload(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def test_an_inbound_stop_from_a_known_phone_withdraws_everything_once(on: OnFakes) -> None:
    with acting_as("alice"):
        on.consents.grant(
            T,
            {
                "customer_id": "anna",
                "channel": "whatsapp",
                "purposes": list(PURPOSES),
                "source": {"kind": "api"},
                "phone": "+79161234567",
            },
        )
    first = on.webhooks.ingest_whatsapp(T, payload("message_text.json"))
    assert first["recorded"] == 1
    assert {c["status"] for c in on.consents.customer(T, "anna")["consents"]} == {"withdrawn"}
    again = on.webhooks.ingest_whatsapp(T, payload("message_text.json"))
    assert (again["recorded"], again["duplicates"]) == (0, 1)
    events = on.writer.events_of(customer_aggregate_id(T, "anna"))
    assert events.count("InboundReceived") == 1


def test_a_stop_from_an_unknown_phone_is_recorded_on_a_customer_of_its_own(
    on: OnFakes,
) -> None:
    assert on.webhooks.ingest_whatsapp(T, payload("message_text.json"))["recorded"] == 1
    stranger = on.consents.customer(T, "wa:79161234567")
    assert {c["status"] for c in stranger["consents"]} == {"withdrawn"}


def test_a_platform_pause_of_a_template_is_recorded_on_it(on: OnFakes) -> None:
    with acting_as("alice"):
        on.templates.submit_template(T, MARKETING_TEMPLATE)
    raw = json.dumps(payload("template_status_paused.json"))
    paused = json.loads(raw.replace('"spring_sale_offer"', '"spring_sale"'))
    assert on.webhooks.ingest_whatsapp(T, paused)["recorded"] == 1
    assert on.templates.template(T, "spring_sale", "ru")["platform_status"] == "PAUSED"
