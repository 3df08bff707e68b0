"""R-EXPERIMENT results (SPEC §13, §19): the authorization records its arm, GET
/v1/experiments/{name} counts each arm's sends and outcomes from the log, and an arm whose
guardrail fails is stopped at once (actor system, figures in the event). Both databases."""

from __future__ import annotations

import math
from collections.abc import Iterator
from itertools import count
from typing import Any

import pytest

from registry.domain.rules.assignment import assign_arm
from tests.conftest import ApiClient, promotions_grant
from tests.e2e.outcome_helpers import feedback_policy, record
from tests.e2e.test_experiment_decisions import approve_second_template

ARMS = [("a", 45), ("b", 45)]
_numbers = count()


@pytest.fixture
def start_experiment(api: ApiClient, reviewer: ApiClient, approved_template: dict[str, Any]) -> Any:
    """Defines and starts spring_ab (a: spring_sale, b: spring_sale_b, control 10 %)."""
    approve_second_template(api, reviewer)

    def start(min_sample: int = 3, max_opt_out: float = 0.5, max_complaint: float = 0.2) -> None:
        created = api.post(
            "/v1/experiments",
            json={
                "name": "spring_ab", "channel": "whatsapp", "purpose": "promotions",
                "arms": [
                    {"name": "a", "template": {"name": "spring_sale", "language": "ru"},
                     "weight": 45},
                    {"name": "b", "template": {"name": "spring_sale_b", "language": "ru"},
                     "weight": 45},
                ],
                "control_weight": 10, "metric": "clicked", "min_sample_per_arm": min_sample,
                "guardrails": {"max_opt_out_rate": max_opt_out,
                               "max_complaint_rate": max_complaint},
            },
        )  # fmt: skip
        assert created.status_code == 201, created.get_json()
        started = reviewer.post("/v1/experiments/spring_ab/start", json={})
        assert started.status_code == 200, started.get_json()

    # templates are never paused here, and guardrails are judged from 3 delivered
    feedback_policy(
        api, min_delivered=3, template_pause_complaint_rate=1, template_pause_opt_out_rate=1
    )
    return start


def customers_in(api: ApiClient, tenant: str, arm: str, n: int) -> Iterator[str]:
    """`n` granted customers whom the formula puts in `arm`."""
    found = 0
    while found < n:
        customer_id = f"cust-{next(_numbers)}"
        if assign_arm(tenant, "spring_ab", customer_id, ARMS) == arm:
            granted = api.post("/v1/consents", json=promotions_grant(customer_id))
            assert granted.status_code == 201, granted.get_json()
            found += 1
            yield customer_id


def authorize(api: ApiClient, customer_id: str) -> dict[str, Any]:
    answer = api.post(
        "/v1/authorizations", json={"customer_id": customer_id, "experiment": "spring_ab"}
    )
    body: dict[str, Any] = answer.get_json()
    assert answer.status_code == 201, body
    return body


def results(api: ApiClient) -> dict[str, Any]:
    answer = api.get("/v1/experiments/spring_ab")
    assert answer.status_code == 200, answer.get_json()
    body: dict[str, Any] = answer.get_json()
    return body


def arm_of(body: dict[str, Any], name: str) -> dict[str, Any]:
    (arm,) = [a for a in body["arms"] if a["name"] == name]
    return arm


def sends(api: ApiClient, tenant: str, arm: str, n: int, *statuses: str) -> list[str]:
    """`n` customers of `arm` authorized, each send given `statuses`; their ids."""
    ids = [authorize(api, c)["authorization_id"] for c in customers_in(api, tenant, arm, n)]
    items = [{"authorization_id": a, "status": s} for a in ids for s in statuses]
    if items:
        record(api, *items)
    return ids


def test_the_authorization_event_names_experiment_and_arm(
    api: ApiClient, tenant: str, start_experiment: Any
) -> None:
    start_experiment()
    (customer_id,) = customers_in(api, tenant, "b", 1)
    body = authorize(api, customer_id)
    events = api.get(f"/v1/customers/{customer_id}/history").get_json()["events"]
    (authorized,) = [e for e in events if e["type"] == "Customer.SendAuthorized"]
    assert authorized["data"]["authorization_id"] == body["authorization_id"]
    assert authorized["data"]["experiment"] == {"name": "spring_ab", "arm": "b"}
    assert authorized["data"]["template"] == {"name": "spring_sale_b", "language": "ru",
                                              "version": 1}  # fmt: skip


def test_a_template_authorization_names_no_experiment(
    api: ApiClient, tenant: str, start_experiment: Any
) -> None:
    start_experiment()
    (customer_id,) = customers_in(api, tenant, "a", 1)
    answer = api.post(
        "/v1/authorizations",
        json={"customer_id": customer_id, "template": {"name": "spring_sale", "language": "ru"}},
    )
    assert answer.status_code == 201, answer.get_json()
    events = api.get(f"/v1/customers/{customer_id}/history").get_json()["events"]
    assert events[-1]["data"]["experiment"] is None
    assert all(a["authorized"] == 0 for a in results(api)["arms"])


def test_results_count_each_arms_sends_and_outcomes(
    api: ApiClient, tenant: str, start_experiment: Any
) -> None:
    start_experiment()
    sends(api, tenant, "a", 4, "sent", "delivered", "clicked")
    sends(api, tenant, "a", 1, "sent", "delivered")
    sends(api, tenant, "b", 2, "sent", "delivered")
    sends(api, tenant, "b", 1, "sent", "clicked")  # a click shows the delivery
    body = results(api)
    a, b = arm_of(body, "a"), arm_of(body, "b")
    assert (a["assigned"], a["authorized"], a["sent"], a["delivered"], a["clicked"]) == (
        5,
        5,
        5,
        5,
        4,
    )
    assert (b["assigned"], b["authorized"], b["delivered"], b["clicked"]) == (3, 3, 3, 1)
    assert a["metrics"]["clicked"]["rate"] == pytest.approx(0.8)
    low, high = a["metrics"]["clicked"]["wilson_95"].values()
    assert 0 < low < 0.8 < high < 1
    assert b["metrics"]["read"] == {"count": 0, "rate": 0.0, "wilson_95": {"low": 0.0,
                                    "high": pytest.approx(0.5615, abs=1e-4)}}  # fmt: skip
    # 4/5 vs 1/3 clicked: chi2 = N (ad - bc)^2 / (row and column products) = 8 * 49 / 225
    assert body["chi_squared"]["statistic"] == pytest.approx(8 * 49 / 225)
    assert body["p_value"] == pytest.approx(math.erfc(math.sqrt(8 * 49 / 225 / 2)))
    assert body["chi_squared"]["degrees_of_freedom"] == 1
    assert (body["suggested_winner"], body["suggested_winner_reason"]) == (
        None, "not_significant",
    )  # fmt: skip
    assert body["position"] >= 1


def test_a_clear_difference_suggests_the_winner(
    api: ApiClient, tenant: str, start_experiment: Any
) -> None:
    start_experiment(min_sample=6)
    sends(api, tenant, "a", 6, "delivered")
    sends(api, tenant, "b", 6, "delivered", "clicked")
    body = results(api)
    assert body["p_value"] < 0.05
    assert (body["suggested_winner"], body["suggested_winner_reason"]) == ("b", "best_rate")


def test_below_min_sample_no_winner_is_suggested(
    api: ApiClient, tenant: str, start_experiment: Any
) -> None:
    start_experiment(min_sample=7)
    sends(api, tenant, "a", 6, "delivered")
    sends(api, tenant, "b", 7, "delivered", "clicked")
    body = results(api)
    assert body["p_value"] < 0.05
    assert (body["suggested_winner"], body["suggested_winner_reason"]) == (
        None, "insufficient_sample",
    )  # fmt: skip


def test_control_and_post_conclusion_sends_are_not_counted(
    api: ApiClient, reviewer: ApiClient, tenant: str, start_experiment: Any
) -> None:
    start_experiment()
    sends(api, tenant, "a", 1, "delivered")
    (control,) = customers_in(api, tenant, "control", 1)
    refused = api.post(
        "/v1/authorizations", json={"customer_id": control, "experiment": "spring_ab"}
    )
    assert refused.get_json()["reasons"] == ["experiment_control"]
    concluded = reviewer.post("/v1/experiments/spring_ab/conclude", json={"winner": "a"})
    assert concluded.status_code == 200, concluded.get_json()
    assert authorize(api, control)["arm"] == "a"  # everyone gets the winner now
    body = results(api)
    assert (body["status"], arm_of(body, "a")["authorized"]) == ("CONCLUDED", 1)


def test_a_complaint_over_the_guardrail_stops_the_arm_at_once(
    api: ApiClient, reviewer: ApiClient, tenant: str, start_experiment: Any
) -> None:
    start_experiment(max_complaint=0.2)
    ids = sends(api, tenant, "b", 4, "delivered")
    sends(api, tenant, "a", 4, "delivered")
    record(api, {"authorization_id": ids[0], "status": "complained"})  # 1/4 = 25 % > 20 %
    body = results(api)
    b = arm_of(body, "b")
    assert b["guardrails"]["passed"] is False
    assert b["guardrails"]["complaint_rate"]["count"] == 1
    assert b["stopped"]["by"] == "system"
    assert (b["stopped"]["guardrail"], b["stopped"]["rate"], b["stopped"]["max"]) == (
        "complaint_rate", "0.250000", "0.2",
    )  # fmt: skip
    assert arm_of(body, "a")["stopped"] is None and body["status"] == "RUNNING"
    (customer_id,) = customers_in(api, tenant, "b", 1)
    refused = api.post(
        "/v1/decisions", json={"customer_id": customer_id, "experiment": "spring_ab"}
    )
    assert refused.get_json()["reasons"] == ["experiment_stopped"]
    history = api.get("/v1/audit/events?type=Experiment.ArmStopped").get_data(as_text=True)
    assert '"actor": "system"' in history or '"actor":"system"' in history
    cannot_win = reviewer.post("/v1/experiments/spring_ab/conclude", json={"winner": "b"})
    assert cannot_win.status_code == 409, cannot_win.get_json()


def test_under_the_guardrail_the_arm_keeps_running(
    api: ApiClient, tenant: str, start_experiment: Any
) -> None:
    start_experiment(max_complaint=0.25)
    ids = sends(api, tenant, "b", 4, "delivered")
    record(api, {"authorization_id": ids[0], "status": "complained"})  # exactly 25 %
    b = arm_of(results(api), "b")
    assert (b["guardrails"]["passed"], b["stopped"]) == (True, None)


def opt_out(api: ApiClient, customer_id: str) -> None:
    answer = api.post("/v1/opt-outs", json={"customer_id": customer_id, "purposes": "all"})
    assert answer.status_code == 201, answer.get_json()


def test_an_attributed_opt_out_over_the_guardrail_stops_the_arm(
    api: ApiClient, tenant: str, start_experiment: Any
) -> None:
    start_experiment(max_opt_out=0.3)
    sends(api, tenant, "a", 3, "delivered")
    first, second = sends(api, tenant, "a", 2, "delivered")
    customers = {
        api.get(f"/v1/authorizations/{i}").get_json()["customer_id"] for i in (first, second)
    }
    one, other = sorted(customers)
    opt_out(api, one)  # 1/5 = 20 % <= 30 %
    a = arm_of(results(api), "a")
    assert (a["opted_out"], a["guardrails"]["opt_out_rate"]["count"], a["stopped"]) == (1, 1, None)
    opt_out(api, other)  # 2/5 = 40 % > 30 %
    a = arm_of(results(api), "a")
    assert (a["opted_out"], a["stopped"]["guardrail"], a["stopped"]["by"]) == (
        2, "opt_out_rate", "system",
    )  # fmt: skip


def test_when_every_arm_fails_the_experiment_stops(
    api: ApiClient, tenant: str, start_experiment: Any
) -> None:
    start_experiment(max_complaint=0.2)
    for arm in ("a", "b"):
        ids = sends(api, tenant, arm, 3, "delivered")
        record(api, {"authorization_id": ids[0], "status": "complained"})
    body = results(api)
    assert body["status"] == "STOPPED"
    assert body["ended"]["by"] == "system"
    assert {a["name"] for a in body["arms"] if a["stopped"]} == {"a", "b"}
