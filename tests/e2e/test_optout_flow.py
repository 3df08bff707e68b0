"""R-OPTOUT through the real app, on SQLite and PostgreSQL: a link is issued by the API,
opened by the customer without logging in, and honoured at once."""

from __future__ import annotations

from typing import Any

import pytest

from registry.domain.vocabulary import NON_TRANSACTIONAL
from tests.helpers import decide

PUBLIC_URL = "http://registry.test"


@pytest.fixture
def customer(api: Any) -> str:
    answer = api.post(
        "/v1/consents",
        json={
            "customer_id": "olga",
            "channel": "whatsapp",
            "purposes": ["service", *NON_TRANSACTIONAL],
            "source": {"kind": "checkout"},
            "phone": "+79161112233",
            "timezone": "Europe/Moscow",
        },
    )
    assert answer.status_code == 201, answer.get_json()
    return "olga"


@pytest.fixture
def link(api: Any, customer: str) -> str:
    """The link's path (`/u/<token>`)."""
    answer = api.post(
        f"/v1/customers/{customer}/optout-links", json={"channel": "whatsapp", "lang": "ru"}
    )
    assert answer.status_code == 201, answer.get_json()
    body = answer.get_json()
    assert body["url"].startswith(PUBLIC_URL + "/u/")
    assert body["url"] == f"{PUBLIC_URL}/u/{body['token']}"
    return str(body["url"]).removeprefix(PUBLIC_URL)


def statuses(api: Any, customer: str) -> dict[str, str]:
    state = api.get(f"/v1/customers/{customer}").get_json()
    return {c["purpose"]: c["status"] for c in state["consents"] if c["channel"] == "whatsapp"}


def history(api: Any, customer: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = api.get(f"/v1/customers/{customer}/history").get_json()["events"]
    return events


ALL_GRANTED = {p: "granted" for p in ["service", *NON_TRANSACTIONAL]}


def test_link_url_is_on_the_public_address(api: Any, customer: str) -> None:
    answer = api.post(f"/v1/customers/{customer}/optout-links", json={"channel": "whatsapp"})
    assert answer.status_code == 201
    assert answer.get_json()["url"].startswith("http://registry.test/u/")


def test_opening_the_link_shows_the_form_and_changes_nothing(
    api: Any, customer: str, link: str
) -> None:
    before = history(api, customer)
    page = api.client.get(link)
    assert page.status_code == 200
    assert page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert "Отписаться" in html
    assert 'lang="ru"' in html
    assert history(api, customer) == before
    assert statuses(api, customer) == ALL_GRANTED


def test_empty_post_withdraws_and_the_next_decision_refuses(
    api: Any,
    customer: str,
    link: str,
    approved_template: dict[str, str],
    any_time_policy: None,
) -> None:
    assert decide(api, customer, approved_template)["allowed"] is True
    answer = api.client.post(link)
    assert answer.status_code == 200
    assert "Вы отписались" in answer.get_data(as_text=True)
    decision = decide(api, customer, approved_template)
    assert decision["allowed"] is False
    assert decision["reasons"] == ["consent_withdrawn"]
    assert statuses(api, customer) == {
        "service": "granted",
        **{p: "withdrawn" for p in NON_TRANSACTIONAL},
    }


def test_scope_channel_withdraws_every_purpose_on_the_channel(
    api: Any, customer: str, link: str
) -> None:
    answer = api.client.post(link, data={"scope": "channel"})
    assert answer.status_code == 200
    assert set(statuses(api, customer).values()) == {"withdrawn"}
    assert "service" in statuses(api, customer)


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_forged_token_is_400_and_records_nothing(
    api: Any, customer: str, link: str, method: str
) -> None:
    before = history(api, customer)
    size = api.get("/v1/audit/checkpoint").get_json()["tree_size"]
    token = link.removeprefix("/u/")
    forged = token[:-4] + ("AAAA" if token[-4:] != "AAAA" else "BBBB")
    answer = api.client.open(f"/u/{forged}", method=method)
    assert answer.status_code == 400
    html = answer.get_data(as_text=True)
    assert "Ссылка недействительна" in html and "This link is not valid" in html
    assert history(api, customer) == before
    assert statuses(api, customer) == ALL_GRANTED
    assert api.get("/v1/audit/checkpoint").get_json()["tree_size"] == size


def test_withdrawal_by_link_is_recorded_as_the_customer_by_link(
    api: Any, customer: str, link: str
) -> None:
    assert api.client.post(link).status_code == 200
    withdrawals = [e for e in history(api, customer) if e["type"] == "Customer.ConsentWithdrawn"]
    assert len(withdrawals) == 1
    assert withdrawals[0]["actor"] == "customer:link"
    assert withdrawals[0]["data"]["source"]["kind"] == "link"
    assert sorted(withdrawals[0]["data"]["purposes"]) == sorted(NON_TRANSACTIONAL)


def test_one_click_unsubscribe_withdraws_and_repeating_it_is_harmless(
    api: Any, customer: str, link: str
) -> None:
    for _ in range(2):
        answer = api.client.post(
            link,
            data="List-Unsubscribe=One-Click",
            content_type="application/x-www-form-urlencoded",
        )
        assert answer.status_code == 200
    assert statuses(api, customer) == {
        "service": "granted",
        **{p: "withdrawn" for p in NON_TRANSACTIONAL},
    }


def test_a_withdrawal_by_link_carries_the_requests_id(api: Any, customer: str, link: str) -> None:
    assert api.client.post(link, headers={"X-Request-Id": "link-req-1"}).status_code == 200
    withdrawals = [e for e in history(api, customer) if e["type"] == "Customer.ConsentWithdrawn"]
    assert [e["request_id"] for e in withdrawals] == ["link-req-1"]


def test_a_withdrawal_by_link_without_a_request_id_gets_one(
    api: Any, customer: str, link: str
) -> None:
    assert api.client.post(link).status_code == 200
    withdrawals = [e for e in history(api, customer) if e["type"] == "Customer.ConsentWithdrawn"]
    assert len(withdrawals) == 1 and len(withdrawals[0]["request_id"]) == 32
