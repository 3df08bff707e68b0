"""A customer opens the opt-out link on a phone and unsubscribes (fake service, real browser)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from registry.domain.vocabulary import NON_TRANSACTIONAL
from tests.e2e.browser import live_server, phone_page, screenshot_path
from tests.unit.test_optout_pages import FakeOptOutService, Withdrawal, link, make_app

pytestmark = pytest.mark.browser

MIN_TAP_TARGET = 44


@pytest.fixture
def service() -> FakeOptOutService:
    return FakeOptOutService(
        names={"acme": "Acme Flowers", "long": "Цветочная мастерская «Незабудка» — доставка 24/7"}
    )


@pytest.fixture
def base_url(service: FakeOptOutService) -> Iterator[str]:
    with live_server(make_app(service)) as url:
        yield url


@pytest.fixture
def phone() -> Iterator[Any]:
    with phone_page() as page:
        yield page


@pytest.fixture
def narrow_phone() -> Iterator[Any]:
    with phone_page(width=360, height=740, locale="en-GB") as page:
        yield page


def watch_for_policy_violations(page: Any) -> list[str]:
    """Console errors: a blocked inline style would show up here as a CSP violation."""
    errors: list[str] = []

    def record(message: Any) -> None:
        if message.type == "error":
            errors.append(message.text)

    page.on("console", record)
    return errors


def assert_fits_the_screen(page: Any) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    for button in page.get_by_role("button").all():
        box = button.bounding_box()
        assert box is not None and box["height"] >= MIN_TAP_TARGET


def test_a_customer_unsubscribes_with_the_main_button(
    phone: Any, base_url: str, service: FakeOptOutService
) -> None:
    errors = watch_for_policy_violations(phone)
    response = phone.goto(base_url + link("ru"))
    assert response is not None and response.status == 200
    assert phone.locator("html").get_attribute("lang") == "ru"
    assert phone.get_by_text("акции и предложения").is_visible()
    assert_fits_the_screen(phone)
    phone.screenshot(path=screenshot_path("optout_confirm.png"), full_page=True)

    phone.get_by_role("button", name="Отписаться", exact=True).click()

    phone.get_by_role("heading", name="Вы отписались").wait_for()
    assert service.withdrawals == [Withdrawal("acme", "c-42", "whatsapp", NON_TRANSACTIONAL)]
    assert_fits_the_screen(phone)
    phone.screenshot(path=screenshot_path("optout_done.png"), full_page=True)
    assert errors == []


def test_a_customer_stops_everything_on_the_channel_on_a_narrow_screen(
    narrow_phone: Any, base_url: str, service: FakeOptOutService
) -> None:
    errors = watch_for_policy_violations(narrow_phone)
    narrow_phone.goto(base_url + link("en", tenant="long", channel="email"))
    assert_fits_the_screen(narrow_phone)
    narrow_phone.screenshot(path=screenshot_path("optout_confirm_en_360.png"), full_page=True)

    narrow_phone.get_by_role("button", name="Unsubscribe from all messages by e-mail").click()

    narrow_phone.get_by_role("heading", name="You are unsubscribed").wait_for()
    assert service.withdrawals == [Withdrawal("long", "c-42", "email", None)]
    narrow_phone.screenshot(path=screenshot_path("optout_done_en_360.png"), full_page=True)
    assert errors == []


def test_a_broken_link_explains_itself_in_both_languages(
    narrow_phone: Any, base_url: str, service: FakeOptOutService
) -> None:
    response = narrow_phone.goto(base_url + link("ru")[:-3] + "xyz")
    assert response is not None and response.status == 400
    assert narrow_phone.get_by_text("This link is not valid").is_visible()
    assert narrow_phone.get_by_text("Ссылка недействительна").is_visible()
    assert_fits_the_screen(narrow_phone)
    narrow_phone.screenshot(path=screenshot_path("optout_invalid.png"), full_page=True)
    assert service.withdrawals == []
