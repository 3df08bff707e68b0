"""SPEC §12: the channel's messaging limit holds under 16 concurrent authorizations for
distinct customers across the workers of a real `gunicorn wsgi:app -w 3`, on SQLite and
PostgreSQL: never one over (the window's guard row fails the over-limit transaction,
which the writer retries and then refuses)."""

from __future__ import annotations

import pytest

from tests.integration.concurrent_authorizations import authorize_at_once, sends_recorded
from tests.integration.test_gunicorn_workers import (  # noqa: F401 (fixtures)
    Client,
    alice,
    server,
    tenant,
)

pytestmark = pytest.mark.slow
LIMIT = 5
CONCURRENT = 16


def test_the_messaging_limit_holds_under_concurrent_authorizations_for_distinct_customers(
    alice: Client,  # noqa: F811
) -> None:
    outcome = authorize_at_once(
        alice, {"feedback": {"marketing_daily_customers": LIMIT}}, CONCURRENT
    )

    assert len(outcome.allowed) == LIMIT, outcome.results
    assert len(outcome.refused) == CONCURRENT - LIMIT, outcome.results
    refused = outcome.refused
    assert all(body["reasons"] == ["messaging_limit_reached"] for body in refused), refused
    assert all(body["next_allowed_at"] for body in refused), refused
    limits = alice.ok("GET", "/v1/limits")["channels"]
    whatsapp = next(c for c in limits if c["channel"] == "whatsapp")
    assert (whatsapp["customers_24h"], whatsapp["effective"]) == (LIMIT, LIMIT)
    assert len(sends_recorded(alice, outcome.customers)) == LIMIT
