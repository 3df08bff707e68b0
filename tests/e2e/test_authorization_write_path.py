"""POST /v1/authorizations decides on the views and restores the customer from its own
view; these tests pin what that must not change: the receipt names the positions of
the events it rests on, a save that loses the race for the customer is decided again
on the customer's recorded state, and a repeated Idempotency-Key records nothing."""

from __future__ import annotations

from typing import Any

import jwt
import pytest

from tests import helpers
from tests.conftest import put_any_time_policy

TEMPLATE = {"name": "spring_sale", "language": "ru"}
REQUEST = {"customer_id": "c1", "template": TEMPLATE}


def approve(api: Any, reviewer: Any) -> dict[str, Any]:
    from tests.conftest import MARKETING_TEMPLATE

    assert api.post("/v1/templates", json=MARKETING_TEMPLATE).status_code == 201
    answer = reviewer.post(
        "/v1/templates/spring_sale/ru/review",
        json={"version": 1, "decision": "approve", "reason": "ok"},
    )
    assert answer.status_code == 200, answer.get_json()
    body: dict[str, Any] = answer.get_json()
    return body


def grant(api: Any) -> dict[str, Any]:
    return helpers.grant(api, "c1", source={"kind": "checkout"})


def sends(api: Any) -> list[dict[str, Any]]:
    events = api.get("/v1/customers/c1/history").get_json()["events"]
    return [e for e in events if e["type"] == "Customer.SendAuthorized"]


def test_receipts_name_the_positions_of_the_consent_approval_and_policy(
    api: Any, reviewer: Any
) -> None:
    policy_version = put_any_time_policy(api)
    approval = approve(api, reviewer)
    consent = grant(api)
    pem = api.get("/v1/audit/public-key").get_data()
    for _ in range(2):  # the second receipt takes the positions already found
        answer = api.post("/v1/authorizations", json=REQUEST)
        assert answer.status_code == 201, answer.get_json()
        claims = jwt.decode(answer.get_json()["receipt"], pem, algorithms=["EdDSA"])
        assert claims["consent"]["position"] == consent["position"]
        assert claims["template"]["approval_position"] == approval["position"]
        assert claims["policy"]["position"] == policy_version["position"]
    assert len(sends(api)) == 2


def test_an_authorization_that_loses_the_race_for_the_last_slot_is_refused(
    api: Any, reviewer: Any, services: Any, tenant: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    put_any_time_policy(api, daily_limit=1)
    approve(api, reviewer)
    grant(api)
    keys = [("customer", "c1"), ("template", "spring_sale/ru"), ("tenant", "")]
    views = services.decisions.views
    before = views.read(tenant, keys)  # what a concurrent request has read
    assert api.post("/v1/authorizations", json=REQUEST).status_code == 201

    read_views = views.read
    stale = [before]
    monkeypatch.setattr(
        views, "read", lambda *a, **kw: stale.pop() if stale else read_views(*a, **kw)
    )
    answer = api.post("/v1/authorizations", json=REQUEST)

    assert not stale, "the second request did not decide on the stale views first"
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["reasons"] == ["daily_limit_reached"]
    assert len(sends(api)) == 1


def test_a_repeated_idempotency_key_answers_the_first_receipt_and_records_once(
    api: Any, reviewer: Any
) -> None:
    put_any_time_policy(api)
    approve(api, reviewer)
    grant(api)
    headers = {"Idempotency-Key": "send-1"}
    first = api.post("/v1/authorizations", json=REQUEST, headers=headers)
    again = api.post("/v1/authorizations", json=REQUEST, headers=headers)
    assert first.status_code == again.status_code == 201, first.get_json()
    assert again.get_json() == first.get_json()
    assert len(sends(api)) == 1


def test_a_customer_never_seen_is_refused_with_no_consent(api: Any, reviewer: Any) -> None:
    put_any_time_policy(api)
    approve(api, reviewer)
    answer = api.post("/v1/authorizations", json={**REQUEST, "customer_id": "nobody"})
    assert answer.status_code == 200
    assert answer.get_json()["reasons"] == ["no_consent"]
    assert isinstance(answer.get_json()["position"], int)
