"""GET /v1/policy/history and nested policy errors (issue #20 item 8)."""

from __future__ import annotations

from typing import Any

from tests.conftest import ApiClient


def test_every_policy_version_is_listed_with_actor_time_and_policy(
    api: ApiClient, reviewer: ApiClient
) -> None:
    first = api.put("/v1/policy", json={"marketing_daily_limit": 3}).get_json()
    second = reviewer.put(
        "/v1/policy", json={"marketing_daily_limit": 5}, headers={"X-Request-Id": "pol-2"}
    ).get_json()
    answer = api.get(f"/v1/policy/history?min_position={second['position']}")
    assert answer.status_code == 200, answer.get_json()
    versions = answer.get_json()["versions"]
    assert [v["version"] for v in versions] == [first["version"], second["version"]] == [1, 2]
    assert [v["actor"] for v in versions] == ["alice", "bob"]
    assert versions[1]["request_id"] == "pol-2"
    assert [v["policy"]["marketing_daily_limit"] for v in versions] == [3, 5]
    assert all(v["replaced_at"].endswith("Z") for v in versions)
    assert versions[1]["position"] == second["position"]
    assert versions[1]["policy"] == {
        k: v for k, v in second.items() if k not in ("version", "position")
    }


def test_history_pages_after_a_position(api: ApiClient) -> None:
    for limit in (1, 2, 3):
        api.put("/v1/policy", json={"marketing_daily_limit": limit})
    whole = api.get("/v1/policy/history").get_json()["versions"]
    page = api.get(f"/v1/policy/history?after_position={whole[0]['position']}&limit=1")
    assert [v["version"] for v in page.get_json()["versions"]] == [2]


def test_a_tenant_without_a_policy_has_an_empty_history(api: ApiClient) -> None:
    assert api.get("/v1/policy/history").get_json()["versions"] == []


def test_history_needs_the_policy_read_scope(app: Any, token: Any) -> None:
    other = ApiClient(app.test_client(), token("decisions"))
    assert other.get("/v1/policy/history").status_code == 403


def test_policy_errors_nest_like_every_other_endpoint(api: ApiClient) -> None:
    answer = api.put(
        "/v1/policy", json={"send_window": {"start": "25:00", "end": "21:00"}, "lint": {"x": 1}}
    )
    assert answer.status_code == 422
    details = answer.get_json()["error"]["details"]
    assert set(details) == {"send_window", "lint"}
    assert list(details["send_window"]) == ["start"] and isinstance(
        details["send_window"]["start"], list
    )
    assert details["lint"] == {"x": ["unknown field"]}
