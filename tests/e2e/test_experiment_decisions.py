"""Decisions naming `experiment` (SPEC §13, §19): arm, template, control, stop, conclude."""

from __future__ import annotations

from typing import Any

import pytest

from registry.domain.rules.assignment import assign_arm
from tests.conftest import MARKETING_TEMPLATE, ApiClient, promotions_grant, put_any_time_policy


def approve_second_template(api: ApiClient, reviewer: ApiClient) -> None:
    """spring_sale_b/ru, the second arm's template (spring_sale's text), approved."""
    submitted = api.post("/v1/templates", json={**MARKETING_TEMPLATE, "name": "spring_sale_b"})
    assert submitted.status_code == 201, submitted.get_json()
    reviewed = reviewer.post(
        "/v1/templates/spring_sale_b/ru/review",
        json={"version": 1, "decision": "approve", "reason": "ok"},
    )
    assert reviewed.status_code == 200, reviewed.get_json()


ARMS = [("a", 45), ("b", 45)]


@pytest.fixture
def running(api: ApiClient, reviewer: ApiClient, approved_template: dict[str, Any]) -> None:
    put_any_time_policy(api)
    approve_second_template(api, reviewer)
    arms = [
        {"name": "a", "template": {"name": "spring_sale", "language": "ru"}, "weight": 45},
        {"name": "b", "template": {"name": "spring_sale_b", "language": "ru"}, "weight": 45},
    ]
    created = api.post(
        "/v1/experiments",
        json={
            "name": "spring_ab", "channel": "whatsapp", "purpose": "promotions", "arms": arms,
            "control_weight": 10, "metric": "clicked",
            "guardrails": {"max_opt_out_rate": 0.02, "max_complaint_rate": 0.001},
        },
    )  # fmt: skip
    assert created.status_code == 201, created.get_json()
    assert reviewer.post("/v1/experiments/spring_ab/start", json={}).status_code == 200


def customer_in(api: ApiClient, tenant: str, arm: str) -> str:
    """A granted customer whom the formula puts in `arm`."""
    for index in range(1000):
        customer_id = f"cust-{index}"
        if assign_arm(tenant, "spring_ab", customer_id, ARMS) == arm:
            granted = api.post("/v1/consents", json=promotions_grant(customer_id))
            assert granted.status_code in (200, 201), granted.get_json()
            return customer_id
    raise AssertionError(f"no customer in arm {arm}")


def decide(api: ApiClient, customer_id: str, experiment: str = "spring_ab") -> dict[str, Any]:
    answer = api.post("/v1/decisions", json={"customer_id": customer_id, "experiment": experiment})
    assert answer.status_code == 200, answer.get_json()
    body: dict[str, Any] = answer.get_json()
    return body


def test_a_customer_gets_their_arms_template(api: ApiClient, tenant: str, running: None) -> None:
    body = decide(api, customer_in(api, tenant, "b"))
    assert (body["allowed"], body["experiment"], body["arm"]) == (True, "spring_ab", "b")
    assert body["template"] == {"name": "spring_sale_b", "language": "ru", "version": 1}


def test_a_control_customer_is_refused_with_experiment_control(
    api: ApiClient, tenant: str, running: None
) -> None:
    body = decide(api, customer_in(api, tenant, "control"))
    assert (body["allowed"], body["reasons"], body["arm"]) == (
        False, ["experiment_control"], "control",
    )  # fmt: skip


def test_after_conclude_everyone_gets_the_winners_template(
    api: ApiClient, reviewer: ApiClient, tenant: str, running: None
) -> None:
    control, other = customer_in(api, tenant, "control"), customer_in(api, tenant, "b")
    assert (
        reviewer.post("/v1/experiments/spring_ab/conclude", json={"winner": "a"}).status_code == 200
    )
    for customer_id in (control, other):
        body = decide(api, customer_id)
        assert (body["allowed"], body["arm"], body["template"]["name"]) == (
            True,
            "a",
            "spring_sale",
        )


def test_after_stop_decisions_answer_experiment_stopped(
    api: ApiClient, reviewer: ApiClient, tenant: str, running: None
) -> None:
    customer_id = customer_in(api, tenant, "a")
    assert reviewer.post("/v1/experiments/spring_ab/stop", json={}).status_code == 200
    body = decide(api, customer_id)
    assert (body["allowed"], body["reasons"]) == (False, ["experiment_stopped"])


def test_an_unknown_experiment_is_template_not_found(
    api: ApiClient, tenant: str, running: None
) -> None:
    body = decide(api, customer_in(api, tenant, "a"), experiment="nothing")
    assert (body["allowed"], body["reasons"]) == (False, ["template_not_found"])


def test_a_batch_mixes_template_and_experiment_items(
    api: ApiClient, tenant: str, running: None
) -> None:
    in_b, in_control = customer_in(api, tenant, "b"), customer_in(api, tenant, "control")
    items = [
        {"customer_id": in_b, "experiment": "spring_ab"},
        {"customer_id": in_control, "template": {"name": "spring_sale", "language": "ru"}},
        {"customer_id": in_control, "experiment": "spring_ab"},
    ]
    answer = api.post("/v1/decisions/batch", json={"items": items})
    assert answer.status_code == 200, answer.get_json()
    results = answer.get_json()["results"]
    assert [(r["allowed"], r.get("arm")) for r in results] == [
        (True, "b"), (True, None), (False, "control"),
    ]  # fmt: skip


def test_neither_template_nor_experiment_is_refused(api: ApiClient, running: None) -> None:
    answer = api.post("/v1/decisions", json={"customer_id": "x"})
    assert answer.status_code == 422
    assert "template" in str(answer.get_json()["error"])
    both = api.post(
        "/v1/decisions",
        json={"customer_id": "x", "experiment": "spring_ab",
              "template": {"name": "spring_sale", "language": "ru"}},
    )  # fmt: skip
    assert both.status_code == 422


def test_an_authorization_sends_the_arms_template(
    api: ApiClient, tenant: str, running: None
) -> None:
    customer_id = customer_in(api, tenant, "b")
    answer = api.post(
        "/v1/authorizations", json={"customer_id": customer_id, "experiment": "spring_ab"}
    )
    assert answer.status_code in (200, 201), answer.get_json()
    body = answer.get_json()
    assert (body["allowed"], body["arm"], body["template"]["name"]) == (True, "b", "spring_sale_b")
    assert body["authorization_id"].startswith("auth_")


def test_a_control_customer_is_not_authorized(api: ApiClient, tenant: str, running: None) -> None:
    customer_id = customer_in(api, tenant, "control")
    answer = api.post(
        "/v1/authorizations", json={"customer_id": customer_id, "experiment": "spring_ab"}
    )
    body = answer.get_json()
    assert (body["allowed"], body["reasons"]) == (False, ["experiment_control"]), body
    assert "authorization_id" not in body
