"""R-TEMPLATE, R-POLICY and R-DECIDE through the HTTP API, on both backends."""

from __future__ import annotations

from typing import Any

from tests.conftest import MARKETING_TEMPLATE
from tests.helpers import decide

GRANT = {"customer_id": "c1", "purposes": ["promotions"], "source": {"kind": "checkout"}}


def test_submitted_template_is_pending_with_lint(api: Any) -> None:
    answer = api.post("/v1/templates", json=MARKETING_TEMPLATE)
    assert answer.status_code == 201
    body = answer.get_json()
    assert (body["version"], body["status"]) == (1, "PENDING")
    assert all(f["severity"] != "error" for f in body["lint"])


def test_template_with_lint_error_is_rejected_at_once(api: Any) -> None:
    impersonal = {
        **MARKETING_TEMPLATE,
        "components": [
            {"type": "BODY", "text": "Большая распродажа! Скидки на всё."},
            {"type": "FOOTER", "text": "Отписаться: СТОП"},
        ],
    }
    body = api.post("/v1/templates", json=impersonal).get_json()
    assert body["status"] == "REJECTED"
    assert "not_personalised" in {f["code"] for f in body["lint"]}


def test_same_name_and_language_creates_the_next_version(api: Any) -> None:
    api.post("/v1/templates", json=MARKETING_TEMPLATE)
    assert api.post("/v1/templates", json=MARKETING_TEMPLATE).get_json()["version"] == 2


def test_template_with_wrong_shape_is_422_and_records_nothing(api: Any) -> None:
    answer = api.post("/v1/templates", json={**MARKETING_TEMPLATE, "name": "Bad Name"})
    assert answer.status_code == 422
    assert api.get("/v1/templates/Bad Name/ru").status_code == 404


def test_submitter_cannot_review_own_version(api: Any) -> None:
    api.post("/v1/templates", json=MARKETING_TEMPLATE)
    answer = api.post(
        "/v1/templates/spring_sale/ru/review", json={"version": 1, "decision": "approve"}
    )
    assert answer.status_code == 403
    assert answer.get_json()["error"]["code"] == "four_eyes"


def test_reviewing_a_version_that_is_not_pending_is_409(
    api: Any, reviewer: Any, approved_template: Any
) -> None:
    answer = reviewer.post(
        "/v1/templates/spring_sale/ru/review", json={"version": 1, "decision": "reject"}
    )
    assert answer.status_code == 409


def test_approved_template_reads_back_with_versions(api: Any, approved_template: Any) -> None:
    state = api.get("/v1/templates/spring_sale/ru").get_json()
    assert (state["status"], state["approved_version"], state["quality"]) == (
        "APPROVED",
        1,
        "UNKNOWN",
    )
    assert state["versions"][0]["review"]["reviewed_by"] == "bob"
    assert api.get("/v1/templates").get_json()["templates"][0]["name"] == "spring_sale"


def test_policy_defaults_match_the_spec(api: Any, tenant: str) -> None:
    policy = api.get("/v1/policy").get_json()
    assert policy["display_name"] == tenant
    assert policy["send_window"] == {"start": "09:00", "end": "21:00"}
    assert policy["marketing_daily_limit"] == 2


def test_invalid_policy_is_422_and_changes_nothing(api: Any) -> None:
    answer = api.put("/v1/policy", json={"timezone": "Mars/Olympus", "colour": 1})
    assert answer.status_code == 422
    assert api.get("/v1/policy").get_json()["timezone"] == "Europe/Moscow"


def test_unknown_customer_is_refused_with_no_consent(
    api: Any, approved_template: Any, any_time_policy: None
) -> None:
    body = decide(api, "stranger", approved_template)
    assert (body["allowed"], body["reasons"]) == (False, ["no_consent"])


def test_granted_customer_with_approved_template_is_allowed(
    api: Any, approved_template: Any, any_time_policy: None
) -> None:
    api.post("/v1/consents", json=GRANT)
    body = decide(api, "c1", approved_template)
    assert body["allowed"] is True
    assert body["reasons"] == []
    assert body["template_version"] == 1


def test_opt_out_is_honoured_by_the_next_decision(
    api: Any, approved_template: Any, any_time_policy: None
) -> None:
    api.post("/v1/consents", json=GRANT)
    api.post("/v1/opt-outs", json={"customer_id": "c1", "purposes": ["promotions"]})
    assert decide(api, "c1", approved_template)["reasons"] == ["consent_withdrawn"]


def test_paused_template_is_refused(
    api: Any, reviewer: Any, approved_template: Any, any_time_policy: None
) -> None:
    api.post("/v1/consents", json=GRANT)
    reviewer.post("/v1/templates/spring_sale/ru/pause", json={"reason": "complaints"})
    assert decide(api, "c1", approved_template)["reasons"] == ["template_paused"]


def test_unknown_template_is_refused(api: Any, any_time_policy: None) -> None:
    api.post("/v1/consents", json=GRANT)
    assert decide(api, "c1", {"name": "nope", "language": "ru"})["reasons"] == [
        "template_not_found"
    ]


def test_suppressed_customer_is_refused(
    api: Any, approved_template: Any, any_time_policy: None
) -> None:
    api.post("/v1/consents", json=GRANT)
    api.post("/v1/customers/c1/suppress", json={"reason": "reassigned number"})
    assert decide(api, "c1", approved_template)["reasons"] == ["customer_suppressed"]


def test_session_message_needs_a_recent_inbound(api: Any) -> None:
    api.post("/v1/consents", json=GRANT)
    assert decide(api, "c1", None)["reasons"] == ["outside_service_window"]
    api.post("/v1/customers/c1/inbound", json={"text": "hello"})
    assert decide(api, "c1", None)["allowed"] is True


def test_decision_in_the_past_is_422(api: Any, approved_template: Any) -> None:
    answer = api.post(
        "/v1/decisions",
        json={"customer_id": "c1", "template": approved_template, "at": "2020-01-01T00:00:00Z"},
    )
    assert answer.status_code == 422


def test_a_batch_with_one_item_in_the_past_is_422_for_the_whole_batch(
    api: Any, approved_template: Any
) -> None:
    items = [
        {"customer_id": "c1", "template": approved_template},
        {"customer_id": "c2", "template": approved_template, "at": "2020-01-01T00:00:00Z"},
    ]
    answer = api.post("/v1/decisions/batch", json={"items": items})
    assert answer.status_code == 422
    error = answer.get_json()["error"]
    assert "5 minutes in the past" in error["message"]
    assert error["details"] == {
        "items": {"1": {"at": ["must not be more than 5 minutes in the past"]}}
    }


def test_batch_answers_in_order(api: Any, approved_template: Any, any_time_policy: None) -> None:
    api.post("/v1/consents", json=GRANT)
    items = [
        {"customer_id": "c1", "template": approved_template},
        {"customer_id": "zz", "template": approved_template},
    ]
    body = api.post("/v1/decisions/batch", json={"items": items}).get_json()
    assert [r["allowed"] for r in body["results"]] == [True, False]


def test_authorization_is_recorded_with_a_receipt(
    api: Any, approved_template: Any, any_time_policy: None
) -> None:
    api.post("/v1/consents", json=GRANT)
    answer = api.post(
        "/v1/authorizations", json={"customer_id": "c1", "template": approved_template}
    )
    assert answer.status_code == 201, answer.get_json()
    body = answer.get_json()
    assert body["allowed"] is True
    assert body["receipt"].count(".") == 2
    history = api.get("/v1/customers/c1/history").get_json()["events"]
    assert history[-1]["type"] == "Customer.SendAuthorized"


def test_refused_authorization_records_nothing(
    api: Any, approved_template: Any, any_time_policy: None
) -> None:
    answer = api.post(
        "/v1/authorizations", json={"customer_id": "c9", "template": approved_template}
    )
    assert answer.status_code == 200
    assert answer.get_json()["allowed"] is False
    assert api.get("/v1/customers/c9").status_code == 404


def test_daily_limit_counts_authorizations(api: Any, approved_template: Any) -> None:
    api.put(
        "/v1/policy",
        json={
            "send_window": None,
            "send_days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
            "holidays": None,
            "marketing_daily_limit": 1,
        },
    )
    api.post("/v1/consents", json=GRANT)
    first = api.post(
        "/v1/authorizations", json={"customer_id": "c1", "template": approved_template}
    )
    second = api.post(
        "/v1/authorizations", json={"customer_id": "c1", "template": approved_template}
    )
    assert first.status_code == 201
    assert second.get_json()["reasons"] == ["daily_limit_reached"]
    assert second.get_json()["next_allowed_at"] is not None


def test_policy_read_edit_write_round_trip_is_accepted(api: Any) -> None:
    policy = api.get("/v1/policy").get_json()
    policy["marketing_daily_limit"] = 5
    answer = api.put("/v1/policy", json=policy)
    assert answer.status_code == 200, answer.get_json()
    assert api.get("/v1/policy").get_json()["marketing_daily_limit"] == 5
