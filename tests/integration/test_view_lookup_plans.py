"""PostgreSQL seeks view rows by primary key after a bulk import, even where
autovacuum has not analysed the tables (this machine runs with autovacuum off)."""

from __future__ import annotations

import os
import secrets
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from psycopg.sql import SQL, Literal

from tests.conftest import PG_ADMIN, environment_for

BATCH_LOOKUP = (  # read_views' statement for several customers, as a generic plan
    "PREPARE lookup(text, text[]) AS SELECT doc FROM registry_views "
    "WHERE tenant = $1 AND kind = 'customer' AND key = ANY($2)"
)


@pytest.fixture
def own_pg_registry(pg_database: str, tmp_path: Path) -> Iterator[Any]:
    """A registry on a database of its own: the planner's statistics must be those this test's
    import leaves, not whatever the other tests of this worker wrote into the shared database
    (many small tenants there made a generic plan filter the keys, once in three runs)."""
    import psycopg

    from registry.bootstrap import build_registry
    from registry.config import load_settings

    name = f"registry_plan_{os.getpid()}_{secrets.token_hex(4)}"
    with psycopg.connect(**PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = f"postgresql://postgres@127.0.0.1:5432/{name}"
    registry = build_registry(load_settings(environment_for(url, tmp_path)))
    try:
        yield registry
    finally:
        registry.recorder.datastore.close()
        with psycopg.connect(**PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def plan(registry: Any, tenant: str, keys: list[str]) -> str:
    with registry.recorder.datastore.get_connection() as conn:
        conn.execute("SET plan_cache_mode = force_generic_plan")
        conn.execute(BATCH_LOOKUP)
        try:
            explain = SQL("EXPLAIN EXECUTE lookup({}, {})").format(Literal(tenant), Literal(keys))
            rows = conn.execute(explain).fetchall()
        finally:
            conn.execute("DEALLOCATE lookup")
            conn.execute("RESET plan_cache_mode")
    return "\n".join(str(next(iter(r.values()))) for r in rows)


def test_a_bulk_import_leaves_statistics_that_make_batch_lookups_seek_the_key(
    own_pg_registry: Any,
) -> None:
    pg_registry = own_pg_registry
    tenant = "t" + uuid.uuid4().hex[:12]
    rows = [
        {
            "customer_id": f"c{i}",
            "channel": "whatsapp",
            "purposes": ["promotions"],
            "source": {"kind": "import"},
        }
        for i in range(1500)
    ]
    from registry.bootstrap import build_services

    build_services(pg_registry).imports.import_grants(tenant, rows)
    with pg_registry.db.single_statement() as sql:
        analysed = sql.scalar("SELECT COUNT(*) FROM pg_stats WHERE tablename = 'registry_views'")
    assert analysed > 0
    lookup = plan(pg_registry, tenant, ["c1", "c2", "c3"])
    index_condition = next(line for line in lookup.splitlines() if "Index Cond" in line)
    assert "key = ANY" in index_condition, lookup  # not a filter over every customer row
