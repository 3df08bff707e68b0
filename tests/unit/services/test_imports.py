"""ImportService on the in-memory fakes (tests/services.py): one write for every row,
new customers built straight as stored events, known ones through their aggregate."""

from __future__ import annotations

from typing import Any

import pytest

from registry.domain.base import acting_as
from registry.domain.customer import customer_aggregate_id
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
        "source": {"kind": "import", "evidence": "crm export"},
        **extra,
    }


def events_of(on: OnFakes, customer_id: str) -> list[str]:
    return on.writer.events_of(customer_aggregate_id(T, customer_id))


def test_an_import_records_every_row_in_one_write(on: OnFakes) -> None:
    with acting_as("alice"):
        on.consents.grant(T, grant_request("known"))
        saves = on.writer.saves
        rows = [
            grant_request("new1", phone="+79160000001"),
            grant_request("new2"),
            grant_request("twice"),
            grant_request("twice", channel="sms"),
            grant_request("known", channel="sms"),
        ]
        assert on.imports.import_grants(T, rows)["imported"] == 5
    assert on.writer.saves == saves + 1
    assert events_of(on, "new1") == ["Registered", "ConsentGranted"]
    assert events_of(on, "twice") == ["Registered", "ConsentGranted", "ConsentGranted"]
    assert events_of(on, "known")[-1] == "ConsentGranted"
    channels = {c["channel"] for c in on.consents.customer(T, "twice")["consents"]}
    assert channels == {"whatsapp", "sms"}
    assert on.consents.customer(T, "new1")["phone"] == "+79160000001"
    assert on.consents.customer(T, "new2")["consents"][0]["source"]["evidence"] == "crm export"


def test_imported_grants_without_a_time_are_granted_at_the_clocks_time(on: OnFakes) -> None:
    with acting_as("alice"):
        on.imports.import_grants(
            T, [grant_request("new"), grant_request("two"), grant_request("two", channel="sms")]
        )
    moment = on.clock.now().isoformat().replace("+00:00", "Z")
    for customer_id in ("new", "two"):
        granted = {c["granted_at"] for c in on.consents.customer(T, customer_id)["consents"]}
        assert granted == {moment}
