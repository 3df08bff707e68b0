"""R-EXPERIMENT API (SPEC §13, §19): define, four-eyes start, stop, conclude; bad input."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import MARKETING_TEMPLATE, ApiClient


def _submit(api: ApiClient, name: str, purpose: str = "promotions") -> None:
    answer = api.post(
        "/v1/templates", json={**MARKETING_TEMPLATE, "name": name, "purpose": purpose}
    )
    assert answer.status_code == 201, answer.get_json()


def _experiment(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "spring_ab",
        "channel": "whatsapp",
        "purpose": "promotions",
        "arms": [
            {"name": "a", "template": {"name": "spring_sale", "language": "ru"}, "weight": 45},
            {"name": "b", "template": {"name": "spring_sale_b", "language": "ru"}, "weight": 45},
        ],
        "control_weight": 10,
        "metric": "clicked",
        "min_sample_per_arm": 1000,
        "guardrails": {"max_opt_out_rate": 0.02, "max_complaint_rate": 0.001},
    }
    body.update(changes)
    return body


@pytest.fixture
def templates(api: ApiClient, approved_template: dict[str, Any]) -> None:
    _submit(api, "spring_sale_b")


@pytest.fixture
def draft(api: ApiClient, templates: None) -> dict[str, Any]:
    answer = api.post("/v1/experiments", json=_experiment())
    assert answer.status_code == 201, answer.get_json()
    body: dict[str, Any] = answer.get_json()
    return body


def test_a_new_experiment_is_a_draft_with_its_arms(api: ApiClient, draft: dict[str, Any]) -> None:
    assert draft["status"] == "DRAFT"
    assert [a["name"] for a in draft["arms"]] == ["a", "b"]
    assert draft["created_by"] == "alice"
    read = api.get("/v1/experiments/spring_ab").get_json()
    assert read["guardrails"] == {"max_opt_out_rate": 0.02, "max_complaint_rate": 0.001}
    assert [e["name"] for e in api.get("/v1/experiments").get_json()["experiments"]] == [
        "spring_ab"
    ]


def test_weights_not_summing_to_100_with_control_are_refused(
    api: ApiClient, templates: None
) -> None:
    answer = api.post("/v1/experiments", json=_experiment(control_weight=20))
    assert answer.status_code == 422
    assert answer.get_json()["error"]["code"] == "validation_error"
    assert "110" in answer.get_json()["error"]["message"]
    assert api.get("/v1/experiments/spring_ab").status_code == 404


def test_a_weight_that_is_not_an_integer_is_refused(api: ApiClient, templates: None) -> None:
    arms = _experiment()["arms"]
    arms[0]["weight"] = 44.5
    answer = api.post("/v1/experiments", json=_experiment(arms=arms, control_weight=10.5))
    assert answer.status_code == 422, answer.get_json()


def test_an_arm_whose_template_has_another_purpose_is_refused_naming_the_arm(
    api: ApiClient, templates: None
) -> None:
    _submit(api, "spring_reminder", purpose="reminders")
    arms = _experiment()["arms"]
    arms[1]["template"]["name"] = "spring_reminder"
    answer = api.post("/v1/experiments", json=_experiment(arms=arms))
    assert answer.status_code == 422
    message = answer.get_json()["error"]["message"]
    assert "arm b" in message and "reminders" in message, message


def test_an_arm_whose_template_does_not_exist_is_refused_naming_the_arm(
    api: ApiClient, templates: None
) -> None:
    arms = _experiment()["arms"]
    arms[0]["template"]["name"] = "nowhere"
    answer = api.post("/v1/experiments", json=_experiment(arms=arms))
    assert answer.status_code == 422
    assert "arm a" in answer.get_json()["error"]["message"]


def test_one_arm_or_nine_arms_are_refused(api: ApiClient, templates: None) -> None:
    arm = _experiment()["arms"][0]
    one = api.post("/v1/experiments", json=_experiment(arms=[{**arm, "weight": 90}]))
    nine = [{**arm, "name": f"a{i}", "weight": 10} for i in range(9)]
    many = api.post("/v1/experiments", json=_experiment(arms=nine, control_weight=10))
    assert (one.status_code, many.status_code) == (422, 422)


def test_an_unknown_field_is_refused_naming_it(api: ApiClient, templates: None) -> None:
    answer = api.post("/v1/experiments", json=_experiment(colour="red"))
    assert answer.status_code == 422
    assert "colour" in str(answer.get_json()["error"])


def test_the_creator_cannot_start_their_own_experiment(
    api: ApiClient, draft: dict[str, Any]
) -> None:
    answer = api.post("/v1/experiments/spring_ab/start", json={})
    assert answer.status_code == 403
    assert answer.get_json()["error"]["code"] == "four_eyes"
    assert api.get("/v1/experiments/spring_ab").get_json()["status"] == "DRAFT"


def test_someone_else_starts_it_and_its_history_names_them(
    api: ApiClient, reviewer: ApiClient, draft: dict[str, Any]
) -> None:
    answer = reviewer.post("/v1/experiments/spring_ab/start", json={})
    assert answer.status_code == 200, answer.get_json()
    assert (answer.get_json()["status"], answer.get_json()["started_by"]) == ("RUNNING", "bob")


def test_a_running_experiments_arms_cannot_change(
    api: ApiClient, reviewer: ApiClient, draft: dict[str, Any]
) -> None:
    assert reviewer.post("/v1/experiments/spring_ab/start", json={}).status_code == 200
    arms = _experiment()["arms"]
    arms[0]["weight"], arms[1]["weight"] = 80, 10
    answer = api.post("/v1/experiments", json=_experiment(arms=arms))
    assert answer.status_code == 409
    assert "new experiment" in answer.get_json()["error"]["message"]
    assert api.get("/v1/experiments/spring_ab").get_json()["arms"][0]["weight"] == 45


def test_a_draft_may_be_redefined(api: ApiClient, draft: dict[str, Any]) -> None:
    answer = api.post(
        "/v1/experiments",
        json=_experiment(
            control_weight=0, arms=[{**arm, "weight": 50} for arm in _experiment()["arms"]]
        ),
    )
    assert answer.status_code == 201, answer.get_json()
    assert api.get("/v1/experiments/spring_ab").get_json()["control_weight"] == 0


def test_concluding_with_a_winner_that_is_not_an_arm_is_refused(
    api: ApiClient, reviewer: ApiClient, draft: dict[str, Any]
) -> None:
    assert reviewer.post("/v1/experiments/spring_ab/start", json={}).status_code == 200
    answer = reviewer.post("/v1/experiments/spring_ab/conclude", json={"winner": "control"})
    assert answer.status_code == 422
    assert "winner" in answer.get_json()["error"]["details"]
    assert api.get("/v1/experiments/spring_ab").get_json()["status"] == "RUNNING"


def test_concluding_names_the_winner(
    api: ApiClient, reviewer: ApiClient, draft: dict[str, Any]
) -> None:
    assert reviewer.post("/v1/experiments/spring_ab/start", json={}).status_code == 200
    answer = reviewer.post(
        "/v1/experiments/spring_ab/conclude", json={"winner": "b", "reason": "more clicks"}
    )
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert (body["status"], body["winner"], body["ended"]["by"]) == ("CONCLUDED", "b", "bob")


def test_stopping_a_running_experiment_and_stopping_again(
    api: ApiClient, reviewer: ApiClient, draft: dict[str, Any]
) -> None:
    assert reviewer.post("/v1/experiments/spring_ab/stop", json={}).status_code == 409
    assert reviewer.post("/v1/experiments/spring_ab/start", json={}).status_code == 200
    stopped = reviewer.post("/v1/experiments/spring_ab/stop", json={"reason": "budget"})
    assert (stopped.status_code, stopped.get_json()["status"]) == (200, "STOPPED")
    assert reviewer.post("/v1/experiments/spring_ab/stop", json={}).status_code == 409


def test_an_unknown_experiment_is_404(reviewer: ApiClient) -> None:
    assert reviewer.get("/v1/experiments/nothing").status_code == 404
    assert reviewer.post("/v1/experiments/nothing/start", json={}).status_code == 404
