"""GET /v1/reports/monthly/{YYYY-MM} and `python -m registry.report`, on both databases."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from pypdf import PdfReader

from audit.verify_report import verify_report
from tests.e2e.report_history import rate_red, write_history

MONTH = datetime.now(UTC).strftime("%Y-%m")


class FixedClock:
    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def now(self) -> datetime:
        return self.moment


def monthly(api: Any, query: str = "") -> Any:
    return api.get(f"/v1/reports/monthly/{MONTH}{query}")


def template_row(report: dict[str, Any], name: str) -> dict[str, Any]:
    return next(row for row in report["templates"] if row["name"] == name)


def public_key(api: Any) -> Any:
    return load_pem_public_key(api.get("/v1/audit/public-key").data)


def run_cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "registry.report", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_the_months_figures_match_the_hand_made_history(api: Any, reviewer: Any) -> None:
    expected = write_history(api, reviewer)
    answer = monthly(api)
    assert answer.status_code == 200, answer.get_json()
    report = answer.get_json()
    assert report["summary"]["authorized"] == expected["authorized"]
    assert template_row(report, "spring_sale")["authorized"] == expected["spring_sale"]
    assert template_row(report, "weekly_news")["authorized"] == expected["weekly_news"]
    assert template_row(report, "spring_sale")["opted_out"] == expected["opted_out_spring_sale"]
    assert template_row(report, "weekly_news")["opted_out"] == expected["opted_out_weekly_news"]
    groups = {g["group"]: g["customers"] for g in report["frequency"]["groups"]}
    assert groups == {"1": 1, "2": 1, "3-4": 1, "5-8": 0, "9+": 0}
    opt_outs = report["satisfaction"]["opt_outs"]
    assert opt_outs["by_source"] == {"link": 1, "keyword": 1, "platform": 0, "api": 0}
    assert report["satisfaction"]["suppressions"] == 1
    assert report["partial"] is True


def test_a_quality_change_and_its_pause_are_in_the_templates_history(
    api: Any, reviewer: Any, tenant: str
) -> None:
    write_history(api, reviewer)
    rate_red(api, tenant, "spring_sale")
    row = template_row(monthly(api).get_json(), "spring_sale")
    assert row["quality"]["at_start"] == "UNKNOWN" and row["quality"]["at_end"] == "RED"
    assert [change["quality"] for change in row["quality"]["changes"]] == ["RED"]
    assert [pause["cause"] for pause in row["pauses"]] == ["quality"]


def test_the_report_names_its_checkpoint_and_its_signature_verifies(
    api: Any, reviewer: Any
) -> None:
    write_history(api, reviewer)
    report = monthly(api).get_json()
    checkpoint = api.get("/v1/audit/checkpoint").get_json()
    assert report["checkpoint"]["tree_size"] == checkpoint["tree_size"]
    assert report["checkpoint"]["root_hash"] == checkpoint["root_hash"]
    assert verify_report(report, public_key(api))["tree_size"] == checkpoint["tree_size"]


def test_figures_recount_from_the_exported_trail(api: Any, reviewer: Any) -> None:
    write_history(api, reviewer, busy=5)
    report = monthly(api).get_json()
    size = report["checkpoint"]["tree_size"]
    sends: Counter[str] = Counter()
    for line in api.get("/v1/audit/events?format=jsonl").data.decode().splitlines():
        item = json.loads(line)
        if item["kind"] != "event" or item["leaf_index"] >= size:
            continue
        leaf = item["event"]
        if leaf["topic"].endswith("Customer.SendAuthorized"):
            sends[leaf["state"]["template"]["name"]] += 1
    assert {row["name"]: row["authorized"] for row in report["templates"]} == dict(sends)


def test_a_later_write_does_not_change_the_report_at_its_tree_size(api: Any, reviewer: Any) -> None:
    write_history(api, reviewer)
    first = monthly(api).get_json()
    write_history_more = api.post("/v1/customers/anna/suppress", json={"reason": "again"})
    assert write_history_more.status_code == 200
    again = monthly(api, f"?tree_size={first['checkpoint']['tree_size']}").get_json()
    assert again == first
    assert monthly(api).get_json()["satisfaction"]["suppressions"] == 2


def test_the_cli_prints_the_endpoints_report_to_the_last_digit(
    api: Any, reviewer: Any, tenant: str, backend_env: dict[str, str]
) -> None:
    write_history(api, reviewer, busy=3)
    body = monthly(api).data.decode()
    size = json.loads(body)["checkpoint"]["tree_size"]
    result = run_cli(backend_env, MONTH, "--tenant", tenant, "--tree-size", str(size))
    assert result.returncode == 0, result.stderr
    assert result.stdout == body + "\n"


def test_the_cli_refuses_a_month_in_the_future(tenant: str, backend_env: dict[str, str]) -> None:
    result = run_cli(backend_env, "2999-01", "--tenant", tenant)
    assert result.returncode == 2
    assert "has not begun" in result.stderr


def test_an_empty_month_is_a_valid_mostly_empty_report(api: Any) -> None:
    answer = monthly(api)
    assert answer.status_code == 200
    report = answer.get_json()
    assert report["summary"] == {"authorized": 0, "customers_sent_to": 0, "templates_sent": 0}
    assert report["channels"] == [] and report["templates"] == []
    assert [g["customers"] for g in report["frequency"]["groups"]] == [0, 0, 0, 0, 0]
    assert report["experiments"]["available"] is True and report["experiments"]["experiments"] == []
    assert report["checkpoint"]["tree_size"] == 0
    assert verify_report(report, public_key(api))["tree_size"] == 0


def test_an_empty_months_charts_say_no_data_without_a_made_up_axis(api: Any) -> None:
    page = monthly(api, "?format=html").data.decode()
    charts = re.findall(r"<svg.*?</svg>", page, flags=re.DOTALL)
    assert len(charts) == 4
    for chart in charts:
        assert "no data:" in chart
        # matplotlib's range around 0 for nothing drawn showed -0.04 … 0.04 ticks
        assert "\N{MINUS SIGN}" not in chart and "0.045" not in chart


def test_a_templates_pauses_are_listed_under_the_table(
    api: Any, reviewer: Any, tenant: str
) -> None:
    write_history(api, reviewer)
    rate_red(api, tenant, "weekly_news")
    page = monthly(api, "?format=html").data.decode()
    listed = page.split('<ul class="events">', 1)[1].split("</ul>", 1)[0]
    assert "<strong>weekly_news/ru</strong>: quality RED on" in listed
    assert "paused on" in listed and "spring_sale" not in listed


def test_a_month_that_is_over_is_not_partial(
    api: Any, registry: Any, app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = app.extensions["services"].reports
    monkeypatch.setattr(service, "clock", FixedClock(datetime(2100, 1, 1, tzinfo=UTC)))
    report = api.get("/v1/reports/monthly/2099-11").get_json()
    assert report["partial"] is False
    assert len(report["daily"]) == 30


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/v1/reports/monthly/2026-13", "month"),
        ("/v1/reports/monthly/abc", "month"),
        ("/v1/reports/monthly/2999-01", "month"),
        (f"/v1/reports/monthly/{MONTH}?format=xml", "format"),
        (f"/v1/reports/monthly/{MONTH}?formt=csv", "formt"),
        (f"/v1/reports/monthly/{MONTH}?tree_size=99999999", "tree_size"),
    ],
)
def test_bad_months_formats_and_parameters_are_422_naming_them(
    api: Any, path: str, field: str
) -> None:
    answer = api.get(path)
    assert answer.status_code == 422
    assert field in answer.get_json()["error"]["details"]


def test_an_unknown_format_names_the_four(api: Any) -> None:
    (message,) = monthly(api, "?format=docx").get_json()["error"]["details"]["format"]
    assert all(name in message for name in ("json", "csv", "html", "pdf"))


def test_the_report_needs_audit_read(app: Any, token: Any) -> None:
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token('consents:read')}"}
    assert client.get(f"/v1/reports/monthly/{MONTH}", headers=headers).status_code == 403


def test_csv_html_and_pdf_carry_the_same_figures(api: Any, reviewer: Any) -> None:
    write_history(api, reviewer)
    csv_answer = monthly(api, "?format=csv")
    assert csv_answer.content_type == "text/csv; charset=utf-8"
    assert "templates,spring_sale/ru,authorized,2" in csv_answer.data.decode().splitlines()
    html_answer = monthly(api, "?format=html")
    assert html_answer.content_type == "text/html; charset=utf-8"
    page = html_answer.data.decode()
    assert "<script" not in page and page.count("<svg") == 4
    assert "script-src" not in html_answer.headers["Content-Security-Policy"]
    pdf_answer = monthly(api, "?format=pdf")
    assert pdf_answer.content_type == "application/pdf"
    pages = PdfReader(io.BytesIO(pdf_answer.data)).pages
    text = [page.extract_text() for page in pages]
    assert len(pages) == 8
    assert f"Monthly review {MONTH}" in text[0] and "Authorized sends: 6;" in text[0]
    assert "spring_sale/ru" in text[3] and "weekly_news/ru" in text[3]
    assert "Sends and rates by day sent" in text[2] and "Frequency curve" in text[7]


def test_an_erased_customers_sends_still_count(api: Any, reviewer: Any) -> None:
    expected = write_history(api, reviewer)
    assert api.post("/v1/customers/anna/erase", json={"reason": "asked"}).status_code == 200
    report = monthly(api).get_json()
    assert report["summary"]["authorized"] == expected["authorized"]
    assert template_row(report, "spring_sale")["opted_out"] == expected["opted_out_spring_sale"]


def test_the_month_is_bounded_in_the_policys_timezone(api: Any) -> None:
    policy = api.get("/v1/policy").get_json()
    body = {k: v for k, v in policy.items() if k not in ("position", "version", "policy_version")}
    answer = api.put("/v1/policy", json={**body, "timezone": "America/Los_Angeles"})
    assert answer.status_code == 200, answer.get_json()
    report = api.get("/v1/reports/monthly/2026-07").get_json()
    assert report["timezone"] == "America/Los_Angeles"
    assert report["period"] == {"start": "2026-07-01T07:00:00Z", "end": "2026-08-01T07:00:00Z"}
    assert report["policy_version"] == 1
