"""What a write sends to PostgreSQL besides the events and the unit of work."""

from __future__ import annotations

import uuid
from typing import Any

import psycopg

from tests.conftest import PG_ADMIN


def test_a_write_sends_no_notification_that_would_serialise_commits(
    pg_registry: Any, pg_services: Any, pg_database: str
) -> None:
    channel = pg_registry.recorder.channel_name
    with psycopg.connect(**{**PG_ADMIN, "dbname": pg_database}, autocommit=True) as listener:
        listener.execute(f'LISTEN "{channel}"')
        pg_services.consents.grant(
            "t" + uuid.uuid4().hex[:12],
            {
                "customer_id": "c1",
                "channel": "whatsapp",
                "purposes": ["promotions"],
                "source": {"kind": "api"},
            },
        )
        received = list(listener.notifies(timeout=0.5, stop_after=1))
    assert received == []


def test_a_small_write_that_completes_a_large_subtree_is_written_in_pipeline_mode(
    pg_registry: Any,
    pg_services: Any,
) -> None:
    """The 65,536th leaf of a tree adds 16 tree nodes in one write; inside pipeline mode
    they must not go by COPY, which pipeline mode refuses."""
    tenant = "t" + uuid.uuid4().hex[:12]
    with pg_registry.db.transaction(commit=True) as sql:
        sql.execute(
            "INSERT INTO audit_trees (tenant, size, frontier) VALUES (?, ?, ?)",
            [tenant, 2**16 - 1, bytes(range(32)) * 16],
        )
    pg_services.consents.grant(
        tenant,
        {
            "customer_id": "c1",
            "channel": "whatsapp",
            "purposes": ["promotions"],
            "source": {"kind": "api"},
        },
    )
    with pg_registry.db.single_statement() as sql:
        nodes = sql.scalar("SELECT COUNT(*) FROM audit_nodes WHERE tenant = ?", [tenant])
        size = sql.scalar("SELECT size FROM audit_trees WHERE tenant = ?", [tenant])
    assert nodes >= 16
    assert size >= 2**16
