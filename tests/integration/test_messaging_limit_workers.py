"""SPEC §12: the channel's messaging limit holds under 16 concurrent authorizations for
distinct customers across the workers of a real `gunicorn wsgi:app -w 3`, on SQLite and
PostgreSQL: never one over (the window's guard row fails the over-limit transaction,
which the writer retries and then refuses)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.conftest import promotions_grant
from tests.integration.test_gunicorn_workers import (  # noqa: F401 (fixtures)
    ANY_TIME,
    Client,
    _approved_template,
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
    alice.ok(
        "PUT",
        "/v1/policy",
        {
            **ANY_TIME,
            "marketing_daily_limit": None,
            "feedback": {"marketing_daily_customers": LIMIT},
        },
    )
    template = _approved_template(alice)
    customers = [f"c{i:02d}" for i in range(CONCURRENT)]
    for customer in customers:
        alice.ok("POST", "/v1/consents", promotions_grant(customer), status=201)

    def authorize(customer: str) -> tuple[int, dict[str, Any]]:
        answer = alice.call(
            "POST", "/v1/authorizations", {"customer_id": customer, "template": template}
        )
        return answer.status_code, answer.json()

    with ThreadPoolExecutor(CONCURRENT) as pool:
        results = list(pool.map(authorize, customers))

    allowed = [body for status, body in results if status == 201]
    refused = [body for status, body in results if status == 200]
    assert len(allowed) == LIMIT, results
    assert len(refused) == CONCURRENT - LIMIT, results
    assert all(body["reasons"] == ["messaging_limit_reached"] for body in refused), refused
    assert all(body["next_allowed_at"] for body in refused), refused
    limits = alice.ok("GET", "/v1/limits")["channels"]
    whatsapp = next(c for c in limits if c["channel"] == "whatsapp")
    assert (whatsapp["customers_24h"], whatsapp["effective"]) == (LIMIT, LIMIT)
    recorded = sum(
        1
        for customer in customers
        for event in alice.ok("GET", f"/v1/customers/{customer}/history")["events"]
        if event["type"] == "Customer.SendAuthorized"
    )
    assert recorded == LIMIT
