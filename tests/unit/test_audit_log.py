"""R-AUDIT: each tenant's Merkle tree as stored in SQL (real in-memory SQLite)."""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Iterator, Sequence
from typing import Any

import pytest

from audit import log
from audit.log import LeafEntry, ProofRangeError
from audit.merkle import (
    EMPTY_ROOT,
    consistency_proof_from_leaf_hashes,
    inclusion_proof_from_leaf_hashes,
    leaf_hash,
    root_from_leaf_hashes,
    verify_consistency,
    verify_inclusion,
)
from registry.store import schema
from registry.store.sql import Sql


class CountingSql(Sql):
    """Counts the rows read back, to show proofs never re-read the log."""

    rows_read = 0

    def query(self, statement: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        rows = super().query(statement, params)
        self.rows_read += len(rows)
        return rows


@pytest.fixture
def sql() -> Iterator[CountingSql]:
    connection = sqlite3.connect(":memory:")
    store = CountingSql(connection.cursor(), "sqlite")
    schema.create_all(store)
    yield store
    connection.close()


def entry(position: int, *, customer: str | None = "c1", template: str | None = None) -> LeafEntry:
    return LeafEntry(
        position=position,
        leaf=f'{{"n":{position}}}'.encode(),
        event_type="Customer.ConsentGranted",
        occurred_at=f"2025-03-01T10:{position // 60 % 60:02d}:{position % 60:02d}Z",
        actor="user:alice",
        customer_id=customer,
        template=template,
    )


def append_positions(sql: Sql, tenant: str, positions: Sequence[int]) -> list[int]:
    return log.append(sql, tenant, [entry(p) for p in positions])


def hashes_of(positions: Sequence[int]) -> list[bytes]:
    return [leaf_hash(entry(p).leaf) for p in positions]


def test_create_tables_is_idempotent(sql: Sql) -> None:
    schema.create_all(sql)
    assert log.tree_size(sql, "acme") == 0
    assert log.root_hash(sql, "acme", 0) == EMPTY_ROOT


def test_append_returns_consecutive_leaf_indexes_across_batches(sql: Sql) -> None:
    assert append_positions(sql, "acme", [10, 11, 12]) == [0, 1, 2]
    assert append_positions(sql, "acme", [20]) == [3]
    assert log.append(sql, "acme", []) == []
    assert log.tree_size(sql, "acme") == 4


def test_roots_and_proofs_equal_the_pure_functions_for_every_size(sql: Sql) -> None:
    positions: list[int] = []
    for batch in [1, 2, 5, 1, 8, 13, 3, 21, 1, 16]:
        start = len(positions)
        new = list(range(100 + start, 100 + start + batch))
        append_positions(sql, "acme", new)
        positions += new
    digests = hashes_of(positions)
    total = len(positions)
    for size in range(total + 1):
        assert log.root_hash(sql, "acme", size) == root_from_leaf_hashes(digests[:size])
        for index in range(size):
            assert log.inclusion_proof(
                sql, "acme", index, size
            ) == inclusion_proof_from_leaf_hashes(digests, index, size)
        for first in range(size + 1):
            assert log.consistency_proof(
                sql, "acme", first, size
            ) == consistency_proof_from_leaf_hashes(digests, first, size)


def test_a_tree_without_a_kept_frontier_reads_it_from_its_nodes_once(sql: Sql) -> None:
    """Trees written before the frontier was kept in their row (or whose frontier does not
    fit the size) still grow correctly."""
    positions = list(range(1, 12))
    append_positions(sql, "acme", positions[:7])
    sql.execute("UPDATE audit_trees SET frontier = NULL WHERE tenant = ?", ["acme"])
    append_positions(sql, "acme", positions[7:9])
    sql.execute("UPDATE audit_trees SET frontier = ? WHERE tenant = ?", [b"short", "acme"])
    append_positions(sql, "acme", positions[9:])
    digests = hashes_of(positions)
    for size in range(1, len(positions) + 1):
        assert log.root_hash(sql, "acme", size) == root_from_leaf_hashes(digests[:size])
    assert list(log.find_bad_nodes(sql, "acme")) == []


def test_a_tampered_frontier_is_found_by_the_node_check(sql: Sql) -> None:
    append_positions(sql, "acme", [1, 2, 3])  # frontier: levels 1 and 0
    sql.execute("UPDATE audit_trees SET frontier = ? WHERE tenant = ?", [b"\x00" * 64, "acme"])
    append_positions(sql, "acme", [4])  # folds into the forged level-0 and level-1 hashes
    assert list(log.find_bad_nodes(sql, "acme")) != []


def test_proofs_verify_against_stored_roots(sql: Sql) -> None:
    append_positions(sql, "acme", range(1, 38))
    root = log.root_hash(sql, "acme", 37)
    old_root = log.root_hash(sql, "acme", 20)
    leaf = leaf_hash(entry(5).leaf)
    assert verify_inclusion(leaf, 4, 37, log.inclusion_proof(sql, "acme", 4, 37), root)
    assert verify_consistency(20, 37, old_root, root, log.consistency_proof(sql, "acme", 20, 37))


def test_tenants_are_independent(sql: Sql) -> None:
    for start in range(0, 30, 3):
        append_positions(sql, "acme", [start, start + 1])
        append_positions(sql, "globex", [start + 2])
    acme = [p for start in range(0, 30, 3) for p in (start, start + 1)]
    globex = list(range(2, 30, 3))
    assert log.tree_size(sql, "acme") == 20
    assert log.tree_size(sql, "globex") == 10
    assert log.root_hash(sql, "acme", 20) == root_from_leaf_hashes(hashes_of(acme))
    assert log.root_hash(sql, "globex", 10) == root_from_leaf_hashes(hashes_of(globex))
    assert log.tree_size(sql, "initech") == 0
    assert log.leaf_index_of_position(sql, "acme", 2) is None
    assert log.leaf_index_of_position(sql, "globex", 2) == 0


def test_proofs_read_logarithmically_many_rows(sql: CountingSql) -> None:
    size = 3000
    for start in range(0, size, 500):
        append_positions(sql, "acme", range(start, start + 500))
    bound = 4 * math.ceil(math.log2(size))
    for index in (0, 1234, size - 1):
        sql.rows_read = 0
        log.inclusion_proof(sql, "acme", index, size)
        assert sql.rows_read <= bound
    sql.rows_read = 0
    log.consistency_proof(sql, "acme", 1777, size)
    log.root_hash(sql, "acme", 2999)
    assert sql.rows_read <= 2 * bound


@pytest.mark.parametrize(
    ("call", "args"),
    [
        (log.inclusion_proof, (5, 5)),
        (log.inclusion_proof, (-1, 3)),
        (log.inclusion_proof, (0, 6)),
        (log.consistency_proof, (3, 2)),
        (log.consistency_proof, (2, 6)),
        (log.root_hash, (6,)),
        (log.root_hash, (-1,)),
    ],
)
def test_impossible_ranges_raise_proof_range_error(sql: Sql, call: Any, args: tuple[int]) -> None:
    append_positions(sql, "acme", range(5))
    with pytest.raises(ProofRangeError):
        call(sql, "acme", *args)


def test_leaf_rows_pages_and_filters(sql: Sql) -> None:
    log.append(
        sql,
        "acme",
        [
            entry(1, customer="c1", template="promo/en"),
            entry(2, customer="c2"),
            entry(3, customer="c1"),
            entry(4, customer=None, template="promo/en"),
        ],
    )
    first_page = log.leaf_rows(sql, "acme", limit=2)
    assert [row.index for row in first_page] == [0, 1]
    assert first_page[0].leaf_hash == leaf_hash(entry(1).leaf)
    assert first_page[0].occurred_at == "2025-03-01T10:00:01Z"
    second_page = log.leaf_rows(sql, "acme", after_index=first_page[-1].index, limit=2)
    assert [row.position for row in second_page] == [3, 4]
    assert [r.position for r in log.leaf_rows(sql, "acme", customer_id="c1")] == [1, 3]
    assert [r.position for r in log.leaf_rows(sql, "acme", template="promo/en")] == [1, 4]
    window = log.leaf_rows(
        sql, "acme", since="2025-03-01T10:00:02+00:00", until="2025-03-01T13:00:04+03:00"
    )
    assert [r.position for r in window] == [2, 3]
    assert log.leaf_rows(sql, "globex") == []


def test_leaf_index_of_position(sql: Sql) -> None:
    append_positions(sql, "acme", [7, 9, 15])
    assert log.leaf_index_of_position(sql, "acme", 15) == 2
    assert log.leaf_index_of_position(sql, "acme", 8) is None


def test_find_altered_is_silent_for_an_untouched_log(sql: Sql) -> None:
    append_positions(sql, "acme", range(1, 2600))
    stored = [(p, entry(p).leaf) for p in range(1, 2600)]
    assert list(log.find_altered(sql, "acme", stored)) == []
    assert list(log.find_bad_nodes(sql, "acme")) == []


def test_find_altered_names_an_edited_event(sql: Sql) -> None:
    append_positions(sql, "acme", range(1, 11))
    stored = [(p, entry(p).leaf) for p in range(1, 11)]
    stored[6] = (7, b'{"n":7,"granted":false}')
    assert list(log.find_altered(sql, "acme", stored)) == [(6, 7)]


def test_find_altered_names_an_event_missing_from_the_store(sql: Sql) -> None:
    append_positions(sql, "acme", [10, 20, 30, 40, 50])
    stored = [(p, entry(p).leaf) for p in [10, 20, 40, 50]]
    assert list(log.find_altered(sql, "acme", stored)) == [(2, 30)]


def test_find_altered_names_an_event_missing_from_the_log(sql: Sql) -> None:
    append_positions(sql, "acme", [10, 20, 30, 40, 50])
    stored = [(p, entry(p).leaf) for p in [10, 20, 25, 30, 40, 50, 60]]
    assert list(log.find_altered(sql, "acme", stored)) == [(2, 25), (5, 60)]


def test_find_bad_nodes_names_a_rewritten_leaf_hash(sql: Sql) -> None:
    append_positions(sql, "acme", range(8))
    sql.execute(
        "UPDATE audit_leaves SET leaf_hash = ? WHERE tenant = ? AND leaf_index = ?",
        [leaf_hash(b"forged"), "acme", 5],
    )
    assert list(log.find_bad_nodes(sql, "acme")) == [(1, 2)]


def test_page_proofs_equal_one_at_a_time_proofs_for_runs_and_filtered_pages(
    sql: CountingSql,
) -> None:
    for start in range(0, 300, 37):
        append_positions(sql, "acme", range(start, start + 37))
    total = log.tree_size(sql, "acme")
    digests = hashes_of(range(total))
    pages = [range(0, 10), range(5, 133), range(128, 256), range(290, total), range(0, total)]
    pages += [range(3, total, 7), range(0, total, 64), [1, 2, 3, 200, 201]]
    for size in (total, 257, 129):
        for page in pages:
            leaves = {i: digests[i] for i in page if i < size}
            proofs = log.inclusion_proofs(sql, "acme", leaves, size)
            assert {i: list(p) for i, p in proofs.items()} == {
                i: log.inclusion_proof(sql, "acme", i, size) for i in leaves
            }


def test_page_proofs_read_only_the_subtrees_beside_the_page(sql: CountingSql) -> None:
    size = 3000
    for start in range(0, size, 500):
        append_positions(sql, "acme", range(start, start + 500))
    page = log.leaf_rows(sql, "acme", after_index=1233, limit=500)
    sql.rows_read = 0
    proofs = log.inclusion_proofs(sql, "acme", {r.index: r.leaf_hash for r in page}, size)
    assert len(proofs) == 500
    assert sql.rows_read <= 3 * math.ceil(math.log2(size))


def test_page_proofs_refuse_a_size_beyond_the_tree(sql: Sql) -> None:
    append_positions(sql, "acme", range(5))
    with pytest.raises(ProofRangeError):
        log.inclusion_proofs(sql, "acme", {0: leaf_hash(entry(0).leaf)}, 6)
    assert log.inclusion_proofs(sql, "acme", {}, 6) == {}


def test_leaf_rows_stop_before_a_leaf_index(sql: Sql) -> None:
    append_positions(sql, "acme", range(10, 20))
    rows = log.leaf_rows(sql, "acme", after_index=2, before_index=6)
    assert [row.index for row in rows] == [3, 4, 5]
