"""SPEC §13: a pilot's size holds under 16 concurrent authorizations for distinct customers
across the workers of a real `gunicorn wsgi:app -w 3`, on SQLite and PostgreSQL: never
one over (the pilot's CHECK-guarded count fails the over-size transaction, which the
writer retries and the decision then refuses with `pilot_in_progress`)."""

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
PILOT = 5
CONCURRENT = 16


def test_a_pilot_never_reaches_more_customers_than_its_size_under_concurrent_authorizations(
    alice: Client,  # noqa: F811
) -> None:
    alice.ok(
        "PUT",
        "/v1/policy",
        {**ANY_TIME, "marketing_daily_limit": None, "pilot": {"customers": PILOT}},
    )
    template = _approved_template(alice)  # approved after the pilot was turned on
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
    assert len(allowed) == PILOT, results
    assert len(refused) == CONCURRENT - PILOT, results
    assert all(body["reasons"] == ["pilot_in_progress"] for body in refused), refused
    recorded = [
        event["data"]["pilot"]
        for customer in customers
        for event in alice.ok("GET", f"/v1/customers/{customer}/history")["events"]
        if event["type"] == "Customer.SendAuthorized"
    ]
    assert recorded == [1] * PILOT
