"""The shortcuts of the bulk write path give exactly what the plain path gives:
Merkle leaves, loaded import rows, and customers from events of either version."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from eventsourcing.application import Application
from eventsourcing.persistence import StoredEvent
from marshmallow import ValidationError

from audit.merkle import canonical_json
from registry.api.consents.imports import _GrantLoader
from registry.api.consents.schemas import GrantSchema
from registry.domain.customer import Customer
from registry.store.unit_of_work import WriteSet, leaf_object


def _stored(state: dict[str, Any], topic: str = "registry.domain.customer:Customer.X") -> Any:
    raw = json.dumps(state, separators=(",", ":"), ensure_ascii=False).encode()
    return StoredEvent(originator_id=uuid.uuid4(), originator_version=3, topic=topic, state=raw)


@pytest.mark.parametrize(
    "state",
    [
        {"b": 1, "a": {"z": [1, "é", None, True], "y": "\u2028\x7f\x00"}, "timestamp": {}},
        {"text": 'Привет 👋 "quoted" \\ back', "n": -12345678901234567890},
        {"timestamp": {"_type_": "datetime_iso", "_data_": "2026-01-01T00:00:00+00:00"}},
    ],
)
def test_a_leaf_is_the_canonical_json_of_the_stored_event(state: dict[str, Any]) -> None:
    event = _stored(state)
    entry = WriteSet(tenant="t")._leaf_entry(event, 7)
    assert entry.leaf == canonical_json(leaf_object(event, json.loads(event.state)))


def test_a_float_in_a_stored_event_is_refused_as_a_leaf() -> None:
    with pytest.raises(ValueError, match="float"):
        WriteSet(tenant="t")._leaf_entry(_stored({"amount": 1.5}), 1)


ROWS: list[dict[str, Any]] = [
    {"customer_id": "c1", "purposes": ["promotions"], "source": {"kind": "import"}},
    {"customer_id": "c2", "purposes": ["promotions"], "source": {"kind": "import"}},
    {"customer_id": "c3", "purposes": ["promotions"], "source": {"kind": "import"}, "phone": "+7 912 000-00-01"},
    {"customer_id": "c4", "purposes": ["promotions"], "source": {"kind": "import"}, "phone": "12"},
    {"customer_id": "", "purposes": ["promotions"], "source": {"kind": "import"}},
    {"customer_id": 5, "purposes": ["promotions"], "source": {"kind": "import"}},
    {"purposes": ["promotions"], "source": {"kind": "import"}},
    {"customer_id": "c6", "purposes": ["promotions"], "source": {"kind": "import"}, "x": 1},
    {"customer_id": "c7", "purposes": ["nonsense"], "source": {"kind": "import"}},
    {"customer_id": "c8", "purposes": ["nonsense"], "source": {"kind": "import"}},
    {
        "customer_id": "c9",
        "purposes": ["alerts"],
        "source": {"kind": "import", "evidence": "e"},
        "granted_at": "2025-01-01T10:00:00+03:00",
        "expires_at": "2027-01-01T00:00:00Z",
        "timezone": "Europe/Moscow",
    },
    {
        "customer_id": "c10",
        "purposes": ["alerts"],
        "source": {"kind": "import", "evidence": "e"},
        "granted_at": "2025-01-01T10:00:00+03:00",
        "expires_at": "2027-01-01T00:00:00Z",
        "timezone": "Europe/Moscow",
    },
    {"customer_id": "c11", "purposes": ["alerts"], "source": {"kind": "import"}, "expires_at": "2000-01-01T00:00:00Z"},
    {"customer_id": "c12", "purposes": ["alerts"], "source": {"kind": "import"}, "channel": 1},
]  # fmt: skip


def _load(load: Any, row: dict[str, Any]) -> Any:
    try:
        return load(row)
    except ValidationError as error:
        return ("invalid", error.messages)


def test_the_import_loader_answers_as_the_schema_does_for_every_row() -> None:
    loader, schema = _GrantLoader(), GrantSchema()
    for row in ROWS + ROWS:
        assert _load(loader.load, dict(row)) == _load(schema.load, dict(row)), row


def test_rows_of_one_shape_are_loaded_by_the_schema_once() -> None:
    loader = _GrantLoader()
    for row in ROWS[:3]:
        loader.load(row)
    assert len(loader.shared) == 1  # customer_id and phone are checked row by row


def test_a_registered_event_of_version_1_reads_back_with_an_empty_profile() -> None:
    app: Application[uuid.UUID] = Application()
    customer = Customer.register("t", "c1", {"timezone": "Europe/Moscow"})
    stored = app.mapper.to_stored_event(customer.collect_events()[0])
    state = json.loads(stored.state)
    assert state["class_version"] == 2 and state["profile"] == {"timezone": "Europe/Moscow"}
    del state["class_version"], state["profile"]
    v1 = StoredEvent(
        originator_id=stored.originator_id,
        originator_version=1,
        topic=stored.topic,
        state=json.dumps(state).encode(),
    )
    event = app.mapper.to_domain_event(v1)
    rebuilt = event.mutate(None)  # type: ignore[attr-defined]
    assert (rebuilt.customer_id, rebuilt.profile) == ("c1", {})


def test_a_customer_registered_with_a_profile_has_it_from_its_first_version() -> None:
    customer = Customer.register("t", "c1", {"timezone": "Europe/Moscow", "phone": "enc:v1:x"})
    assert customer.version == 1
    assert customer.profile == {"timezone": "Europe/Moscow", "phone": "enc:v1:x"}
    assert customer.consents == {} and customer.erased is False
