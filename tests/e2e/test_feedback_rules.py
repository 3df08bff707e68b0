"""SPEC §11-12 over HTTP on both databases: attribution, a template version paused for
its complaint or opt-out rate (small `min_delivered`), resume and pause again, stats."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import ApiClient
from tests.e2e.outcome_helpers import TEMPLATE, authorize, feedback_policy, record

PATH = "/v1/templates/spring_sale/ru"


@pytest.fixture
def strict(api: ApiClient, approved_template: dict[str, Any]) -> ApiClient:
    """Pauses at 25 % complaints or 50 % opt-outs, from 4 delivered."""
    feedback_policy(
        api,
        min_delivered=4,
        template_pause_complaint_rate=0.25,
        template_pause_opt_out_rate=0.5,
        tenant_warn_complaint_rate=1,
    )
    return api


def deliver(api: ApiClient, prefix: str, count: int) -> list[str]:
    """`count` customers authorized and their sends delivered; their authorization ids."""
    ids = [authorize(api, f"{prefix}{i}")["authorization_id"] for i in range(count)]
    record(api, *({"authorization_id": a, "status": "delivered"} for a in ids))
    return ids


def decision(api: ApiClient, customer_id: str) -> dict[str, Any]:
    body: dict[str, Any] = api.post(
        "/v1/decisions", json={"customer_id": customer_id, "template": TEMPLATE}
    ).get_json()
    return body


def history_of_template(api: ApiClient) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = api.get(f"{PATH}/history").get_json()["events"]
    return events


def test_an_opt_out_is_attributed_to_the_last_send_and_counted_in_stats(strict: ApiClient) -> None:
    authorization_id = authorize(strict, "anna")["authorization_id"]
    record(strict, {"authorization_id": authorization_id, "status": "delivered"})

    strict.post(
        "/v1/opt-outs",
        json={
            "customer_id": "anna",
            "channel": "whatsapp",
            "purposes": ["promotions"],
            "source": {"kind": "api"},
        },
    )

    events = strict.get("/v1/customers/anna/history").get_json()["events"]
    attributed = [e for e in events if e["type"] == "Customer.FeedbackAttributed"]
    assert [e["data"]["authorization_id"] for e in attributed] == [authorization_id]
    assert attributed[0]["data"]["template"] == {**TEMPLATE, "version": 1}
    stats = strict.get(f"{PATH}/stats").get_json()
    assert (stats["total"]["opted_out"], stats["total"]["delivered"]) == (1, 1)
    assert strict.get(f"/v1/authorizations/{authorization_id}").get_json()["opted_out"] is True


def test_an_opt_out_on_another_channel_is_not_attributed(strict: ApiClient) -> None:
    authorize(strict, "anna")
    strict.post(
        "/v1/opt-outs",
        json={
            "customer_id": "anna",
            "channel": "sms",
            "purposes": "all",
            "source": {"kind": "api"},
        },
    )
    events = strict.get("/v1/customers/anna/history").get_json()["events"]
    assert not [e for e in events if e["type"] == "Customer.FeedbackAttributed"]


def test_a_suppression_is_attributed(strict: ApiClient) -> None:
    authorization_id = authorize(strict, "anna")["authorization_id"]
    strict.post("/v1/customers/anna/suppress", json={"reason": "spam complaint"})
    state = strict.get(f"/v1/authorizations/{authorization_id}").get_json()
    assert state["suppressed"] is True


def test_below_min_delivered_a_high_complaint_rate_pauses_nothing(strict: ApiClient) -> None:
    ids = deliver(strict, "c", 3)
    record(strict, {"authorization_id": ids[0], "status": "complained"})
    assert decision(strict, "c1")["allowed"] is True


def test_the_complaint_rate_reaching_its_threshold_pauses_the_version(strict: ApiClient) -> None:
    ids = deliver(strict, "c", 4)

    written = record(strict, {"authorization_id": ids[0], "status": "complained"})

    assert decision(strict, "c1")["reasons"] == ["template_paused"]
    paused = [e for e in history_of_template(strict) if e["type"] == "Template.PausedForFeedback"]
    assert len(paused) == 1 and paused[0]["position"] <= written["position"]
    assert paused[0]["actor"] == "system"
    figures = paused[0]["data"]
    assert {
        k: figures[k] for k in ("version", "reason", "rate", "count", "delivered", "threshold")
    } == {
        "version": 1,
        "reason": "complaint_rate",
        "rate": "0.250000",
        "count": 1,
        "delivered": 4,
        "threshold": "0.25",
    }
    assert strict.get(PATH).get_json()["status"] == "PAUSED"


def test_a_complaint_on_a_send_never_reported_delivered_counts_it_delivered(
    strict: ApiClient,
) -> None:
    """The rule the stats count by (a complaint shows the delivery): the judged figures
    are the recounted ones, so the fourth delivered send reaches `min_delivered`."""
    deliver(strict, "c", 3)
    unreported = authorize(strict, "c3")["authorization_id"]

    record(strict, {"authorization_id": unreported, "status": "complained"})

    paused = [e for e in history_of_template(strict) if e["type"] == "Template.PausedForFeedback"]
    assert [(e["data"]["count"], e["data"]["delivered"]) for e in paused] == [(1, 4)]
    total = strict.get(f"{PATH}/stats").get_json()["total"]
    assert (total["delivered"], total["complained"]) == (4, 1)


def test_the_opt_out_rate_reaching_its_threshold_pauses_the_version(strict: ApiClient) -> None:
    deliver(strict, "c", 4)
    for customer in ("c0", "c1"):
        strict.post(
            "/v1/opt-outs",
            json={
                "customer_id": customer,
                "channel": "whatsapp",
                "purposes": "all",
                "source": {"kind": "api"},
            },
        )
    paused = [e for e in history_of_template(strict) if e["type"] == "Template.PausedForFeedback"]
    assert [e["data"]["reason"] for e in paused] == ["opt_out_rate"]
    assert decision(strict, "c2")["reasons"] == ["template_paused"]


def test_a_resumed_version_is_paused_again_by_the_next_breach(
    strict: ApiClient, reviewer: ApiClient
) -> None:
    first = deliver(strict, "a", 4)
    record(strict, {"authorization_id": first[0], "status": "complained"})
    assert decision(strict, "a1")["reasons"] == ["template_paused"]

    resumed = reviewer.post(f"{PATH}/resume", json={"reason": "content fixed"})
    assert resumed.status_code == 200, resumed.get_json()
    assert decision(strict, "a1")["allowed"] is True
    record(strict, {"authorization_id": first[1], "status": "complained"})  # a send from before
    assert decision(strict, "a1")["allowed"] is True

    second = deliver(strict, "b", 4)
    record(strict, {"authorization_id": second[0], "status": "complained"})

    assert decision(strict, "b1")["reasons"] == ["template_paused"]
    paused = [e for e in history_of_template(strict) if e["type"] == "Template.PausedForFeedback"]
    assert [e["data"]["delivered"] for e in paused] == [4, 4]


def test_stats_count_each_send_once_and_give_every_rate(strict: ApiClient) -> None:
    ids = deliver(strict, "c", 2)
    record(
        strict,
        {"authorization_id": ids[0], "status": "sent"},
        {"authorization_id": ids[1], "status": "sent"},
        {"authorization_id": ids[0], "status": "read"},
        {"authorization_id": ids[0], "status": "clicked"},
        {"authorization_id": ids[0], "status": "replied"},
        {"authorization_id": ids[0], "status": "converted"},
        {"authorization_id": ids[0], "status": "read"},
    )
    authorize(strict, "d0")  # authorized, nothing known yet

    stats = strict.get(f"{PATH}/stats").get_json()

    total = stats["total"]
    assert {k: total[k] for k in ("authorized", "sent", "delivered", "read", "clicked")} == {
        "authorized": 3,
        "sent": 2,
        "delivered": 2,
        "read": 1,
        "clicked": 1,
    }
    assert (total["delivery_rate"], total["read_rate"], total["reply_rate"]) == (1.0, 0.5, 0.5)
    assert (total["click_rate"], total["conversion_rate"], total["complaint_rate"]) == (
        0.5,
        0.5,
        0.0,
    )
    assert [v["version"] for v in stats["versions"]] == [1]
    assert stats["versions"][0]["authorized"] == 3


def test_a_later_status_counts_its_send_as_sent_and_delivered_once(strict: ApiClient) -> None:
    ids = [authorize(strict, f"s{i}")["authorization_id"] for i in range(5)]
    delivered_only, read_only, all_three, sent_only, failed_only = ids
    answer = record(
        strict,
        {"authorization_id": delivered_only, "status": "delivered"},
        {"authorization_id": read_only, "status": "read"},
        {"authorization_id": all_three, "status": "delivered"},
        {"authorization_id": all_three, "status": "read"},
        {"authorization_id": all_three, "status": "sent"},  # late, after its delivery
        {"authorization_id": sent_only, "status": "sent"},
        {"authorization_id": failed_only, "status": "failed"},
    )
    assert (answer["recorded"], answer["duplicates"]) == (7, 0)  # the late `sent` is an event

    total = strict.get(f"{PATH}/stats").get_json()["total"]

    assert {k: total[k] for k in ("authorized", "sent", "delivered", "read", "failed")} == {
        "authorized": 5,
        "sent": 4,
        "delivered": 3,  # a read send was delivered (registry/domain/outcome_counts.py)
        "read": 2,
        "failed": 1,
    }
    assert (total["delivery_rate"], total["read_rate"]) == (0.75, 2 / 3)


def test_stats_of_a_period_count_the_sends_authorized_in_it(strict: ApiClient) -> None:
    deliver(strict, "c", 2)
    empty = strict.get(f"{PATH}/stats", query_string={"until": "2020-01-01T00:00:00Z"}).get_json()
    assert empty["total"]["authorized"] == 0
    assert empty["total"]["delivery_rate"] is None
    assert empty["versions"] == []


def test_stats_of_an_unknown_template_are_a_404(strict: ApiClient) -> None:
    assert strict.get("/v1/templates/nothing/ru/stats").status_code == 404


def test_a_stats_query_with_a_bad_moment_is_a_422_naming_it(strict: ApiClient) -> None:
    answer = strict.get(f"{PATH}/stats", query_string={"since": "yesterday"})
    assert answer.status_code == 422
    assert "since" in answer.get_json()["error"]["details"]
