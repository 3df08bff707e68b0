"""A customer confirms a double opt-in from a real link on a phone (R-CONFIRM): the real app
on a real port, Debian's Chromium at phone size, SQLite and PostgreSQL. Screenshots go to
tests/artifacts/."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.browser import live_server, phone_page, screenshot_path

pytestmark = pytest.mark.browser

PUBLIC_URL = "http://registry.test"


@pytest.fixture
def base_url(app: Any) -> Iterator[str]:
    with live_server(app) as url:
        yield url


def pending_link(api: Any, locale: str | None) -> str:
    assert api.put("/v1/policy", json={"display_name": "Ромашка"}).status_code == 200
    granted = api.post(
        "/v1/consents",
        json={
            "customer_id": "olga",
            "channel": "whatsapp",
            "purposes": ["promotions", "reminders"],
            "source": {"kind": "web_form"},
            "confirmation": "required",
            **({"locale": locale} if locale else {}),
        },
    )
    assert granted.status_code == 201, granted.get_json()
    return str(granted.get_json()["confirmation_url"]).removeprefix(PUBLIC_URL)


def statuses(api: Any) -> set[str]:
    return {c["status"] for c in api.get("/v1/customers/olga").get_json()["consents"]}


def fits_the_screen(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def test_a_customer_confirms_from_a_real_link_on_a_phone(api: Any, base_url: str) -> None:
    link = pending_link(api, "ru-RU")
    with phone_page() as phone:
        response = phone.goto(base_url + link)
        assert response is not None and response.status == 200
        assert phone.locator("html").get_attribute("lang") == "ru"
        assert fits_the_screen(phone)
        assert phone.locator("script").count() == 0
        button = phone.get_by_role("button", name="Подтвердить подписку")
        box = button.bounding_box()
        assert box is not None and box["height"] >= 44 and box["width"] >= 300
        phone.screenshot(path=screenshot_path("confirm_real_ask.png"), full_page=True)
        assert statuses(api) == {"pending"}

        button.click()

        phone.get_by_role("heading", name="Подписка подтверждена").wait_for()
        assert fits_the_screen(phone)
        phone.screenshot(path=screenshot_path("confirm_real_done.png"), full_page=True)
    assert statuses(api) == {"granted"}
    confirmed = [
        e
        for e in api.get("/v1/customers/olga/history").get_json()["events"]
        if e["type"] == "Customer.ConsentConfirmed"
    ]
    assert [e["actor"] for e in confirmed] == ["customer:link"]
    assert "Chrome" in confirmed[0]["data"]["source"]["user_agent"]


def test_the_page_follows_an_english_browser_and_can_be_used_by_keyboard(
    api: Any, base_url: str
) -> None:
    link = pending_link(api, None)
    with phone_page(locale="en-US") as phone:
        phone.goto(base_url + link)
        assert phone.locator("html").get_attribute("lang") == "en"
        phone.keyboard.press("Tab")
        focused = phone.evaluate("document.activeElement.textContent.trim()")
        assert focused == "Confirm subscription"
        phone.screenshot(path=screenshot_path("confirm_real_ask_en.png"), full_page=True)
        phone.keyboard.press("Enter")
        phone.get_by_role("heading", name="Subscription confirmed").wait_for()
    assert statuses(api) == {"granted"}


def test_an_altered_link_shows_the_bilingual_invalid_page_on_a_phone(
    api: Any, base_url: str
) -> None:
    link = pending_link(api, "ru-RU")
    with phone_page() as phone:
        response = phone.goto(base_url + link[:-4] + "AAAA")
        assert response is not None and response.status == 400
        assert phone.get_by_role("heading", name="Ссылка недействительна").is_visible()
        assert phone.get_by_role("heading", name="This link is not valid").is_visible()
        assert fits_the_screen(phone)
        phone.screenshot(path=screenshot_path("confirm_real_invalid.png"), full_page=True)
    assert statuses(api) == {"pending"}
