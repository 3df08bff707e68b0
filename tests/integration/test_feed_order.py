"""R-FEED's guarantee: nothing acknowledged before a page was asked is ever skipped, and no
change is listed out of order, on both databases, with concurrent writers.

On PostgreSQL positions come from a sequence, which alone would let a transaction that drew
a higher position commit before one that drew a lower. The events table's
`LOCK TABLE … IN EXCLUSIVE MODE`, taken by every insert before it draws positions and held
to COMMIT, is what rules that out; `test_a_writer_cannot_draw_a_position_while_another_holds_the_lock`
shows a second writer (a grant and an import) waiting on it without drawing any."""

from __future__ import annotations

import threading
import time
from typing import Any

import orjson
import psycopg
import pytest

from registry.domain.base import acting_as
from tests.conftest import PG_ADMIN, promotions_grant

WRITERS = 8
GRANTS_EACH = 200


def test_every_acknowledged_position_is_paged_exactly_once_in_order(
    app: Any, registry: Any, services: Any, tenant: str
) -> None:
    feed = app.extensions["services"].feed
    acknowledged: list[int] = []
    lock = threading.Lock()
    errors: list[BaseException] = []

    def write(writer: int) -> None:
        try:
            with acting_as("writer"):
                for n in range(GRANTS_EACH):
                    # ten customers a writer, shared by two writers: concurrent saves of
                    # one customer are retried by the server, as for any client
                    customer = f"c{writer // 2}-{n % 10}"
                    answer = services.consents.grant(tenant, promotions_grant(customer))
                    with lock:
                        acknowledged.append(int(answer["position"]))
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(WRITERS)]
    for thread in threads:
        thread.start()
    seen: list[int] = []
    after = 0
    while True:
        writing = any(t.is_alive() for t in threads)
        with lock:
            acknowledged_before = set(acknowledged)
        page = orjson.loads(feed.changes(tenant, after_position=after, limit=37)[0].json())
        positions = [c["position"] for c in page["changes"]]
        seen += positions
        horizon = positions[-1] if len(positions) == 37 else None
        missed = {
            p
            for p in acknowledged_before
            if p > after and (horizon is None or p <= horizon) and p not in positions
        }
        assert not missed, f"acknowledged before the page but not listed: {sorted(missed)}"
        after = page["next_after_position"]
        if not writing and not positions:
            break
    assert not errors, errors
    assert len(acknowledged) == WRITERS * GRANTS_EACH
    assert seen == sorted(acknowledged)
    assert len(set(seen)) == len(seen)


def _events_table_and_sequence(conn: Any) -> tuple[str, str]:
    table = conn.execute(
        "SELECT tablename FROM pg_tables WHERE tablename LIKE '%events' AND schemaname='public'"
    ).fetchone()[0]
    sequence = conn.execute(
        "SELECT pg_get_serial_sequence(%s, 'notification_id')", (table,)
    ).fetchone()[0]
    return table, sequence


@pytest.mark.parametrize("write", ["grant", "import"])
def test_a_writer_cannot_draw_a_position_while_another_holds_the_lock(
    pg_database: str, pg_registry: Any, pg_services: Any, write: str
) -> None:
    tenant = f"lock-{write}"
    with psycopg.connect(**{**PG_ADMIN, "dbname": pg_database}) as holder:
        table, sequence = _events_table_and_sequence(holder)
        with acting_as("setup"):
            pg_services.consents.grant(tenant, promotions_grant("first"))  # the sequence exists
        drawn_before = holder.execute(f"SELECT last_value FROM {sequence}").fetchone()[0]
        holder.execute(f'LOCK TABLE "{table}" IN EXCLUSIVE MODE')  # a transaction, not committed
        answers: list[dict[str, Any]] = []

        def second_writer() -> None:
            with acting_as("second"):
                if write == "grant":
                    answers.append(pg_services.consents.grant(tenant, promotions_grant("second")))
                else:
                    rows = [promotions_grant(f"imported-{i}") for i in range(100)]
                    answers.append(pg_services.imports.import_grants(tenant, rows))

        thread = threading.Thread(target=second_writer)
        thread.start()
        with psycopg.connect(**{**PG_ADMIN, "dbname": pg_database}, autocommit=True) as watcher:
            waiting = None
            for _ in range(200):
                waiting = watcher.execute(
                    "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
                    "WHERE c.relname = %s AND NOT l.granted",
                    (table,),
                ).fetchone()[0]
                if waiting:
                    break
                time.sleep(0.05)
            assert waiting == 1, "the second writer should be waiting for the events table"
            drawn_while_locked = watcher.execute(f"SELECT last_value FROM {sequence}").fetchone()[0]
        assert drawn_while_locked == drawn_before
        assert not answers
        holder.rollback()
        thread.join(timeout=60)
    assert answers and answers[0]["position"] > drawn_before
