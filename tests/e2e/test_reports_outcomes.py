"""The monthly report's outcome figures against a hand-made month of outcomes, and against
the template stats of R-OUTCOME for the same month, on both databases. Skipped (saying so)
where this registry version records no outcomes."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from registry.usecases.reports import OUTCOMES_RECORDED
from tests.conftest import promotions_grant, put_any_time_policy

pytestmark = pytest.mark.skipif(
    not OUTCOMES_RECORDED, reason="this registry version records no send outcomes (R-OUTCOME)"
)
MONTH = datetime.now(UTC).strftime("%Y-%m")


def authorize(api: Any, customer: str) -> str:
    answer = api.post(
        "/v1/authorizations",
        json={"customer_id": customer, "template": {"name": "spring_sale", "language": "ru"}},
    )
    assert answer.status_code == 201, answer.get_json()
    return str(answer.get_json()["authorization_id"])


def record(api: Any, *items: dict[str, Any]) -> None:
    answer = api.post("/v1/outcomes", json={"items": list(items)})
    assert answer.status_code in (200, 201), answer.get_json()


def test_outcomes_count_with_their_sends_and_agree_with_the_template_stats(
    api: Any, approved_template: dict[str, Any]
) -> None:
    put_any_time_policy(api)
    for customer in ("anna", "boris"):
        assert api.post("/v1/consents", json=promotions_grant(customer)).status_code == 201
    first, second, third = authorize(api, "anna"), authorize(api, "anna"), authorize(api, "boris")
    for send in (first, second, third):
        record(api, {"authorization_id": send, "status": "sent"})
        record(api, {"authorization_id": send, "status": "delivered"})
    record(
        api,
        {"authorization_id": first, "status": "read"},
        {"authorization_id": third, "status": "complained"},
        {"authorization_id": third, "status": "complained"},  # recorded once
    )
    report = api.get(f"/v1/reports/monthly/{MONTH}").get_json()
    assert report["outcomes"] == {"available": True}
    (row,) = report["templates"]
    assert (row["sent"], row["delivered"], row["read"], row["complained"]) == (3, 3, 1, 1)
    assert row["complaint_rate"] == "0.333333" and row["read_rate"] == "0.333333"
    groups = {g["group"]: g for g in report["frequency"]["groups"]}
    assert (groups["2"]["delivered"], groups["2"]["complained"]) == (2, 0)
    assert (groups["1"]["delivered"], groups["1"]["complained"]) == (1, 1)
    assert report["frequency"]["best_frequency"] == "2"
    start, end = report["period"]["start"], report["period"]["end"]
    stats = api.get(
        "/v1/templates/spring_sale/ru/stats", query_string={"since": start, "until": end}
    ).get_json()
    for name in ("authorized", "sent", "delivered", "read", "complained", "opted_out"):
        assert row[name] == stats["total"][name], name


def test_with_outcomes_the_cli_prints_the_endpoints_report_to_the_last_digit(
    api: Any, reviewer: Any, tenant: str, backend_env: dict[str, str]
) -> None:
    from tests.e2e.report_history import write_history
    from tests.e2e.test_reports_api import run_cli

    expected = write_history(api, reviewer, busy=12, outcomes=True)
    body = api.get(f"/v1/reports/monthly/{MONTH}").data.decode()
    report = json.loads(body)
    assert report["summary"]["authorized"] == expected["authorized"]
    total = {s: sum(t[s] for t in report["templates"]) for s in expected["outcomes"]}
    assert total == expected["outcomes"]  # every status recorded counts once, with its send
    size = str(report["checkpoint"]["tree_size"])
    result = run_cli(backend_env, MONTH, "--tenant", tenant, "--tree-size", size)
    assert result.returncode == 0, result.stderr
    assert result.stdout == body + "\n"


def test_sends_whose_sent_or_delivered_status_never_came_count_alike_in_report_and_stats(
    api: Any, approved_template: dict[str, Any]
) -> None:
    put_any_time_policy(api)
    assert api.post("/v1/consents", json=promotions_grant("anna")).status_code == 201
    only_delivered, only_read, only_complained, only_failed = (
        authorize(api, "anna") for _ in range(4)
    )
    record(
        api,
        {"authorization_id": only_delivered, "status": "delivered"},
        {"authorization_id": only_read, "status": "read"},
        {"authorization_id": only_read, "status": "sent"},  # late: still one send
        {"authorization_id": only_complained, "status": "complained"},
        {"authorization_id": only_failed, "status": "failed"},
    )
    report = api.get(f"/v1/reports/monthly/{MONTH}").get_json()
    (row,) = report["templates"]
    expected = {"authorized": 4, "sent": 3, "delivered": 3, "read": 1, "failed": 1}
    assert {name: row[name] for name in expected} == expected
    assert row["delivery_rate"] == "1.000000" and row["read_rate"] == "0.333333"
    start, end = report["period"]["start"], report["period"]["end"]
    stats = api.get(
        "/v1/templates/spring_sale/ru/stats", query_string={"since": start, "until": end}
    ).get_json()
    for name in (*expected, "complained", "opted_out"):
        assert row[name] == stats["total"][name], name
    assert stats["total"]["delivery_rate"] == 1.0
