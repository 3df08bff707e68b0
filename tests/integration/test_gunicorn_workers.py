"""R-POSITION, R-ERRORS (concurrency), §6 daily limit and R-WSGI against a real
`gunicorn wsgi:app -w 3` on SQLite and PostgreSQL. Every request opens a fresh
connection (`Connection: close`), so consecutive requests land on different workers."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests

from registry.devtoken import make_token
from tests.conftest import JWT_SECRET, MARKETING_TEMPLATE, postgres_available, promotions_grant
from tests.integration.servers import registry_server

pytestmark = pytest.mark.slow

WORKERS = 3
ANY_TIME = {
    "send_window": None,
    "send_days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
    "holidays": None,
}


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def server(request: pytest.FixtureRequest) -> Iterator[tuple[str, Path]]:
    if request.param == "postgres" and not postgres_available():
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is not reachable at 127.0.0.1:5432")
        pytest.skip("PostgreSQL is not reachable at 127.0.0.1:5432")
    with registry_server(request.param, workers=WORKERS) as running:
        yield running


class Client:
    """One tenant's caller; no session, so no keep-alive."""

    def __init__(self, base_url: str, tenant: str, sub: str = "alice") -> None:
        self.base_url = base_url
        self.tenant = tenant
        self.headers = {
            "Authorization": f"Bearer {make_token(JWT_SECRET, sub=sub, tenant=tenant)}",
            "Connection": "close",
        }

    def call(self, method: str, path: str, body: Any = None) -> requests.Response:
        return requests.request(
            method, self.base_url + path, json=body, headers=self.headers, timeout=30
        )

    def ok(self, method: str, path: str, body: Any = None, status: int = 200) -> Any:
        answer = self.call(method, path, body)
        assert answer.status_code == status, (method, path, answer.status_code, answer.text)
        return answer.json()


@pytest.fixture
def tenant() -> str:
    return "t" + uuid.uuid4().hex[:12]


@pytest.fixture
def alice(server: tuple[str, Path], tenant: str) -> Client:
    return Client(server[0], tenant)


def _approved_template(alice: Client) -> dict[str, str]:
    """Submitted by alice, approved by bob (four eyes)."""
    alice.ok("POST", "/v1/templates", MARKETING_TEMPLATE, status=201)
    reviewer = Client(alice.base_url, alice.tenant, sub="bob")
    reviewer.ok(
        "POST",
        "/v1/templates/spring_sale/ru/review",
        {"version": 1, "decision": "approve", "reason": "ok"},
    )
    return {"name": "spring_sale", "language": "ru"}


def test_every_read_on_any_worker_reflects_the_acknowledged_opt_out(alice: Client) -> None:
    alice.ok("PUT", "/v1/policy", {**ANY_TIME, "marketing_daily_limit": None})
    template = _approved_template(alice)
    customer = "ryw"
    for iteration in range(200):
        granted = alice.ok("POST", "/v1/consents", promotions_grant(customer), status=201)
        opted_out = alice.ok(
            "POST",
            "/v1/opt-outs",
            {"customer_id": customer, "channel": "whatsapp", "purposes": ["promotions"]},
            status=201,
        )
        assert opted_out["position"] > granted["position"]
        decision = alice.ok(
            "POST", "/v1/decisions", {"customer_id": customer, "template": template}
        )
        assert "consent_withdrawn" in decision["reasons"], (iteration, decision)
        assert decision["allowed"] is False
        assert decision["position"] >= opted_out["position"], (iteration, decision)
        state = alice.ok("GET", f"/v1/customers/{customer}")
        assert state["position"] >= opted_out["position"], (iteration, state)
        promotions = [
            c
            for c in state["consents"]
            if c["channel"] == "whatsapp" and c["purpose"] == "promotions"
        ]
        assert [c["status"] for c in promotions] == ["withdrawn"], (iteration, state)


def test_concurrent_grants_to_one_customer_are_all_recorded_exactly_once(alice: Client) -> None:
    customer = "busy"

    def grant_many(_: int) -> list[tuple[int, str | None]]:
        results = []
        for _ in range(25):
            answer = alice.call("POST", "/v1/consents", promotions_grant(customer))
            body = answer.json() if answer.status_code < 500 else {}
            results.append((answer.status_code, body.get("receipt_id")))
        return results

    with ThreadPoolExecutor(8) as pool:
        results = [r for batch in pool.map(grant_many, range(8)) for r in batch]

    statuses = sorted({status for status, _ in results})
    assert statuses == [201], [r for r in results if r[0] != 201][:5]
    answered = [receipt for _, receipt in results]
    assert len(set(answered)) == 200
    history = alice.ok("GET", f"/v1/customers/{customer}/history?limit=1000")["events"]
    grants = [e for e in history if e["type"] == "Customer.ConsentGranted"]
    assert len(grants) == 200
    recorded = [e["data"]["receipt_id"] for e in grants]
    assert len(set(recorded)) == 200
    assert set(recorded) == set(answered)
    positions = [e["position"] for e in history]
    assert positions == sorted(positions) and len(set(positions)) == len(positions)


def test_the_daily_limit_holds_under_concurrent_authorizations_across_workers(
    alice: Client,
) -> None:
    alice.ok("PUT", "/v1/policy", {**ANY_TIME, "marketing_daily_limit": 3})
    template = _approved_template(alice)
    alice.ok("POST", "/v1/consents", promotions_grant("limited"), status=201)

    def authorize(_: int) -> tuple[int, dict[str, Any]]:
        answer = alice.call(
            "POST", "/v1/authorizations", {"customer_id": "limited", "template": template}
        )
        return answer.status_code, answer.json()

    with ThreadPoolExecutor(20) as pool:
        results = list(pool.map(authorize, range(20)))

    allowed = [body for status, body in results if status == 201]
    refused = [body for status, body in results if status == 200]
    assert len(allowed) == 3, results
    assert len(refused) == 17, results
    assert all(body["allowed"] is True and body["receipt"] for body in allowed)
    assert all(body["reasons"] == ["daily_limit_reached"] for body in refused), refused
    history = alice.ok("GET", "/v1/customers/limited/history?limit=1000")["events"]
    assert sum(1 for e in history if "Authoriz" in e["type"]) == 3


def test_every_worker_serves_the_same_generated_signing_key(
    alice: Client, server: tuple[str, Path]
) -> None:
    pems = set()
    for _ in range(20):
        answer = alice.call("GET", "/v1/audit/public-key")
        assert answer.status_code == 200, answer.text
        pems.add(answer.text)
    assert len(pems) == 1
    assert next(iter(pems)).startswith("-----BEGIN PUBLIC KEY-----")
    _, var_dir = server
    signing_files = sorted(p.name for p in var_dir.iterdir() if "signing" in p.name)
    assert signing_files == ["signing_key.pem"]
