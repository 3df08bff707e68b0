"""SPEC §13 pilots over HTTP on both databases: the policy section, `pilot_in_progress`
past the pilot's size, a pilot that clears (`PilotCleared`, actor system) or breaches
(the version paused), and later versions with an unchanged or a changed BODY."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.conftest import MARKETING_TEMPLATE, ApiClient, promotions_grant
from tests.e2e.outcome_helpers import TEMPLATE, record

PATH = "/v1/templates/spring_sale/ru"
ANY_TIME = {
    "send_window": None,
    "send_days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
    "holidays": None,
    "marketing_daily_limit": None,
}


def pilot_policy(api: ApiClient, customers: int = 2, **feedback: Any) -> dict[str, Any]:
    """Any-time sending, a pilot of `customers`, pauses at 25 % complaints or 50 %
    opt-outs, judged from 2 delivered (or `feedback`)."""
    settings = {
        "min_delivered": 2,
        "template_pause_complaint_rate": 0.25,
        "template_pause_opt_out_rate": 0.5,
        "tenant_warn_complaint_rate": 1,
        **feedback,
    }
    answer = api.put(
        "/v1/policy",
        json={**ANY_TIME, "pilot": {"customers": customers}, "feedback": settings},
    )
    assert answer.status_code == 200, answer.get_json()
    body: dict[str, Any] = answer.get_json()
    return body


def approve_version(api: ApiClient, reviewer: ApiClient, body_text: str | None = None) -> int:
    template = copy.deepcopy(MARKETING_TEMPLATE)
    if body_text is not None:
        template["components"][0]["text"] = body_text
    submitted = api.post("/v1/templates", json=template)
    assert submitted.status_code == 201, submitted.get_json()
    version = int(submitted.get_json()["version"])
    reviewed = reviewer.post(
        f"{PATH}/review", json={"version": version, "decision": "approve", "reason": "ok"}
    )
    assert reviewed.status_code == 200, reviewed.get_json()
    return version


def authorize(api: ApiClient, customer_id: str) -> tuple[int, dict[str, Any]]:
    api.post("/v1/consents", json=promotions_grant(customer_id))
    answer = api.post("/v1/authorizations", json={"customer_id": customer_id, "template": TEMPLATE})
    return answer.status_code, answer.get_json()


def authorized(api: ApiClient, customer_id: str) -> str:
    status, body = authorize(api, customer_id)
    assert status == 201, body
    return str(body["authorization_id"])


def decision(api: ApiClient, customer_id: str) -> dict[str, Any]:
    api.post("/v1/consents", json=promotions_grant(customer_id))
    body: dict[str, Any] = api.post(
        "/v1/decisions", json={"customer_id": customer_id, "template": TEMPLATE}
    ).get_json()
    return body


def template_events(api: ApiClient, type_: str) -> list[dict[str, Any]]:
    events = api.get(f"{PATH}/history").get_json()["events"]
    return [e for e in events if e["type"] == type_]


@pytest.fixture
def piloted(api: ApiClient, reviewer: ApiClient) -> ApiClient:
    """A pilot of 2 customers, and spring_sale v1 approved after it was turned on."""
    pilot_policy(api)
    approve_version(api, reviewer)
    return api


def test_the_policy_answers_its_pilot_and_defaults_to_none(api: ApiClient) -> None:
    assert api.get("/v1/policy").get_json()["pilot"] is None

    stored = pilot_policy(api, customers=300)

    assert stored["pilot"] == {"customers": 300, "categories": ["MARKETING"]}
    assert api.get("/v1/policy").get_json()["pilot"] == stored["pilot"]


@pytest.mark.parametrize(
    ("pilot", "field"),
    [
        ({"customers": 0}, "customers"),
        ({"customers": "500"}, "customers"),
        ({"categories": ["PROMO"]}, "categories"),
        ({"size": 5}, "size"),
    ],
)
def test_a_bad_pilot_is_a_422_naming_the_field(
    api: ApiClient, pilot: dict[str, Any], field: str
) -> None:
    answer = api.put("/v1/policy", json={"pilot": pilot})

    assert answer.status_code == 422
    assert field in answer.get_json()["error"]["details"]["pilot"]


def test_past_the_pilot_size_a_new_customer_gets_pilot_in_progress(piloted: ApiClient) -> None:
    authorized(piloted, "anna")
    authorized(piloted, "boris")

    status, body = authorize(piloted, "vera")

    assert (status, body["allowed"], body["reasons"]) == (200, False, ["pilot_in_progress"])
    assert decision(piloted, "vera")["reasons"] == ["pilot_in_progress"]


def test_a_customer_already_in_the_pilot_may_be_sent_to_again(piloted: ApiClient) -> None:
    authorized(piloted, "anna")
    authorized(piloted, "boris")

    assert authorize(piloted, "anna")[0] == 201
    assert decision(piloted, "boris")["allowed"] is True


def test_the_authorization_event_names_its_pilot(piloted: ApiClient) -> None:
    authorized(piloted, "anna")

    events = piloted.get("/v1/customers/anna/history").get_json()["events"]
    sends = [e for e in events if e["type"] == "Customer.SendAuthorized"]
    assert [e["data"]["pilot"] for e in sends] == [1]


def test_a_template_approved_before_pilots_were_turned_on_is_not_held(
    api: ApiClient, reviewer: ApiClient
) -> None:
    api.put("/v1/policy", json=ANY_TIME)
    approve_version(api, reviewer)
    pilot_policy(api, customers=1)

    assert [authorize(api, c)[0] for c in ("anna", "boris", "vera")] == [201, 201, 201]


def test_a_pilot_clears_at_min_delivered_under_the_thresholds(piloted: ApiClient) -> None:
    sends = [authorized(piloted, c) for c in ("anna", "boris")]

    record(piloted, *({"authorization_id": a, "status": "delivered"} for a in sends))

    [cleared] = template_events(piloted, "Template.PilotCleared")
    assert cleared["actor"] == "system"
    assert {k: cleared["data"][k] for k in ("pilot", "customers", "delivered", "complained")} == {
        "pilot": 1,
        "customers": 2,
        "delivered": 2,
        "complained": 0,
    }
    assert authorize(piloted, "vera")[0] == 201


def test_a_pilot_at_a_pause_threshold_pauses_the_template(piloted: ApiClient) -> None:
    sends = [authorized(piloted, c) for c in ("anna", "boris")]

    record(
        piloted,
        *({"authorization_id": a, "status": "delivered"} for a in sends),
        {"authorization_id": sends[0], "status": "complained"},
    )

    [paused] = template_events(piloted, "Template.PausedForFeedback")
    assert (paused["actor"], paused["data"]["reason"]) == ("system", "complaint_rate")
    assert template_events(piloted, "Template.PilotCleared") == []
    assert decision(piloted, "anna")["reasons"] == ["template_paused"]


def test_a_later_version_with_the_same_body_keeps_its_cleared_pilot(
    piloted: ApiClient, reviewer: ApiClient
) -> None:
    sends = [authorized(piloted, c) for c in ("anna", "boris")]
    record(piloted, *({"authorization_id": a, "status": "delivered"} for a in sends))

    approve_version(piloted, reviewer)  # v2: the same BODY

    assert [authorize(piloted, c)[0] for c in ("vera", "gleb", "dina")] == [201, 201, 201]


def test_a_later_version_with_a_changed_body_runs_a_pilot_of_its_own(
    piloted: ApiClient, reviewer: ApiClient
) -> None:
    sends = [authorized(piloted, c) for c in ("anna", "boris")]
    record(piloted, *({"authorization_id": a, "status": "delivered"} for a in sends))

    approve_version(piloted, reviewer, "{{1}}, скидка 15% на ваш заказ до воскресенья.")

    assert [authorize(piloted, c)[0] for c in ("vera", "anna", "gleb")] == [201, 201, 200]
    assert decision(piloted, "gleb")["reasons"] == ["pilot_in_progress"]


def test_the_template_answers_its_pilot(piloted: ApiClient) -> None:
    body = piloted.get(PATH).get_json()

    assert body["pilot"]["number"] == 1
    assert body["pilot"]["cleared"] is None


@pytest.fixture
def clocked_pilot(clocked_app: Any, clocked_api: ApiClient, token: Any) -> ApiClient:
    """A pilot of 2 judged from 100 delivered (not reached here), on the clocked app."""
    reviewer = ApiClient(clocked_app.test_client(), token(sub="bob"))
    pilot_policy(clocked_api, min_delivered=100)
    approve_version(clocked_api, reviewer)
    return clocked_api


def test_a_full_pilot_whose_sends_are_a_day_old_clears_at_the_next_authorization(
    clocked_pilot: ApiClient, clock: Any
) -> None:
    sends = [authorized(clocked_pilot, c) for c in ("anna", "boris")]
    record(clocked_pilot, *({"authorization_id": a, "status": "delivered"} for a in sends))
    assert authorize(clocked_pilot, "vera")[1]["reasons"] == ["pilot_in_progress"]

    clock.advance(hours=24)

    assert authorize(clocked_pilot, "vera")[0] == 201
    [cleared] = template_events(clocked_pilot, "Template.PilotCleared")
    assert (cleared["actor"], cleared["data"]["delivered"]) == ("system", 2)


def test_a_full_pilot_a_day_old_at_a_threshold_is_paused_at_the_next_authorization(
    clocked_pilot: ApiClient, clock: Any
) -> None:
    sends = [authorized(clocked_pilot, c) for c in ("anna", "boris")]
    record(
        clocked_pilot,
        *({"authorization_id": a, "status": "delivered"} for a in sends),
        {"authorization_id": sends[1], "status": "complained"},
    )
    clock.advance(hours=24)

    status, body = authorize(clocked_pilot, "vera")

    assert (status, body["reasons"]) == (200, ["template_paused", "pilot_in_progress"])
    [paused] = template_events(clocked_pilot, "Template.PausedForFeedback")
    assert paused["data"]["reason"] == "complaint_rate"


def test_a_decision_does_not_clear_a_pilot(clocked_pilot: ApiClient, clock: Any) -> None:
    sends = [authorized(clocked_pilot, c) for c in ("anna", "boris")]
    record(clocked_pilot, *({"authorization_id": a, "status": "delivered"} for a in sends))
    clock.advance(hours=24)

    assert decision(clocked_pilot, "vera")["reasons"] == ["pilot_in_progress"]
    assert template_events(clocked_pilot, "Template.PilotCleared") == []


def test_a_pilot_turned_on_while_another_worker_read_none_holds_there_at_once(
    api: ApiClient, reviewer: ApiClient, clocked_api: ApiClient
) -> None:
    other_worker = clocked_api  # another app on the same database: services of its own
    api.put("/v1/policy", json=ANY_TIME)
    decision(other_worker, "anna")  # its reads now leave the pilot out (the tenant has none)
    pilot_policy(api, customers=1)
    approve_version(api, reviewer)
    assert authorize(api, "anna")[0] == 201

    assert decision(other_worker, "boris")["reasons"] == ["pilot_in_progress"]
    assert authorize(other_worker, "boris")[1]["reasons"] == ["pilot_in_progress"]
