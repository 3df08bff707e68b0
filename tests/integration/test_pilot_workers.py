"""SPEC §13: a pilot's size holds under 16 concurrent authorizations for distinct customers
across the workers of a real `gunicorn wsgi:app -w 3`, on SQLite and PostgreSQL: never
one over (the pilot's CHECK-guarded count fails the over-size transaction, which the
writer retries and the decision then refuses with `pilot_in_progress`)."""

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
PILOT = 5
CONCURRENT = 16


def test_a_pilot_never_reaches_more_customers_than_its_size_under_concurrent_authorizations(
    alice: Client,  # noqa: F811
) -> None:
    # the template is approved after the pilot was turned on
    outcome = authorize_at_once(alice, {"pilot": {"customers": PILOT}}, CONCURRENT)

    assert len(outcome.allowed) == PILOT, outcome.results
    assert len(outcome.refused) == CONCURRENT - PILOT, outcome.results
    refused = outcome.refused
    assert all(body["reasons"] == ["pilot_in_progress"] for body in refused), refused
    assert [send["pilot"] for send in sends_recorded(alice, outcome.customers)] == [1] * PILOT
