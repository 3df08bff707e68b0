"""Authorizations fired at once at a real multi-worker server, for the tests that show a
limit holds across workers (the messaging limit, a pilot's size)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any, NamedTuple

from tests.conftest import promotions_grant
from tests.integration.test_gunicorn_workers import ANY_TIME, Client, _approved_template


class Outcome(NamedTuple):
    customers: list[str]
    allowed: list[dict[str, Any]]  # 201 bodies
    refused: list[dict[str, Any]]  # 200 bodies (a refusal with its reasons)
    results: list[tuple[int, dict[str, Any]]]


def authorize_at_once(client: Client, policy: dict[str, Any], customers: int) -> Outcome:
    """Puts `policy` (over any-time sending without a daily limit), then approves a
    template and grants `customers` distinct customers, then asks one authorization for
    each of them, all at once."""
    client.ok("PUT", "/v1/policy", {**ANY_TIME, "marketing_daily_limit": None, **policy})
    template = _approved_template(client)
    names = [f"c{i:02d}" for i in range(customers)]
    for name in names:
        client.ok("POST", "/v1/consents", promotions_grant(name), status=201)

    def authorize(customer: str) -> tuple[int, dict[str, Any]]:
        answer = client.call(
            "POST", "/v1/authorizations", {"customer_id": customer, "template": template}
        )
        return answer.status_code, answer.json()

    with ThreadPoolExecutor(customers) as pool:
        results = list(pool.map(authorize, names))
    allowed = [body for status, body in results if status == 201]
    refused = [body for status, body in results if status == 200]
    return Outcome(names, allowed, refused, results)


def sends_recorded(client: Client, customers: list[str]) -> list[dict[str, Any]]:
    """The data of every `Customer.SendAuthorized` in these customers' histories."""
    return [
        event["data"]
        for customer in customers
        for event in client.ok("GET", f"/v1/customers/{customer}/history")["events"]
        if event["type"] == "Customer.SendAuthorized"
    ]
