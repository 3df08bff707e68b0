"""What a write sends to PostgreSQL besides the events and the unit of work."""

from __future__ import annotations

import uuid
from typing import Any

import psycopg

from tests.conftest import PG_ADMIN


def test_a_write_sends_no_notification_that_would_serialise_commits(
    pg_registry: Any, pg_database: str
) -> None:
    channel = pg_registry.recorder.channel_name
    with psycopg.connect(**{**PG_ADMIN, "dbname": pg_database}, autocommit=True) as listener:
        listener.execute(f'LISTEN "{channel}"')
        pg_registry.grant(
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
