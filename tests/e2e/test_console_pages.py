"""What the console's pages show, checked against the log and the API, on SQLite and
PostgreSQL: every figure on a page can be recounted from the exported trail."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest

from tests.e2e.console_client import Console


@pytest.fixture
def bob(app: Any, token: Callable[..., str]) -> Console:
    return Console(app, token(sub="bob"))


def trail(api: Any, query: str = "") -> list[dict[str, Any]]:
    answer = api.get(f"/v1/audit/events?format=jsonl{query}")
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return [json.loads(line) for line in answer.get_data(as_text=True).splitlines()]


def policy_form(console: Console, **changes: str) -> dict[str, Any]:
    form = {
        "display_name": "Acme",
        "timezone": "Europe/Moscow",
        "window_start": "09:00",
        "window_end": "21:00",
        "send_days": ["mon", "tue", "wed", "thu", "fri"],
        "holidays": "RU",
        "marketing_daily_limit": "2",
        "service_window_hours": "24",
        "max_emoji": "3",
    }
    form.update(changes)
    return form


def test_the_policy_history_lists_every_change_in_the_trail(api: Any, bob: Console) -> None:
    for limit in ("3", "4", "7"):
        saved = bob.post_form(
            "/console/policy", "/console/policy", policy_form(bob, marketing_daily_limit=limit)
        )
        assert saved.status_code == 303, saved.text
    page = bob.get("/console/policy").text
    shown = re.findall(r"<strong>Версия (\d+)</strong>", page)
    replaced = [e for e in trail(api, "&type=Tenant.PolicyReplaced") if e["kind"] == "event"]
    assert shown == [str(n) for n in range(len(replaced), 0, -1)] == ["3", "2", "1"]
    assert api.get("/v1/policy").get_json()["marketing_daily_limit"] == 7


def test_a_refused_policy_value_is_named_and_nothing_is_saved(api: Any, bob: Console) -> None:
    before = api.get("/v1/policy").get_json()["version"]
    refused = bob.post_form(
        "/console/policy", "/console/policy", policy_form(bob, timezone="Mars/Olympus")
    )
    assert refused.status_code == 422
    assert 'id="err-timezone"' in refused.text
    assert 'value="Mars/Olympus"' in refused.text  # what was typed is kept
    assert api.get("/v1/policy").get_json()["version"] == before


def test_the_audit_page_shows_the_checkpoint_the_trail_is_proven_against(
    api: Any, bob: Console, any_time_policy: None
) -> None:
    page = bob.get("/console/audit").text
    exported = trail(api)
    checkpoint = exported[0]
    assert checkpoint["kind"] == "checkpoint"
    assert checkpoint["root_hash"] in page
    assert f"<dd>{checkpoint['tree_size']}</dd>" in page
    assert exported[-1] == {"kind": "end", "count": checkpoint["tree_size"]}


def test_the_console_export_is_the_trail_of_v1(
    api: Any, bob: Console, any_time_policy: None
) -> None:
    downloaded = bob.get("/console/audit/export?format=jsonl")
    assert downloaded.headers["Content-Disposition"].startswith("attachment;")
    events = [json.loads(line) for line in downloaded.get_data(as_text=True).splitlines()]
    assert [e for e in events if e["kind"] == "event"] == [
        e for e in trail(api) if e["kind"] == "event"
    ]


def test_the_language_switch_shows_english_then_russian(bob: Console) -> None:
    assert '<html lang="ru">' in bob.get("/console/policy").text
    switched = bob.get("/console/language/en?back=/console/policy")
    assert switched.status_code == 303
    assert switched.headers["Location"].endswith("/console/policy")
    assert "Save the policy" in bob.get("/console/policy").text
    bob.get("/console/language/ru?back=/console/policy")
    assert "Сохранить политику" in bob.get("/console/policy").text


def test_the_language_switch_never_sends_anyone_to_another_site(bob: Console) -> None:
    for back in ("https://evil.example/", "//evil.example/console", "/console//evil"):
        answer = bob.get("/console/language/en", query_string={"back": back})
        assert answer.headers["Location"].endswith("/console"), back


def test_limits_show_the_registry_figures_or_say_they_are_not_built(
    app: Any, bob: Console, tenant: str
) -> None:
    page = bob.get("/console/limits").text
    outcomes = getattr(app.extensions["services"], "outcomes", None)
    if outcomes is None:
        assert "ещё не построены" in page
        assert "<table" not in page
    else:
        for channel in outcomes.limits(tenant)["channels"]:
            assert f">{channel['channel']}<" in page


def test_stats_say_they_are_not_built_until_outcomes_are(
    app: Any, api: Any, bob: Console, approved_template: dict[str, str]
) -> None:
    page = bob.get("/console/templates/spring_sale/ru").text
    if getattr(app.extensions["services"], "outcomes", None) is None:
        assert "R-OUTCOME" in page and "цифр нет" in page
    else:
        from registry.web.console.render import figure

        v1 = api.get("/v1/templates/spring_sale/ru/stats").get_json()
        for key, value in v1["total"].items():
            assert f"<code>{key}</code></th><td>{figure(value, key)}</td>" in page, key


def test_the_reports_page_shows_the_registrys_own_report_with_charts_and_downloads(
    app: Any, api: Any, bob: Console, approved_template: dict[str, str]
) -> None:
    page = bob.get("/console/reports").text
    shown = re.search(r"<h1>Отчёты <span class=\"muted\">(\d{4}-\d{2})</span>", page)
    assert shown is not None, page[:2000]
    v1 = api.get(f"/v1/reports/monthly/{shown.group(1)}").get_json()
    assert page.count("<svg") == 4
    assert f"<dd>{v1['summary']['authorized']}</dd>" in page
    assert f"<dd>{v1['checkpoint']['tree_size']}</dd>" in page
    downloaded = bob.get(f"/console/reports/download?month={shown.group(1)}&format=json")
    assert downloaded.headers["Content-Disposition"].startswith("attachment;")
    assert json.loads(downloaded.get_data(as_text=True))["summary"] == v1["summary"]


def test_a_month_that_is_not_yyyy_mm_is_refused_by_name(bob: Console) -> None:
    answer = bob.get("/console/reports?month=2026-13")
    assert answer.status_code == 422
    assert '<code class="ut">month</code>' in answer.text


def test_the_customer_timeline_is_every_event_of_the_customer_in_the_trail(
    api: Any, bob: Console
) -> None:
    for purposes in (["promotions"], ["alerts", "reminders"]):
        assert (
            api.post(
                "/v1/consents",
                json={
                    "customer_id": "hana",
                    "channel": "whatsapp",
                    "purposes": purposes,
                    "source": {"kind": "api"},
                },
            ).status_code
            == 201
        )
    assert (
        api.post(
            "/v1/opt-outs",
            json={
                "customer_id": "hana",
                "channel": "whatsapp",
                "purposes": "all",
                "source": {"kind": "api"},
            },
        ).status_code
        == 201
    )
    page = bob.get("/console/customers/view?id=hana").text
    shown = [int(p) for p in re.findall(r" · #(\d+)</p>", page)]
    exported = [e["position"] for e in trail(api, "&customer_id=hana") if e["kind"] == "event"]
    assert shown == exported
    assert len(shown) >= 4
