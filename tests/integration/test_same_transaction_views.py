"""The eventsourcing private hook (registry/store/recorders.py) is in force on both
databases: the registry's unit of work runs inside the transaction that inserts
the events, so views and Merkle leaves commit with the events, or not at all."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import pytest
from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError, StoredEvent

from registry.domain.customer import Customer, customer_aggregate_id
from registry.store.recorders import UNIT_OF_WORK
from registry.store.sql import Sql


def _grant_request(customer_id: str) -> dict[str, Any]:
    return {
        "customer_id": customer_id,
        "channel": "whatsapp",
        "purposes": ["promotions"],
        "source": {"kind": "web_form", "evidence": "signup form v3"},
    }


def _view_rows(registry: Any, tenant: str, customer_id: str) -> list[tuple[Any, ...]]:
    with registry.db.transaction() as sql:
        return [
            tuple(row)
            for row in sql.query(
                "SELECT version, position FROM registry_views "
                "WHERE tenant = ? AND kind = 'customer' AND key = ?",
                [tenant, customer_id],
            )
        ]


def _leaf_positions(registry: Any, tenant: str, customer_id: str) -> list[int]:
    with registry.db.transaction() as sql:
        rows = sql.query(
            "SELECT position FROM audit_leaves WHERE tenant = ? AND customer_id = ? "
            "ORDER BY position",
            [tenant, customer_id],
        )
    return [int(p) for (p,) in rows]


def _event_positions(registry: Any, aggregate_id: uuid.UUID) -> list[int]:
    with registry.db.transaction() as sql:
        found = registry.db.positions_of(sql, str(aggregate_id), list(range(1, 50)))
    return [found[v] for v in sorted(found)]


def test_a_grant_writes_its_view_row_and_audit_leaves_with_the_events_position(
    registry: Any, services: Any, tenant: str
) -> None:
    customer_id = "c-" + uuid.uuid4().hex[:8]

    answer = services.consents.grant(tenant, _grant_request(customer_id))

    positions = _event_positions(registry, customer_aggregate_id(tenant, customer_id))
    assert positions, "the grant recorded no events"
    assert answer["position"] == positions[-1]
    views = _view_rows(registry, tenant, customer_id)
    assert len(views) == 1
    version, view_position = views[0]
    assert int(view_position) == answer["position"]
    assert int(version) == len(positions)
    assert _leaf_positions(registry, tenant, customer_id) == positions


def test_a_unit_of_work_that_raises_rolls_back_the_events_and_writes_no_view(
    registry: Any, tenant: str
) -> None:
    customer_id = "c-" + uuid.uuid4().hex[:8]
    aggregate_id = customer_aggregate_id(tenant, customer_id)
    position_before = _max_position(registry)
    called: list[Sequence[int]] = []

    def failing_unit(sql: Sql, stored: Sequence[StoredEvent], positions: Sequence[int]) -> None:
        called.append(list(positions))
        sql.execute(
            "INSERT INTO registry_views (tenant, kind, key, version, position, doc) "
            "VALUES (?, 'customer', ?, 1, ?, '{}')",
            [tenant, customer_id, max(positions)],
        )
        raise RuntimeError("the unit of work failed")

    customer = Customer.register(tenant, customer_id)
    with pytest.raises(RuntimeError, match="the unit of work failed"):
        registry.save(customer, **{UNIT_OF_WORK: failing_unit})

    assert len(called) == 1, "the hook did not run the unit of work"
    assert called[0] and min(called[0]) > position_before
    assert _event_positions(registry, aggregate_id) == []
    assert _view_rows(registry, tenant, customer_id) == []
    assert _leaf_positions(registry, tenant, customer_id) == []
    with pytest.raises(AggregateNotFoundError):
        registry.repository.get(aggregate_id)


def test_after_a_rolled_back_unit_of_work_the_same_aggregate_saves_normally(
    registry: Any, services: Any, tenant: str
) -> None:
    customer_id = "c-" + uuid.uuid4().hex[:8]

    def failing_unit(sql: Sql, stored: Sequence[StoredEvent], positions: Sequence[int]) -> None:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        registry.save(Customer.register(tenant, customer_id), **{UNIT_OF_WORK: failing_unit})

    answer = services.consents.grant(tenant, _grant_request(customer_id))

    positions = _event_positions(registry, customer_aggregate_id(tenant, customer_id))
    assert positions[-1] == answer["position"]
    assert [int(p) for _, p in _view_rows(registry, tenant, customer_id)] == [answer["position"]]


def _max_position(registry: Any) -> int:
    with registry.db.transaction() as sql:
        return int(registry.db.max_position(sql))


def test_a_constraint_violation_in_the_unit_of_work_is_an_integrity_error_and_stores_nothing(
    registry: Any, tenant: str
) -> None:
    """The write path retries on IntegrityError (a repeated idempotency key, a webhook
    seen twice), so the hook must surface SQL conflicts as eventsourcing's error."""
    customer_id = "c-" + uuid.uuid4().hex[:8]

    def conflicting_unit(sql: Sql, stored: Sequence[StoredEvent], positions: Sequence[int]) -> None:
        for _ in range(2):
            sql.execute(
                "INSERT INTO registry_webhook_seen (tenant, dedupe_key) VALUES (?, ?)",
                [tenant, "twice"],
            )

    with pytest.raises(IntegrityError):
        registry.save(Customer.register(tenant, customer_id), **{UNIT_OF_WORK: conflicting_unit})

    assert _event_positions(registry, customer_aggregate_id(tenant, customer_id)) == []
    with registry.db.transaction() as sql:
        seen = sql.query("SELECT dedupe_key FROM registry_webhook_seen WHERE tenant = ?", [tenant])
    assert seen == []
