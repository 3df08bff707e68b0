"""A customer opens a real opt-out link on a phone and unsubscribes: the real app on a
real port, a real browser, SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from registry.domain.vocabulary import NON_TRANSACTIONAL
from tests.e2e.browser import live_server, phone_page, screenshot_path

pytestmark = pytest.mark.browser

PUBLIC_URL = "http://registry.test"


@pytest.fixture
def base_url(app: Any) -> Iterator[str]:
    with live_server(app) as url:
        yield url


@pytest.fixture
def phone() -> Iterator[Any]:
    with phone_page() as page:
        yield page


@pytest.fixture
def link(api: Any) -> str:
    granted = api.post(
        "/v1/consents",
        json={
            "customer_id": "olga",
            "channel": "whatsapp",
            "purposes": ["service", *NON_TRANSACTIONAL],
            "source": {"kind": "checkout"},
            "phone": "+79161112233",
        },
    )
    assert granted.status_code == 201, granted.get_json()
    answer = api.post("/v1/customers/olga/optout-links", json={"channel": "whatsapp", "lang": "ru"})
    assert answer.status_code == 201, answer.get_json()
    return str(answer.get_json()["url"]).removeprefix(PUBLIC_URL)


def test_a_customer_unsubscribes_from_a_real_link_on_a_phone(
    api: Any, base_url: str, link: str, phone: Any
) -> None:
    response = phone.goto(base_url + link)
    assert response is not None and response.status == 200
    assert phone.locator("html").get_attribute("lang") == "ru"
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    phone.screenshot(path=screenshot_path("optout_real_confirm.png"), full_page=True)
    state = api.get("/v1/customers/olga").get_json()
    assert {c["status"] for c in state["consents"]} == {"granted"}

    phone.get_by_role("button", name="Отписаться", exact=True).click()

    phone.get_by_role("heading", name="Вы отписались").wait_for()
    phone.screenshot(path=screenshot_path("optout_real_done.png"), full_page=True)
    state = api.get("/v1/customers/olga").get_json()
    by_purpose = {c["purpose"]: c["status"] for c in state["consents"]}
    assert by_purpose == {"service": "granted", **{p: "withdrawn" for p in NON_TRANSACTIONAL}}
    withdrawals = [
        e
        for e in api.get("/v1/customers/olga/history").get_json()["events"]
        if e["type"] == "Customer.ConsentWithdrawn"
    ]
    assert [e["actor"] for e in withdrawals] == ["customer:link"]
