"""A compliance officer uses the console in a real browser (Debian's Chromium through
Playwright), on a phone in Russian and on a desktop in English, against the real app on a
real port, on SQLite and PostgreSQL. Screenshots land in tests/artifacts/."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.conftest import MARKETING_TEMPLATE, promotions_grant, put_any_time_policy
from tests.e2e.browser import CHROMIUM_ARGS, PHONE, live_server, require_chromium, screenshot_path

pytestmark = pytest.mark.browser

SIZES: dict[str, dict[str, Any]] = {
    "phone": {**PHONE, "locale": "ru-RU"},
    "desktop": {"viewport": {"width": 1280, "height": 900}, "locale": "en-US"},
}
WORDS: dict[str, dict[str, str]] = {
    "phone": {
        "token": "API-токен",
        "sign_in": "Войти",
        "home": "Консоль",
        "queue": "Очередь проверки",
        "reason": "Причина решения",
        "approve": "Одобрить",
        "approved": "Версия одобрена.",
        "customers": "Клиенты",
        "phone": "Телефон",
        "find": "Найти",
        "policy": "Политика",
        "daily_limit": "Рекламных сообщений клиенту в день",
        "save": "Сохранить политику",
        "saved": "Политика сохранена.",
        "version": "Версия",
        "sign_out": "Выйти",
        "reports": "Отчёты",
        "signed_out": "Вы вышли",
        "sign_in_title": "Вход",
    },
    "desktop": {
        "token": "API token",
        "sign_in": "Sign in",
        "home": "Console",
        "queue": "Review queue",
        "reason": "Reason for the decision",
        "approve": "Approve",
        "approved": "Version approved.",
        "customers": "Customers",
        "phone": "Phone",
        "find": "Find",
        "policy": "Policy",
        "daily_limit": "Marketing messages per customer a day",
        "save": "Save the policy",
        "saved": "Policy saved.",
        "version": "Version",
        "sign_out": "Sign out",
        "reports": "Reports",
        "signed_out": "You are signed out",
        "sign_in_title": "Sign in",
    },
}


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    executable = require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=list(CHROMIUM_ARGS))
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def base_url(app: Any) -> Iterator[str]:
    with live_server(app) as url:
        yield url


@pytest.fixture(params=sorted(SIZES))
def size(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def browser_page(chromium: Any, size: str) -> Iterator[Any]:
    context = chromium.new_context(**SIZES[size])
    try:
        yield context.new_page()
    finally:
        context.close()


# The lowest contrast ratio (WCAG 2) of any visible text on the page against the background
# it is drawn on, and where; the report's charts (SVG) are left out.
LOWEST_CONTRAST = """() => {
  const channel = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
  const luminance = c => 0.2126 * channel(c[0]) + 0.7152 * channel(c[1]) + 0.0722 * channel(c[2]);
  const rgb = s => (s.match(/[\\d.]+/g) || []).map(Number);
  const background = el => {
    for (let e = el; e; e = e.parentElement) {
      const c = rgb(getComputedStyle(e).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] > 0.5)) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  let worst = 21, where = "";
  for (const el of document.querySelectorAll("body *")) {
    if (el.closest("svg") || !el.getClientRects().length) continue;
    if (![...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim())) continue;
    const a = luminance(rgb(getComputedStyle(el).color)), b = luminance(background(el));
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    if (ratio < worst) { worst = ratio; where = el.tagName + " " + el.textContent.trim().slice(0, 40); }
  }
  return [worst, where];
}"""


def fits_the_screen(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def sign_in(page: Any, base_url: str, words: dict[str, str], token: str) -> None:
    page.goto(base_url + "/console")
    page.get_by_label(words["token"]).fill(token)
    page.get_by_role("button", name=words["sign_in"], exact=True).click()
    page.get_by_role("heading", name=words["home"], exact=True).wait_for()


def test_an_officer_signs_in_with_a_pasted_token(
    base_url: str, browser_page: Any, size: str, token: Callable[..., str]
) -> None:
    words = WORDS[size]
    browser_page.goto(base_url + "/console/policy")
    browser_page.get_by_role("heading", name=words["sign_in_title"], exact=True).wait_for()
    browser_page.screenshot(path=screenshot_path(f"console_sign_in_{size}.png"), full_page=True)

    sign_in(browser_page, base_url, words, token(sub="bob"))

    assert browser_page.get_by_text("bob").first.is_visible()
    assert fits_the_screen(browser_page)
    browser_page.screenshot(path=screenshot_path(f"console_home_{size}.png"), full_page=True)


def test_a_second_person_approves_a_pending_version(
    api: Any, base_url: str, browser_page: Any, size: str, token: Callable[..., str]
) -> None:
    words = WORDS[size]
    submitted = api.post("/v1/templates", json=MARKETING_TEMPLATE)
    assert submitted.get_json()["status"] == "PENDING", submitted.get_json()
    sign_in(browser_page, base_url, words, token(sub="bob"))

    browser_page.get_by_role("link", name=words["queue"]).first.click()
    browser_page.get_by_role("heading", name="spring_sale").wait_for()
    assert fits_the_screen(browser_page)
    browser_page.screenshot(path=screenshot_path(f"console_queue_{size}.png"), full_page=True)
    browser_page.get_by_label(words["reason"]).fill("fits the policy")
    browser_page.get_by_role("button", name=words["approve"], exact=True).click()

    browser_page.get_by_text(words["approved"]).wait_for()
    state = api.get("/v1/templates/spring_sale/ru").get_json()
    assert state["status"] == "APPROVED"
    assert state["versions"][0]["review"]["reviewed_by"] == "bob"
    reviewed = [
        e
        for e in api.get("/v1/templates/spring_sale/ru/history").get_json()["events"]
        if e["type"] == "Template.VersionReviewed"
    ]
    assert [e["actor"] for e in reviewed] == ["bob"]
    assert reviewed[0]["request_id"]


def test_the_queue_shows_side_by_side_what_changed_since_the_approved_version(
    api: Any,
    base_url: str,
    browser_page: Any,
    size: str,
    token: Callable[..., str],
    approved_template: Any,
) -> None:
    words = WORDS[size]
    second = {**MARKETING_TEMPLATE}
    second["components"] = [
        {**MARKETING_TEMPLATE["components"][0], "text": "{{1}}, ваш заказ ждёт: скидка 15%."},
        MARKETING_TEMPLATE["components"][1],
    ]
    assert api.post("/v1/templates", json=second).get_json()["version"] == 2
    sign_in(browser_page, base_url, words, token(sub="bob"))

    browser_page.goto(base_url + "/console/queue")

    changed = browser_page.locator("table.diff tr.d-changed")
    assert changed.count() == 1
    cells = changed.first.locator("td").all_inner_texts()
    assert "кроссовками" in cells[0] and "скидка 15%" in cells[1]
    assert fits_the_screen(browser_page)
    browser_page.screenshot(path=screenshot_path(f"console_queue_diff_{size}.png"), full_page=True)


def test_an_officer_reads_send_statistics_and_channel_limits(
    api: Any,
    base_url: str,
    browser_page: Any,
    size: str,
    token: Callable[..., str],
    approved_template: Any,
) -> None:
    words = WORDS[size]
    put_any_time_policy(api)
    sends = []
    for n in range(3):
        assert api.post("/v1/consents", json=promotions_grant(f"c{n}")).status_code == 201
        answer = api.post(
            "/v1/authorizations", json={"customer_id": f"c{n}", "template": approved_template}
        ).get_json()
        sends.append(answer["authorization_id"])
    items = [{"authorization_id": a, "status": s} for a in sends for s in ("sent", "delivered")]
    assert api.post("/v1/outcomes", json={"items": items}).get_json()["recorded"] == 6
    sign_in(browser_page, base_url, words, token(sub="bob"))

    browser_page.goto(base_url + "/console/templates/spring_sale/ru")
    delivered = browser_page.locator("table.numbers tr", has_text="delivered").first
    stats = api.get("/v1/templates/spring_sale/ru/stats").get_json()["total"]
    assert delivered.locator("td").first.inner_text() == str(stats["delivered"]) == "3"
    assert fits_the_screen(browser_page)
    browser_page.screenshot(path=screenshot_path(f"console_stats_{size}.png"), full_page=True)
    browser_page.goto(base_url + "/console/limits")
    whatsapp = api.get("/v1/limits").get_json()["channels"][0]
    row = browser_page.locator("table.cards tbody tr").first
    assert whatsapp["channel"] in row.inner_text()
    assert str(whatsapp["customers_24h"]) in row.inner_text()
    assert fits_the_screen(browser_page)
    browser_page.screenshot(path=screenshot_path(f"console_limits_{size}.png"), full_page=True)


def test_an_officer_finds_a_customer_by_phone(
    api: Any, base_url: str, browser_page: Any, size: str, token: Callable[..., str]
) -> None:
    words = WORDS[size]
    granted = api.post(
        "/v1/consents",
        json={
            "customer_id": "olga-17",
            "channel": "whatsapp",
            "purposes": ["promotions"],
            "source": {"kind": "web_form", "evidence": "signup form v3"},
            "phone": "+79161112233",
        },
    )
    assert granted.status_code == 201, granted.get_json()
    sign_in(browser_page, base_url, words, token(sub="bob"))

    browser_page.get_by_role("link", name=words["customers"]).first.click()
    by_phone = browser_page.locator("form", has=browser_page.get_by_label(words["phone"]))
    by_phone.get_by_label(words["phone"]).fill("+7 916 111-22-33")
    by_phone.get_by_role("button", name=words["find"]).click()

    browser_page.get_by_role("heading", name="olga-17").wait_for()
    assert browser_page.get_by_text("+79161112233").first.is_visible()
    assert browser_page.get_by_text("signup form v3").first.is_visible()
    assert fits_the_screen(browser_page)
    browser_page.screenshot(path=screenshot_path(f"console_customer_{size}.png"), full_page=True)


def test_an_officer_edits_the_policy_and_sees_it_in_the_history(
    api: Any, base_url: str, browser_page: Any, size: str, token: Callable[..., str]
) -> None:
    words = WORDS[size]
    sign_in(browser_page, base_url, words, token(sub="bob"))

    browser_page.get_by_role("link", name=words["policy"]).first.click()
    browser_page.get_by_label(words["daily_limit"]).fill("5")
    browser_page.get_by_role("button", name=words["save"]).click()

    browser_page.get_by_text(words["saved"]).wait_for()
    latest = browser_page.locator("ol.timeline > li").first
    assert f"{words['version']} 1" in latest.inner_text()
    assert "bob" in latest.inner_text()
    assert "marketing_daily_limit" in latest.inner_text()
    assert api.get("/v1/policy").get_json()["marketing_daily_limit"] == 5
    assert fits_the_screen(browser_page)
    browser_page.screenshot(path=screenshot_path(f"console_policy_{size}.png"), full_page=True)


def test_an_officer_reads_the_monthly_report_with_its_charts(
    base_url: str, browser_page: Any, size: str, token: Callable[..., str], approved_template: Any
) -> None:
    words = WORDS[size]
    sign_in(browser_page, base_url, words, token(sub="bob"))

    browser_page.get_by_role("link", name=words["reports"]).first.click()

    browser_page.locator("figure.chart svg").first.wait_for()
    assert browser_page.locator("figure.chart svg").count() == 4
    assert fits_the_screen(browser_page)
    browser_page.screenshot(path=screenshot_path(f"console_report_{size}.png"), full_page=True)


def test_the_console_works_by_keyboard_and_its_text_has_enough_contrast(
    api: Any, base_url: str, browser_page: Any, size: str, token: Callable[..., str]
) -> None:
    words = WORDS[size]
    assert api.post("/v1/templates", json=MARKETING_TEMPLATE).status_code == 201
    sign_in(browser_page, base_url, words, token(sub="bob"))
    browser_page.goto(base_url + "/console/queue")

    browser_page.keyboard.press("Tab")
    skip = browser_page.evaluate(
        "[document.activeElement.className, document.activeElement.getBoundingClientRect().top]"
    )
    assert skip[0] == "skip" and skip[1] >= 0  # the skip link comes first, and shows
    browser_page.keyboard.press("Enter")
    assert browser_page.evaluate("location.hash") == "#main"
    browser_page.keyboard.press("Tab")
    focused = browser_page.evaluate(
        "[document.activeElement.tagName, getComputedStyle(document.activeElement).outlineStyle]"
    )
    assert focused[1] != "none", focused  # a visible focus ring on what the keyboard reaches
    browser_page.get_by_label(words["reason"]).focus()
    browser_page.keyboard.type("ok by keyboard")
    browser_page.keyboard.press("Tab")
    browser_page.keyboard.press("Enter")  # the first button after the reason: approve
    browser_page.get_by_text(words["approved"]).wait_for()

    for path in ("/console/queue", "/console/templates/spring_sale/ru", "/console/policy"):
        browser_page.goto(base_url + path)
        worst, where = browser_page.evaluate(LOWEST_CONTRAST)
        assert worst >= 4.5, (path, worst, where)


def test_an_officer_signs_out_and_the_console_asks_to_sign_in_again(
    base_url: str, browser_page: Any, size: str, token: Callable[..., str]
) -> None:
    words = WORDS[size]
    sign_in(browser_page, base_url, words, token(sub="bob"))

    browser_page.get_by_role("button", name=words["sign_out"]).click()

    browser_page.get_by_role("heading", name=words["signed_out"]).wait_for()
    browser_page.goto(base_url + "/console/policy")
    browser_page.get_by_role("heading", name=words["sign_in_title"], exact=True).wait_for()
    browser_page.screenshot(path=screenshot_path(f"console_signed_out_{size}.png"))


def test_hostile_text_is_shown_as_text_and_keeps_the_layout(
    api: Any, base_url: str, browser_page: Any, size: str, token: Callable[..., str]
) -> None:
    words = WORDS[size]
    hostile = "<script>window.hacked = 1</script>\u202eevil\u202c \u200f" + "Ж" * 400
    template = {
        **MARKETING_TEMPLATE,
        "name": "hostile",
        "components": [
            {**MARKETING_TEMPLATE["components"][0], "text": "{{1}}, ваш заказ " + hostile},
            MARKETING_TEMPLATE["components"][1],
        ],
    }
    assert api.post("/v1/templates", json=template).status_code == 201
    too_long = {**template, "name": "hostile_long"}
    too_long["components"] = [{"type": "BODY", "text": hostile + "W" * 10_000}]
    assert api.post("/v1/templates", json=too_long).get_json()["status"] == "REJECTED"
    long_evidence = "<img src=x onerror=window.hacked=2>\u202e" + "x" * 4000
    granted = api.post(
        "/v1/consents",
        json={
            "customer_id": "<b>mallory</b>",
            "channel": "whatsapp",
            "purposes": ["promotions"],
            "source": {"kind": "paper", "evidence": long_evidence},
        },
    )
    assert granted.status_code == 201, granted.get_json()
    sign_in(browser_page, base_url, words, token(sub="bob"))

    for path, shot in (
        ("/console/queue", "queue"),
        ("/console/templates/hostile_long/ru", "template"),
        ("/console/customers/view?id=%3Cb%3Emallory%3C%2Fb%3E", "customer"),
    ):
        browser_page.goto(base_url + path)
        assert browser_page.evaluate("window.hacked") is None
        assert browser_page.locator("main b, main script, main img").count() == 0
        assert fits_the_screen(browser_page), path
        browser_page.screenshot(
            path=screenshot_path(f"console_hostile_{shot}_{size}.png"), full_page=True
        )
