"""Views are rebuildable from the log (make rebuild), on both databases."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from registry.bootstrap import build_registry
from registry.config import load_settings
from registry.domain.base import acting_as
from registry.projections.rebuild import rebuild
from tests.conftest import PG_ADMIN, environment_for, postgres_available


@pytest.fixture(params=["sqlite", "postgres"])
def fresh_registry(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    if request.param == "sqlite":
        yield build_registry(
            load_settings(environment_for(f"sqlite:///{tmp_path / 'r.sqlite3'}", tmp_path))
        )
        return
    if not postgres_available():
        pytest.skip("PostgreSQL is not reachable")
    import psycopg

    name = f"registry_rebuild_{secrets.token_hex(4)}"
    registry = build_registry(
        load_settings(environment_for(f"postgresql://postgres@127.0.0.1:5432/{name}", tmp_path))
    )
    yield registry
    registry.close()
    with psycopg.connect(**PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def views(registry: Any) -> dict[tuple[str, str, str], dict[str, Any]]:
    with registry.db.transaction() as sql:
        rows = sql.query("SELECT tenant, kind, key, doc FROM registry_views")
    return {(t, k, key): json.loads(doc) for t, k, key, doc in rows}


def test_rebuild_reproduces_every_view_from_the_log(fresh_registry: Any) -> None:
    with acting_as("alice"):
        for i in range(5):
            fresh_registry.grant(
                "t",
                {
                    "customer_id": f"c{i}",
                    "channel": "sms",
                    "purposes": ["alerts"],
                    "source": {"kind": "api"},
                },
            )
        fresh_registry.opt_out("t", "c1", "sms", "all", {"kind": "api"})
        fresh_registry.replace_policy("t", {"marketing_daily_limit": 4})
    before = views(fresh_registry)
    with fresh_registry.db.transaction(commit=True) as sql:
        sql.execute("DELETE FROM registry_views")
    assert rebuild(fresh_registry) == 6
    assert views(fresh_registry) == before
