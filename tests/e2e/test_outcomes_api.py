"""R-OUTCOME over HTTP on both databases: message refs, outcome batches, unknown sends,
an authorization with its outcomes, the 131049 hold."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.conftest import ApiClient
from tests.e2e.outcome_helpers import TEMPLATE, authorize, feedback_policy, record


@pytest.fixture
def ready(api: ApiClient, approved_template: dict[str, Any]) -> ApiClient:
    feedback_policy(api)
    return api


def test_a_message_ref_attaches_once_and_a_different_one_is_a_conflict(ready: ApiClient) -> None:
    authorization_id = authorize(ready, "anna")["authorization_id"]
    path = f"/v1/authorizations/{authorization_id}/message-ref"

    first = ready.post(path, json={"message_ref": "wamid.1"})
    again = ready.post(path, json={"message_ref": "wamid.1"})
    other = ready.post(path, json={"message_ref": "wamid.2"})

    assert first.status_code == 200, first.get_json()
    assert again.status_code == 200 and again.get_json()["position"] == first.get_json()["position"]
    assert other.status_code == 409, other.get_json()
    assert (
        ready.get(f"/v1/authorizations/{authorization_id}").get_json()["message_ref"] == "wamid.1"
    )


def test_a_message_ref_given_at_authorization_names_the_send(ready: ApiClient) -> None:
    authorization_id = authorize(ready, "anna", message_ref="wamid.A")["authorization_id"]

    answer = record(ready, {"message_ref": "wamid.A", "status": "delivered"})

    assert answer["recorded"] == 1
    state = ready.get(f"/v1/authorizations/{authorization_id}").get_json()
    assert [o["status"] for o in state["outcomes"]] == ["delivered"]


def test_outcomes_are_counted_recorded_once_and_unknown_sends_kept(ready: ApiClient) -> None:
    authorization_id = authorize(ready, "anna")["authorization_id"]

    answer = record(
        ready,
        {"authorization_id": authorization_id, "status": "sent"},
        {"authorization_id": authorization_id, "status": "delivered"},
        {"authorization_id": authorization_id, "status": "delivered"},
        {"authorization_id": "auth_nobody", "status": "read"},
        {"message_ref": "wamid.unknown", "status": "failed", "error_code": 131000},
    )
    redelivered = record(ready, {"authorization_id": authorization_id, "status": "sent"})

    assert {k: answer[k] for k in ("recorded", "duplicates", "unknown")} == {
        "recorded": 2,
        "duplicates": 1,
        "unknown": 2,
    }
    assert (redelivered["recorded"], redelivered["duplicates"]) == (0, 1)
    kept = ready.get("/v1/outcomes/unknown").get_json()["items"]
    assert [k["item"].get("authorization_id") or k["item"]["message_ref"] for k in kept] == [
        "auth_nobody",
        "wamid.unknown",
    ]


def test_an_unknown_status_is_a_422_naming_the_item(ready: ApiClient) -> None:
    authorization_id = authorize(ready, "anna")["authorization_id"]

    answer = ready.post(
        "/v1/outcomes",
        json={
            "items": [
                {"authorization_id": authorization_id, "status": "sent"},
                {"authorization_id": authorization_id, "status": "opened"},
            ]
        },
    )

    assert answer.status_code == 422
    assert "1" in str(answer.get_json()["error"]["details"])
    state = ready.get(f"/v1/authorizations/{authorization_id}").get_json()
    assert state["outcomes"] == []


def test_an_authorization_answers_with_its_outcomes_and_template(ready: ApiClient) -> None:
    authorization_id = authorize(ready, "anna")["authorization_id"]
    at = "2026-11-30T10:00:00Z"
    written = record(
        ready, {"authorization_id": authorization_id, "status": "read", "at": at, "detail": "ok"}
    )

    state = ready.get(
        f"/v1/authorizations/{authorization_id}", query_string={"min_position": written["position"]}
    ).get_json()

    assert state["customer_id"] == "anna"
    assert state["template"] == {**TEMPLATE, "version": 1}
    assert state["outcomes"][0]["status"] == "read"
    assert state["outcomes"][0]["at"] == at
    assert state["outcomes"][0]["detail"] == "ok"
    assert state["outcomes"][0]["actor"] == "alice"


def test_an_unknown_authorization_is_a_404(ready: ApiClient) -> None:
    assert ready.get("/v1/authorizations/auth_nobody").status_code == 404


def test_error_131049_holds_marketing_to_the_customer_for_24_hours(ready: ApiClient) -> None:
    authorization_id = authorize(ready, "anna")["authorization_id"]
    at = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    record(
        ready,
        {
            "authorization_id": authorization_id,
            "status": "failed",
            "error_code": "131049",
            "at": at.isoformat(),
        },
    )

    decision = ready.post(
        "/v1/decisions", json={"customer_id": "anna", "template": TEMPLATE}
    ).get_json()

    assert decision["reasons"] == ["platform_user_cap"]
    expected = (at + timedelta(hours=24)).isoformat().replace("+00:00", "Z")
    assert decision["next_allowed_at"] == expected
