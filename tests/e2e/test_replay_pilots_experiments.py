"""SPEC §13, §18: `POST /v1/audit/replay` answers the pilot and experiment rules as they
stood at the moment asked about (both databases). Each moment asked about is read from the
real clock between two writes, so it lies after the first's events and before the second's
(event times have microseconds); no sleeping. (The clocked app is not used: events that
outcomes record, such as `Template.PilotCleared`, are stamped with the system clock.)"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from registry.domain.rules.assignment import assign_arm
from tests.conftest import MARKETING_TEMPLATE, ApiClient, promotions_grant
from tests.e2e.outcome_helpers import TEMPLATE, record

ANY_TIME = {
    "send_window": None,
    "send_days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
    "holidays": None,
    "marketing_daily_limit": None,
}


def moment(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


def replay(api: ApiClient, customer_id: str, at: datetime, **ref: Any) -> dict[str, Any]:
    answer = api.post(
        "/v1/audit/replay",
        json={"customer_id": customer_id, "at": moment(at), **(ref or {"template": TEMPLATE})},
    )
    assert answer.status_code == 200, answer.get_json()
    body: dict[str, Any] = answer.get_json()
    return body


def now() -> datetime:
    return datetime.now(UTC)


def approve(api: ApiClient, reviewer: ApiClient, name: str = "spring_sale") -> None:
    assert api.post("/v1/templates", json={**MARKETING_TEMPLATE, "name": name}).status_code == 201
    reviewed = reviewer.post(
        f"/v1/templates/{name}/ru/review",
        json={"version": 1, "decision": "approve", "reason": "ok"},
    )
    assert reviewed.status_code == 200, reviewed.get_json()


def authorized(api: ApiClient, customer_id: str) -> str:
    api.post("/v1/consents", json=promotions_grant(customer_id))
    answer = api.post("/v1/authorizations", json={"customer_id": customer_id, "template": TEMPLATE})
    assert answer.status_code == 201, answer.get_json()
    return str(answer.get_json()["authorization_id"])


@pytest.fixture
def pilot_of_one(api: ApiClient, reviewer: ApiClient) -> ApiClient:
    """A pilot of 1 customer (judged from 1 delivered), spring_sale approved after it."""
    feedback = {"min_delivered": 1, "tenant_warn_complaint_rate": 1}
    policy = {**ANY_TIME, "pilot": {"customers": 1}, "feedback": feedback}
    assert api.put("/v1/policy", json=policy).status_code == 200
    approve(api, reviewer)
    api.post("/v1/consents", json=promotions_grant("boris"))
    return api


def test_replay_answers_the_pilot_count_as_it_stood(pilot_of_one: ApiClient) -> None:
    before = now()
    authorized(pilot_of_one, "anna")
    after = now()

    assert replay(pilot_of_one, "boris", before)["reasons"] == []
    assert replay(pilot_of_one, "boris", after)["reasons"] == ["pilot_in_progress"]
    assert replay(pilot_of_one, "anna", after)["allowed"] is True


def test_replay_answers_a_pilot_cleared_only_from_its_clearing_on(pilot_of_one: ApiClient) -> None:
    send = authorized(pilot_of_one, "anna")
    in_progress = now()
    record(pilot_of_one, {"authorization_id": send, "status": "delivered"})
    cleared = now()

    assert replay(pilot_of_one, "boris", in_progress)["reasons"] == ["pilot_in_progress"]
    assert replay(pilot_of_one, "boris", cleared)["allowed"] is True


ARMS = [("a", 50), ("b", 40)]


@pytest.fixture
def experiment(api: ApiClient, reviewer: ApiClient) -> ApiClient:
    assert api.put("/v1/policy", json=ANY_TIME).status_code == 200
    approve(api, reviewer)
    approve(api, reviewer, "spring_sale_b")
    arms = [
        {"name": "a", "template": {"name": "spring_sale", "language": "ru"}, "weight": 50},
        {"name": "b", "template": {"name": "spring_sale_b", "language": "ru"}, "weight": 40},
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
    return api


def customer_in(api: ApiClient, tenant: str, arm: str) -> str:
    for index in range(1000):
        customer_id = f"cust-{index}"
        if assign_arm(tenant, "spring_ab", customer_id, ARMS) == arm:
            assert api.post("/v1/consents", json=promotions_grant(customer_id)).status_code == 201
            return customer_id
    raise AssertionError(f"no customer in arm {arm}")


def test_replay_resolves_the_arm_as_the_experiment_stood(
    experiment: ApiClient, reviewer: ApiClient, tenant: str
) -> None:
    customer = customer_in(experiment, tenant, "b")
    drafted = now()
    assert reviewer.post("/v1/experiments/spring_ab/start", json={}).status_code == 200
    running = now()
    assert reviewer.post("/v1/experiments/spring_ab/stop", json={}).status_code == 200
    stopped = now()

    then = replay(experiment, customer, running, experiment="spring_ab")
    assert (then["allowed"], then["arm"], then["experiment"]) == (True, "b", "spring_ab")
    assert then["template"] == {"name": "spring_sale_b", "language": "ru", "version": 1}
    assert then["rested_on"]["experiment"]
    assert replay(experiment, customer, drafted, experiment="spring_ab")["reasons"] == [
        "experiment_stopped"
    ]
    assert replay(experiment, customer, stopped, experiment="spring_ab")["reasons"] == [
        "experiment_stopped"
    ]


def test_replay_answers_a_control_customer_experiment_control(
    experiment: ApiClient, reviewer: ApiClient, tenant: str
) -> None:
    customer = customer_in(experiment, tenant, "control")
    assert reviewer.post("/v1/experiments/spring_ab/start", json={}).status_code == 200
    running = now()

    body = replay(experiment, customer, running, experiment="spring_ab")

    assert (body["allowed"], body["reasons"], body["arm"]) == (
        False, ["experiment_control"], "control",
    )  # fmt: skip


def test_replay_before_an_experiment_existed_answers_template_not_found(api: ApiClient) -> None:
    body = replay(api, "anna", now(), experiment="nothing_yet")

    assert (body["reasons"], body["arm"], body["template"]) == (["template_not_found"], None, None)


def test_replay_refuses_both_template_and_experiment(api: ApiClient) -> None:
    answer = api.post(
        "/v1/audit/replay",
        json={
            "customer_id": "anna",
            "at": moment(now()),
            "template": TEMPLATE,
            "experiment": "spring_ab",
        },
    )

    assert answer.status_code == 422
    assert "experiment" in answer.get_json()["error"]["details"]
