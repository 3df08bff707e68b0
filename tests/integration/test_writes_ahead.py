"""A small write on PostgreSQL sends its unit of work with the events' insert and COMMIT
in one round trip (`WriteSet.statements_ahead`, recorders.py): the server finds the events'
positions and folds the leaves into the Merkle tree (`audit.log.append_on_server`). These
tests pin that it writes what the client-side path writes, and commits all or nothing."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import pytest
from eventsourcing.persistence import StoredEvent

from audit import log
from audit.check import altered_events
from audit.log import LeafEntry
from audit.merkle import leaf_hash, root_from_leaf_hashes
from registry.domain.customer import customer_aggregate_id
from registry.store.bulk_writes import BulkWriteSet
from registry.store.sql import Sql
from registry.store.unit_of_work import IdempotencyWrite, WriteSet
from tests.conftest import promotions_grant


def _entry(number: int) -> LeafEntry:
    return LeafEntry(
        position=number,
        leaf=f'{{"n":{number}}}'.encode(),
        event_type="Customer.ConsentGranted",
        occurred_at=f"2025-03-01T10:00:{number % 60:02d}Z",
        actor="user:alice",
        customer_id=f"c{number % 3}" if number % 4 else None,
        template="spring_sale/ru" if number % 5 == 0 else None,
    )


def _tree(sql: Sql, tenant: str) -> tuple[list[tuple[Any, ...]], ...]:
    leaves = sql.query(
        "SELECT leaf_index, position, leaf_hash, event_type, occurred_at, occurred_key, actor, "
        "customer_id, template FROM audit_leaves WHERE tenant = ? ORDER BY leaf_index",
        [tenant],
    )
    nodes = sql.query(
        "SELECT level, node_index, hash FROM audit_nodes WHERE tenant = ? "
        "ORDER BY level, node_index",
        [tenant],
    )
    row = sql.query("SELECT size, frontier FROM audit_trees WHERE tenant = ?", [tenant])
    return leaves, nodes, row


def _append_both(sql: Sql, client: str, server: str, entries: Sequence[LeafEntry]) -> None:
    log.append(sql, client, entries)
    positions = ", ".join("?" * len(entries))
    for statement, params in log.append_on_server(
        server, entries, f"ARRAY[{positions}]::BIGINT[]", [e.position for e in entries]
    ):
        sql.execute(statement, params)


def test_the_server_fold_writes_the_rows_of_the_client_fold(pg_registry: Any) -> None:
    client, server = "tc" + uuid.uuid4().hex[:10], "ts" + uuid.uuid4().hex[:10]
    number = 0
    with pg_registry.db.transaction(commit=True) as sql:
        for batch in [1, 1, 2, 5, 1, 8, 3, 13, 1, 16, 7]:
            entries = [_entry(number + k) for k in range(batch)]
            number += batch
            _append_both(sql, client, server, entries)
            assert _tree(sql, server) == _tree(sql, client)
        digests = [leaf_hash(_entry(n).leaf) for n in range(number)]
        assert log.root_hash(sql, server, number) == root_from_leaf_hashes(digests)
        assert list(log.find_bad_nodes(sql, server)) == []


def test_the_server_fold_reads_a_missing_or_misfitting_frontier_from_the_nodes(
    pg_registry: Any,
) -> None:
    client, server = "tc" + uuid.uuid4().hex[:10], "ts" + uuid.uuid4().hex[:10]
    with pg_registry.db.transaction(commit=True) as sql:
        _append_both(sql, client, server, [_entry(n) for n in range(7)])
        for start, frontier in ((7, None), (9, b"short")):
            for tenant in (client, server):
                sql.execute(
                    "UPDATE audit_trees SET frontier = ? WHERE tenant = ?", [frontier, tenant]
                )
            _append_both(sql, client, server, [_entry(start), _entry(start + 1)])
            assert _tree(sql, server) == _tree(sql, client)
        assert list(log.find_bad_nodes(sql, server)) == []


def test_writes_through_the_api_leave_leaves_that_match_their_events_and_views_at_their_positions(
    registry: Any, api: Any, tenant: str, approved_template: Any, any_time_policy: None
) -> None:
    """Both backends: grants and authorizations (one round trip on PostgreSQL) leave a
    tree whose leaves are their events' and whose nodes recompute, and view rows at
    their customers' last positions."""
    for customer in ("c1", "c2", "c3"):
        assert api.post("/v1/consents", json=promotions_grant(customer)).status_code == 201
    positions = {}
    for customer in ("c1", "c2", "c1", "c3", "c1"):
        answer = api.post(
            "/v1/authorizations",
            json={"customer_id": customer, "template": {"name": "spring_sale", "language": "ru"}},
        )
        assert answer.status_code == 201, answer.get_json()
        positions[customer] = answer.get_json()["position"]
    assert [t for t, _, _ in altered_events(registry) if t == tenant] == []
    with registry.db.transaction() as sql:
        assert list(log.find_bad_nodes(sql, tenant)) == []
        for customer, position in positions.items():
            view = sql.query(
                "SELECT position FROM registry_views WHERE tenant = ? AND kind = 'customer' "
                "AND key = ?",
                [tenant, customer],
            )
            assert view == [(position,)]
            found = registry.db.positions_of(
                sql, str(customer_aggregate_id(tenant, customer)), list(range(1, 20))
            )
            assert max(found.values()) == position


def test_a_write_ahead_that_fails_on_the_server_commits_nothing(
    pg_registry: Any, pg_services: Any, pg_database: str
) -> None:
    tenant = "t" + uuid.uuid4().hex[:12]
    pg_services.consents.grant(tenant, promotions_grant("c1"))
    with pg_registry.db.transaction(commit=True) as sql:  # a frontier the nodes cannot give
        sql.execute("UPDATE audit_trees SET frontier = NULL WHERE tenant = ?", [tenant])
        sql.execute("DELETE FROM audit_leaves WHERE tenant = ?", [tenant])
        sql.execute("DELETE FROM audit_nodes WHERE tenant = ?", [tenant])
    with pytest.raises(Exception, match="lacks subtree"):
        pg_services.consents.grant(tenant, promotions_grant("c2"))
    with pg_registry.db.transaction() as sql:
        views = sql.query(
            "SELECT key FROM registry_views WHERE tenant = ? AND kind = 'customer'", [tenant]
        )
        size = sql.scalar("SELECT size FROM audit_trees WHERE tenant = ?", [tenant])
        found = pg_registry.db.positions_of(
            sql, str(customer_aggregate_id(tenant, "c2")), list(range(1, 5))
        )
    assert (views, found) == ([("c1",)], {})
    assert size == 2  # the first grant's two events, and nothing since


def _stored() -> list[StoredEvent]:
    return [StoredEvent(uuid.uuid4(), 1, "registry.domain.customer:Customer.Created", b"{}")]


def test_a_write_set_with_an_idempotent_answer_is_not_written_ahead() -> None:
    write_set = WriteSet(
        tenant="t", idempotency=IdempotencyWrite("k", "h", 201, lambda p: {"position": p})
    )
    assert write_set.statements_ahead(_stored(), "ARRAY[1]", []) is None


def test_a_write_set_that_writes_more_in_its_call_is_not_written_ahead() -> None:
    assert BulkWriteSet(tenant="t").statements_ahead(_stored(), "ARRAY[1]", []) is None
    assert WriteSet(tenant="t").statements_ahead(_stored(), "ARRAY[1]", []) is not None
