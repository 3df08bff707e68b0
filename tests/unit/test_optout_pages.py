"""The customer's opt-out pages, served by the blueprint over an in-memory fake service."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from registry.domain.vocabulary import NON_TRANSACTIONAL
from registry.web.optout import create_optout_blueprint
from registry.web.optout_token import LinkClaims, issue_token

LINK_KEY = b"k" * 32
NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


@dataclass(frozen=True)
class Withdrawal:
    tenant: str
    customer_id: str
    channel: str
    purposes: tuple[str, ...] | None


@dataclass
class FakeOptOutService:
    """Records what the pages ask for; shared by the browser test."""

    link_key: bytes = LINK_KEY
    names: dict[str, str] = field(default_factory=lambda: {"acme": "Acme Flowers"})
    withdrawals: list[Withdrawal] = field(default_factory=list)

    def display_name(self, tenant: str) -> str:
        return self.names.get(tenant, tenant)

    def withdraw_by_link(
        self, tenant: str, customer_id: str, channel: str, purposes: Sequence[str] | None
    ) -> int:
        chosen = None if purposes is None else tuple(purposes)
        self.withdrawals.append(Withdrawal(tenant, customer_id, channel, chosen))
        return len(self.withdrawals)


def make_app(service: FakeOptOutService, now: datetime = NOW) -> Flask:
    app = Flask(__name__)
    app.register_blueprint(create_optout_blueprint(lambda: service, clock=lambda: now))
    return app


def link(
    lang: str = "ru",
    purposes: Sequence[str] = NON_TRANSACTIONAL,
    channel: str = "whatsapp",
    tenant: str = "acme",
    expires_at: datetime = NOW + timedelta(days=30),
) -> str:
    claims = LinkClaims(
        tenant=tenant,
        customer_id="c-42",
        channel=channel,
        purposes=tuple(purposes),
        lang=lang,
        expires_at=expires_at,
    )
    return "/u/" + issue_token(LINK_KEY, claims)


@pytest.fixture
def service() -> FakeOptOutService:
    return FakeOptOutService()


@pytest.fixture
def client(service: FakeOptOutService) -> FlaskClient:
    return make_app(service).test_client()


def test_the_russian_page_names_business_purposes_channel_and_changes_nothing(
    client: FlaskClient, service: FakeOptOutService
) -> None:
    response = client.get(link("ru"))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<html lang="ru">' in page
    assert "Acme Flowers" in page
    for words in ("рекомендации", "уведомления", "акции и предложения", "напоминания"):
        assert words in page
    assert "WhatsApp" in page
    assert ">Отписаться</button>" in page
    assert 'name="scope" value="channel"' in page
    assert service.withdrawals == []


def test_the_english_page_offers_unsubscribe_and_changes_nothing(
    client: FlaskClient, service: FakeOptOutService
) -> None:
    page = client.get(link("en", channel="sms")).get_data(as_text=True)
    assert '<html lang="en">' in page
    assert ">Unsubscribe</button>" in page
    assert "promotions" in page and "SMS" in page
    assert service.withdrawals == []


def test_the_form_posts_back_to_the_same_link(client: FlaskClient) -> None:
    url = link()
    page = client.get(url).get_data(as_text=True)
    assert f'<form method="post" action="{url}">' in page


@pytest.mark.parametrize(("header", "expected"), [("en-GB,en;q=0.9", "en"), ("ru-RU", "ru")])
def test_a_link_without_a_language_follows_the_browser(
    client: FlaskClient, header: str, expected: str
) -> None:
    page = client.get(link(lang=""), headers={"Accept-Language": header}).get_data(as_text=True)
    assert f'<html lang="{expected}">' in page


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"", None),
        (b"scope=purposes", "application/x-www-form-urlencoded"),
        (b"List-Unsubscribe=One-Click", "application/x-www-form-urlencoded"),
        (b"{not even json", "application/json"),
    ],
)
def test_posting_withdraws_the_purposes_of_the_link(
    client: FlaskClient, service: FakeOptOutService, body: bytes, content_type: str | None
) -> None:
    response = client.post(
        link(purposes=("promotions", "reminders")), data=body, content_type=content_type
    )
    assert response.status_code == 200
    assert service.withdrawals == [
        Withdrawal("acme", "c-42", "whatsapp", ("promotions", "reminders"))
    ]
    assert "напоминания" in response.get_data(as_text=True)


def test_one_click_in_a_multipart_body_withdraws_the_purposes_of_the_link(
    client: FlaskClient, service: FakeOptOutService
) -> None:
    response = client.post(
        link(purposes=("alerts",)),
        data={"List-Unsubscribe": "One-Click"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    assert service.withdrawals == [Withdrawal("acme", "c-42", "whatsapp", ("alerts",))]


def test_an_oversized_body_still_withdraws_the_purposes_of_the_link(
    client: FlaskClient, service: FakeOptOutService
) -> None:
    body = b"scope=channel&padding=" + b"x" * 200_000
    response = client.post(link(), data=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    assert service.withdrawals == [Withdrawal("acme", "c-42", "whatsapp", NON_TRANSACTIONAL)]


def test_the_channel_choice_withdraws_every_purpose_on_the_channel(
    client: FlaskClient, service: FakeOptOutService
) -> None:
    response = client.post(link("en", channel="viber"), data={"scope": "channel"})
    assert response.status_code == 200
    assert service.withdrawals == [Withdrawal("acme", "c-42", "viber", None)]
    assert "messages on Viber" in response.get_data(as_text=True)


def test_the_confirmation_says_how_to_come_back_without_redirecting(
    client: FlaskClient,
) -> None:
    response = client.post(link("ru"))
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Location" not in response.headers
    assert "Вы отписались" in page and "Подписаться снова" in page


def test_posting_again_is_harmless(client: FlaskClient, service: FakeOptOutService) -> None:
    url = link()
    assert client.post(url).status_code == 200
    assert client.post(url).status_code == 200
    assert len(service.withdrawals) == 2
    assert service.withdrawals[0] == service.withdrawals[1]


def bad_links() -> list[str]:
    good = link()
    return [
        good[:-2] + ("AA" if good[-2:] != "AA" else "BB"),
        "/u/"
        + issue_token(
            b"x" * 32, LinkClaims("acme", "c-42", "sms", ("alerts",), "en", NOW + timedelta(days=1))
        ),
        link(expires_at=NOW),
        "/u/garbage",
    ]


@pytest.mark.parametrize("url", bad_links(), ids=["altered", "other-key", "expired", "garbage"])
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_bad_link_gets_a_bilingual_400_and_changes_nothing(
    client: FlaskClient, service: FakeOptOutService, url: str, method: str
) -> None:
    response = client.open(
        url,
        method=method,
        data=b"List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Ссылка недействительна" in page and "This link is not valid" in page
    assert "Nothing has been changed" in page and "Ничего не изменилось" in page
    assert service.withdrawals == []


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("valid", [True, False])
def test_every_page_carries_the_protective_headers(
    client: FlaskClient, method: str, valid: bool
) -> None:
    response = client.open(link() if valid else "/u/garbage", method=method)
    headers = response.headers
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Cache-Control"] == "no-store"
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    policy = {
        part.split()[0]: part.split()[1:] for part in headers["Content-Security-Policy"].split(";")
    }
    assert policy["default-src"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    (style_source,) = policy["style-src"]
    nonce = style_source.removeprefix("'nonce-").removesuffix("'")
    assert f'<style nonce="{nonce}">' in response.get_data(as_text=True)


def test_the_style_nonce_is_fresh_for_every_response(client: FlaskClient) -> None:
    url = link()
    first = client.get(url).headers["Content-Security-Policy"]
    assert first != client.get(url).headers["Content-Security-Policy"]


def test_pages_load_nothing_from_elsewhere_and_run_no_script(client: FlaskClient) -> None:
    for response in (client.get(link()), client.post(link()), client.get("/u/garbage")):
        page = response.get_data(as_text=True).lower()
        assert "<script" not in page and " on" + "click" not in page
        assert "http://" not in page and "https://" not in page and "src=" not in page
        assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page


def test_the_business_name_is_escaped(service: FakeOptOutService) -> None:
    service.names["acme"] = '<script>alert("x")</script><b>Acme</b> & Co'
    client = make_app(service).test_client()
    for response in (client.get(link()), client.post(link())):
        page = response.get_data(as_text=True)
        assert "<script>" not in page and "<b>Acme" not in page
        assert (
            "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;b&gt;Acme&lt;/b&gt; &amp; Co"
            in page
        )
