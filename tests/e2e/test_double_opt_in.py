"""R-CONFIRM through the HTTP API on both databases: a grant that asks for confirmation is
pending, its link page confirms (GET changes nothing), inbound YES/ДА/START/СТАРТ confirm,
unconfirmed it expires, and START/UNSTOP/СТАРТ opt back in after a keyword opt-out."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.conftest import ApiClient, promotions_grant
from tests.e2e.test_webhooks_api import deliver, fixture, with_fresh_timestamps
from tests.helpers import decide

pytestmark = pytest.mark.usefixtures("any_time_policy")


def pending_grant(api: ApiClient, customer_id: str = "anna", **extra: Any) -> dict[str, Any]:
    body = {**promotions_grant(customer_id), "confirmation": "required", **extra}
    answer = api.post("/v1/consents", json=body)
    assert answer.status_code == 201, answer.get_json()
    grant: dict[str, Any] = answer.get_json()
    return grant


def path_of(url: str) -> str:
    return urlsplit(url).path


def statuses(api: ApiClient, customer_id: str = "anna", channel: str = "whatsapp") -> Any:
    consents = api.get(f"/v1/customers/{customer_id}").get_json()["consents"]
    return {c["purpose"]: c["status"] for c in consents if c["channel"] == channel}


def history(api: ApiClient, customer_id: str = "anna") -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = api.get(
        f"/v1/customers/{customer_id}/history?limit=1000"
    ).get_json()["events"]
    return events


def inbound(api: ApiClient, text: str, customer_id: str = "anna", channel: str = "whatsapp") -> Any:
    answer = api.post(
        f"/v1/customers/{customer_id}/inbound", json={"channel": channel, "text": text}
    )
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


def test_a_grant_asking_for_confirmation_is_pending_and_decisions_say_consent_pending(
    api: ApiClient, approved_template: dict[str, str]
) -> None:
    grant = pending_grant(api)
    assert grant["status"] == "pending"
    assert grant["confirmation_url"].startswith("http://registry.test/c/")
    assert statuses(api) == {"promotions": "pending"}
    decision = decide(api, "anna", approved_template)
    assert decision["allowed"] is False
    assert decision["reasons"] == ["consent_pending"]


def test_opening_the_confirmation_link_changes_nothing(api: ApiClient) -> None:
    grant = pending_grant(api)
    before = history(api)
    page = api.client.get(path_of(grant["confirmation_url"]))
    assert page.status_code == 200
    assert "Подтвердить подписку" in page.get_data(as_text=True)
    assert history(api) == before
    assert statuses(api) == {"promotions": "pending"}


def test_posting_the_confirmation_page_confirms_with_the_link_as_evidence(
    api: ApiClient, approved_template: dict[str, str]
) -> None:
    grant = pending_grant(api)
    page = api.client.post(
        path_of(grant["confirmation_url"]), headers={"User-Agent": "PhoneBrowser/1.0"}
    )
    assert page.status_code == 200
    assert "Подписка подтверждена" in page.get_data(as_text=True)
    assert decide(api, "anna", approved_template)["allowed"] is True
    confirmed = [e for e in history(api) if e["type"] == "Customer.ConsentConfirmed"]
    assert len(confirmed) == 1
    assert confirmed[0]["actor"] == "customer:link"
    assert confirmed[0]["data"]["receipt_id"] == grant["receipt_id"]
    assert confirmed[0]["data"]["source"]["kind"] == "link"
    assert confirmed[0]["data"]["source"]["user_agent"] == "PhoneBrowser/1.0"


def test_confirming_twice_is_harmless(api: ApiClient) -> None:
    grant = pending_grant(api)
    assert api.client.post(path_of(grant["confirmation_url"])).status_code == 200
    after_first = history(api)
    again = api.client.post(path_of(grant["confirmation_url"]))
    assert again.status_code == 200
    assert "Подписка подтверждена" in again.get_data(as_text=True)
    assert history(api) == after_first


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_forged_or_altered_link_is_a_400_page_in_both_languages_that_changes_nothing(
    api: ApiClient, method: str
) -> None:
    grant = pending_grant(api)
    path = path_of(grant["confirmation_url"])
    before = history(api)
    altered = path[:-3] + ("AAA" if not path.endswith("AAA") else "BBB")
    for bad in (altered, "/c/not-a-token", path + "x"):
        page = getattr(api.client, method)(bad)
        assert page.status_code == 400, bad
        text = page.get_data(as_text=True)
        assert "Ссылка недействительна" in text and "This link is not valid" in text
    assert history(api) == before
    assert statuses(api) == {"promotions": "pending"}


def test_an_opt_out_link_token_does_not_confirm(api: ApiClient) -> None:
    pending_grant(api)
    link = api.post("/v1/customers/anna/optout-links", json={"channel": "whatsapp"}).get_json()
    page = api.client.post(f"/c/{link['token']}")
    assert page.status_code == 400
    assert statuses(api) == {"promotions": "pending"}


def past_grant(api: ApiClient, days_ago: float, confirmation_days: float) -> dict[str, Any]:
    policy = api.get("/v1/policy").get_json()
    kept = {k: v for k, v in policy.items() if k not in ("version", "position")}
    answer = api.put("/v1/policy", json={**kept, "confirmation_days": confirmation_days})
    assert answer.status_code == 200, answer.get_json()
    granted_at = (datetime.now(UTC) - timedelta(days=days_ago)).isoformat()
    return pending_grant(api, granted_at=granted_at)


def test_an_unconfirmed_grant_expires_after_confirmation_days(
    api: ApiClient, approved_template: dict[str, str]
) -> None:
    grant = past_grant(api, days_ago=1, confirmation_days=0.5)
    assert statuses(api) == {"promotions": "expired"}
    assert decide(api, "anna", approved_template)["reasons"] == ["consent_expired"]
    page = api.client.post(path_of(grant["confirmation_url"]))
    assert page.status_code == 400
    inbound(api, "YES")
    assert statuses(api) == {"promotions": "expired"}
    assert not [e for e in history(api) if e["type"] == "Customer.ConsentConfirmed"]


def test_a_grant_still_within_confirmation_days_is_pending(api: ApiClient) -> None:
    past_grant(api, days_ago=1, confirmation_days=1.5)
    assert statuses(api) == {"promotions": "pending"}


@pytest.mark.parametrize("word", ["YES", "да", "Start!", "СТАРТ"])
def test_an_inbound_confirm_word_confirms_what_is_pending_on_that_channel(
    api: ApiClient, approved_template: dict[str, str], word: str
) -> None:
    pending_grant(api)
    inbound(api, word)
    assert statuses(api) == {"promotions": "granted"}
    assert decide(api, "anna", approved_template)["allowed"] is True
    confirmed = [e for e in history(api) if e["type"] == "Customer.ConsentConfirmed"]
    assert [(e["actor"], e["data"]["source"]) for e in confirmed] == [
        ("customer:keyword", {"kind": "keyword", "evidence": word})
    ]


def test_yes_on_another_channel_confirms_nothing(api: ApiClient) -> None:
    pending_grant(api)
    inbound(api, "YES", channel="sms")
    assert statuses(api) == {"promotions": "pending"}


def test_a_message_that_is_not_a_confirm_word_confirms_nothing(api: ApiClient) -> None:
    pending_grant(api)
    inbound(api, "yes please, but only on weekends")
    assert statuses(api) == {"promotions": "pending"}


def grant_purposes(api: ApiClient, purposes: list[str], channel: str = "whatsapp") -> None:
    answer = api.post(
        "/v1/consents",
        json={
            "customer_id": "anna",
            "channel": channel,
            "purposes": purposes,
            "source": {"kind": "web_form"},
        },
    )
    assert answer.status_code == 201, answer.get_json()


@pytest.mark.parametrize("word", ["START", "unstop", "Старт"])
def test_an_opt_in_word_regrants_exactly_what_the_last_keyword_opt_out_withdrew(
    api: ApiClient, word: str
) -> None:
    grant_purposes(api, ["service", "promotions", "alerts"])
    inbound(api, "STOP")
    assert set(statuses(api).values()) == {"withdrawn"}
    inbound(api, word)
    assert statuses(api) == {
        "service": "granted",
        "authentication": "withdrawn",
        "recommendations": "withdrawn",
        "alerts": "granted",
        "promotions": "granted",
        "reminders": "withdrawn",
    }
    regrants = [e for e in history(api) if e["type"] == "Customer.ConsentGranted"][1:]
    assert [(e["actor"], e["data"]["purposes"], e["data"]["source"]) for e in regrants] == [
        (
            "customer:keyword",
            ["service", "alerts", "promotions"],
            {"kind": "keyword", "evidence": word},
        )
    ]


def test_an_opt_in_word_does_not_undo_an_opt_out_made_otherwise(api: ApiClient) -> None:
    grant_purposes(api, ["promotions"])
    answer = api.post(
        "/v1/opt-outs",
        json={
            "customer_id": "anna",
            "channel": "whatsapp",
            "purposes": "all",
            "source": {"kind": "api"},
        },
    )
    assert answer.status_code == 201
    inbound(api, "START")
    assert statuses(api)["promotions"] == "withdrawn"


def test_an_opt_in_word_on_another_channel_regrants_nothing(api: ApiClient) -> None:
    grant_purposes(api, ["promotions"])
    inbound(api, "STOP")
    inbound(api, "START", channel="sms")
    assert statuses(api)["promotions"] == "withdrawn"


def test_start_while_a_grant_is_pending_confirms_it_and_regrants_nothing_else(
    api: ApiClient,
) -> None:
    grant_purposes(api, ["alerts"])
    inbound(api, "STOP")
    pending_grant(api)
    inbound(api, "START")
    current = statuses(api)
    assert (current["promotions"], current["alerts"]) == ("granted", "withdrawn")


def test_a_keyword_from_a_customer_never_seen_is_recorded_and_grants_nothing(
    api: ApiClient,
) -> None:
    inbound(api, "START", customer_id="stranger")
    assert statuses(api, "stranger") == {}
    assert [e["type"] for e in history(api, "stranger")] == [
        "Customer.Registered",
        "Customer.InboundReceived",
    ]


def whatsapp_text(text: str) -> Any:
    payload = with_fresh_timestamps(fixture("message_text"))
    raw = json.dumps(payload, ensure_ascii=False).replace('"СТОП"', json.dumps(text))
    message = json.loads(raw)
    message["entry"][0]["changes"][0]["value"]["messages"][0]["id"] += text
    return message


def test_a_whatsapp_start_message_regrants_after_a_whatsapp_stop(
    api: ApiClient, tenant: str
) -> None:
    assert (
        api.put(
            "/v1/integrations/whatsapp",
            json={"app_secret": "app-secret-for-tests", "verify_token": "verify-token-for-tests"},
        ).status_code
        == 200
    )
    answer = api.post(
        "/v1/consents",
        json={
            "customer_id": "anna",
            "channel": "whatsapp",
            "purposes": ["promotions"],
            "source": {"kind": "web_form"},
            "phone": "+79161234567",
        },
    )
    assert answer.status_code == 201
    assert deliver(api, tenant, whatsapp_text("СТОП")).status_code == 200
    assert statuses(api)["promotions"] == "withdrawn"
    assert deliver(api, tenant, whatsapp_text("СТАРТ")).status_code == 200
    assert statuses(api)["promotions"] == "granted"


def test_a_whatsapp_yes_confirms_a_pending_grant(api: ApiClient, tenant: str) -> None:
    assert (
        api.put(
            "/v1/integrations/whatsapp",
            json={"app_secret": "app-secret-for-tests", "verify_token": "verify-token-for-tests"},
        ).status_code
        == 200
    )
    pending_grant(api, phone="+79161234567")
    assert deliver(api, tenant, whatsapp_text("ДА")).status_code == 200
    assert statuses(api) == {"promotions": "granted"}


@pytest.mark.parametrize("value", [0, -1, "abc", True, None, 3651, "NaN"])
def test_a_bad_confirmation_days_is_422(api: ApiClient, value: Any) -> None:
    answer = api.put("/v1/policy", json={"confirmation_days": value})
    assert answer.status_code == 422, answer.get_json()
    assert "confirmation_days" in answer.get_json()["error"]["details"]


def test_confirmation_days_defaults_to_30_and_keeps_a_fraction(api: ApiClient) -> None:
    assert api.get("/v1/policy").get_json()["confirmation_days"] == 30
    answer = api.put("/v1/policy", json={"confirmation_days": 0.25})
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["confirmation_days"] == 0.25
    assert api.get("/v1/policy").get_json()["confirmation_days"] == 0.25


def test_an_unknown_confirmation_value_is_422(api: ApiClient) -> None:
    answer = api.post("/v1/consents", json={**promotions_grant("anna"), "confirmation": "maybe"})
    assert answer.status_code == 422
    assert "confirmation" in answer.get_json()["error"]["details"]


def test_an_import_row_asking_for_confirmation_is_refused(api: ApiClient) -> None:
    row = json.dumps({**promotions_grant("imp"), "confirmation": "required"})
    answer = api.post(
        "/v1/consents/import", data=row + "\n", headers={"Content-Type": "application/x-ndjson"}
    )
    assert answer.status_code == 422, answer.get_json()
    assert "confirmation" in json.dumps(answer.get_json())
