"""The monthly report's experiments section: an experiment running in the month, its arms'
figures counted from the log as of the checkpoint, equal to GET /v1/experiments/{name}'s
when its whole run is in the month; both databases."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tests.conftest import ApiClient
from tests.e2e.test_experiment_results import results, sends, start_experiment

__all__ = ["start_experiment"]  # the fixture, used by name
MONTH = datetime.now(UTC).strftime("%Y-%m")
FIGURES = ("assigned", "authorized", "sent", "delivered", "clicked", "opted_out", "complained")


def test_a_running_experiments_arms_count_as_its_results_do(
    api: ApiClient, tenant: str, start_experiment: Any
) -> None:
    start_experiment(min_sample=2, max_opt_out=1, max_complaint=1)
    sends(api, tenant, "a", 3, "sent", "delivered", "clicked")
    sends(api, tenant, "a", 1, "sent", "failed")
    sends(api, tenant, "b", 2, "sent", "read")  # read shows delivery
    expected = results(api)
    report = api.get(f"/v1/reports/monthly/{MONTH}").get_json()
    assert report["experiments"]["available"] is True
    (experiment,) = report["experiments"]["experiments"]
    assert (experiment["name"], experiment["status"], experiment["metric"]) == (
        "spring_ab", "RUNNING", "clicked",
    )  # fmt: skip
    for arm in experiment["arms"]:
        (theirs,) = [a for a in expected["arms"] if a["name"] == arm["name"]]
        assert {f: arm[f] for f in FIGURES} == {f: theirs[f] for f in FIGURES}, arm["name"]
    a, b = (next(x for x in experiment["arms"] if x["name"] == n) for n in ("a", "b"))
    assert (a["authorized"], a["delivered"], a["failed"], a["clicked"]) == (4, 3, 1, 3)
    assert (b["authorized"], b["delivered"], b["read"]) == (2, 2, 2)
    assert a["metrics"]["clicked"]["rate"] == "1.000000"  # decimal text: no floats signed
    assert experiment["suggested_winner_reason"] == expected["suggested_winner_reason"]


def test_an_experiment_never_started_is_not_in_the_months_report(
    api: ApiClient, reviewer: ApiClient, approved_template: dict[str, Any]
) -> None:
    from tests.e2e.test_experiment_decisions import approve_second_template

    approve_second_template(api, reviewer)
    created = api.post(
        "/v1/experiments",
        json={
            "name": "draft_only", "channel": "whatsapp", "purpose": "promotions",
            "arms": [
                {"name": "a", "template": {"name": "spring_sale", "language": "ru"}, "weight": 50},
                {"name": "b", "template": {"name": "spring_sale_b", "language": "ru"},
                 "weight": 50},
            ],
            "control_weight": 0, "metric": "clicked", "min_sample_per_arm": 2,
            "guardrails": {"max_opt_out_rate": 0.5, "max_complaint_rate": 0.5},
        },
    )  # fmt: skip
    assert created.status_code == 201, created.get_json()
    report = api.get(f"/v1/reports/monthly/{MONTH}").get_json()
    assert report["experiments"]["experiments"] == []


def test_the_page_and_the_pdf_show_the_experiment(
    api: ApiClient, tenant: str, start_experiment: Any
) -> None:
    import io

    from pypdf import PdfReader

    start_experiment()
    sends(api, tenant, "a", 2, "sent", "delivered", "clicked")
    page = api.get(f"/v1/reports/monthly/{MONTH}?format=html").data.decode()
    section = page.split('id="experiments"', 1)[1]
    assert "spring_ab — RUNNING" in section and "spring_sale/ru" in section
    pdf = api.get(f"/v1/reports/monthly/{MONTH}?format=pdf").data
    first = " ".join(PdfReader(io.BytesIO(pdf)).pages[0].extract_text().split())
    assert "spring_ab RUNNING" in first and "a 2 sent" in first
