"""Large imports take the bulk write path (COPY on PostgreSQL, one `Registered`
event carrying a new customer's profile); on both databases they must store the
same events, positions, views and Merkle leaves as row-by-row writes would."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from typing import Any

import pytest
from eventsourcing.persistence import IntegrityError, StoredEvent

from audit.check import altered_events
from registry.domain.customer import Customer, customer_aggregate_id
from registry.store.recorders import COPY_EVENTS_FROM, UNIT_OF_WORK
from registry.store.sql import Sql

ROWS = COPY_EVENTS_FROM + 16  # two events per new customer: well past the COPY threshold
NDJSON = {"Content-Type": "application/x-ndjson"}


def _row(customer_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "customer_id": customer_id,
        "channel": "whatsapp",
        "purposes": ["promotions"],
        "source": {"kind": "import", "evidence": "bench seed"},
        "timezone": "Europe/Moscow",
        **extra,
    }


def _import(api: Any, rows: Sequence[dict[str, Any]]) -> Any:
    body = "\n".join(json.dumps(r) for r in rows)
    return api.post("/v1/consents/import", data=body, headers=NDJSON)


def _history_types(api: Any, customer_id: str) -> list[str]:
    events = api.get(f"/v1/customers/{customer_id}/history").get_json()["events"]
    return [e["type"] for e in events]


def test_a_new_customer_is_registered_with_its_profile_in_one_event(api: Any) -> None:
    answer = _import(api, [_row(f"n{i}", phone=f"+7912000{i:04d}") for i in range(ROWS)])
    assert answer.status_code == 201, answer.get_json()
    state = api.get("/v1/customers/n7").get_json()
    assert (state["timezone"], state["phone"]) == ("Europe/Moscow", "+79120000007")
    assert _history_types(api, "n7") == ["Customer.Registered", "Customer.ConsentGranted"]
    registered = api.get("/v1/customers/n7/history").get_json()["events"][0]
    assert registered["data"]["profile"]["phone"] == "+79120000007"  # sealed, opened to read
    assert "class_version" not in registered["data"]  # how the event is stored, not what it says


def test_a_known_customer_gets_its_profile_change_and_grant_as_a_single_grant_would(
    api: Any,
) -> None:
    assert api.post("/v1/consents", json=_row("known", timezone="Europe/Berlin")).status_code == 201
    rows = [_row("known"), *(_row(f"k{i}") for i in range(ROWS)), _row("k3", locale="ru_RU")]
    assert _import(api, rows).status_code == 201
    assert _history_types(api, "known")[-2:] == [
        "Customer.ProfileChanged",
        "Customer.ConsentGranted",
    ]
    assert api.get("/v1/customers/known").get_json()["timezone"] == "Europe/Moscow"
    assert _history_types(api, "k3") == [
        "Customer.Registered",
        "Customer.ConsentGranted",
        "Customer.ProfileChanged",
        "Customer.ConsentGranted",
    ]
    assert api.get("/v1/customers/k3").get_json()["locale"] == "ru_RU"


def test_imported_events_match_their_leaves_positions_and_views(
    api: Any, registry: Any, tenant: str
) -> None:
    answer = _import(api, [_row(f"p{i}") for i in range(ROWS)])
    assert answer.status_code == 201
    assert [t for t, _, _ in altered_events(registry) if t == tenant] == []
    with registry.db.transaction() as sql:
        leaves = sql.query(
            "SELECT position, customer_id, event_type FROM audit_leaves WHERE tenant = ? "
            "ORDER BY leaf_index",
            [tenant],
        )
        views = dict(
            sql.query(
                "SELECT key, position FROM registry_views WHERE tenant = ? AND kind = 'customer'",
                [tenant],
            )
        )
    positions = [int(p) for p, _, _ in leaves]
    assert positions == sorted(positions) and len(positions) == 2 * ROWS
    assert positions[-1] == answer.get_json()["position"]
    for customer_id in ("p0", f"p{ROWS - 1}"):
        events = api.get(f"/v1/customers/{customer_id}/history").get_json()["events"]
        mine = [(int(p), t) for p, c, t in leaves if c == customer_id]
        assert [(e["position"], e["type"]) for e in events] == mine
        assert int(views[customer_id]) == events[-1]["position"]


def test_a_failing_unit_of_work_rolls_back_a_bulk_batch(registry: Any, tenant: str) -> None:
    customers = [Customer.register(tenant, f"r{i}") for i in range(COPY_EVENTS_FROM)]

    def failing_unit(sql: Sql, stored: Sequence[StoredEvent], positions: Sequence[int]) -> None:
        assert len(positions) == len(stored) == COPY_EVENTS_FROM
        raise RuntimeError("the unit of work failed")

    with pytest.raises(RuntimeError):
        registry.save(*customers, **{UNIT_OF_WORK: failing_unit})
    with registry.db.transaction() as sql:
        stored = registry.db.positions_of(sql, str(customer_aggregate_id(tenant, "r0")), [1])
    assert stored == {}


def test_a_duplicate_event_in_a_bulk_batch_is_an_integrity_error_and_stores_nothing(
    registry: Any, tenant: str
) -> None:
    def save(customers: list[Customer]) -> None:
        write_set = registry.writer.write_set(tenant, customers, {}, None)
        registry.save(*customers, **{UNIT_OF_WORK: write_set})

    save([Customer.register(tenant, "dup")])
    fresh = [Customer.register(tenant, f"f{i}-{uuid.uuid4().hex[:6]}") for i in range(70)]
    with pytest.raises(IntegrityError):
        save([*fresh, Customer.register(tenant, "dup")])
    with registry.db.transaction() as sql:
        stored = registry.db.positions_of(sql, str(fresh[0].id), [1])
    assert stored == {}


def test_bulk_positions_are_the_stored_events_in_order(registry: Any, tenant: str) -> None:
    customers = [Customer.register(tenant, f"o{i}") for i in range(COPY_EVENTS_FROM)]
    write_set = registry.writer.write_set(tenant, customers, {}, None)  # leaves for `audit check`
    recordings = registry.save(*customers, **{UNIT_OF_WORK: write_set})
    with registry.db.transaction() as sql:
        by_event = registry.db.positions_of_events(sql, [(str(c.id), 1) for c in customers])
    assert [r.notification.id for r in recordings] == [by_event[(str(c.id), 1)] for c in customers]
    assert [r.notification.id for r in recordings] == sorted(r.notification.id for r in recordings)


def test_customers_stored_by_a_bulk_import_load_back_for_the_next_import(api: Any) -> None:
    assert _import(api, [_row(f"b{i}") for i in range(ROWS)]).status_code == 201
    again = _import(api, [_row(f"b{i}", locale="ru_RU") for i in range(ROWS)])
    assert again.status_code == 201, again.get_json()
    assert _history_types(api, f"b{ROWS - 1}") == [
        "Customer.Registered",
        "Customer.ConsentGranted",
        "Customer.ProfileChanged",
        "Customer.ConsentGranted",
    ]
    state = api.get(f"/v1/customers/b{ROWS - 1}?min_position={again.get_json()['position']}")
    assert state.get_json()["locale"] == "ru_RU"
