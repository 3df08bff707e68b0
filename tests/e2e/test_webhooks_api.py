"""R-WEBHOOK through the HTTP API: WhatsApp platform webhooks, on SQLite and PostgreSQL."""

from __future__ import annotations

import copy
import json
import time
from pathlib import Path
from typing import Any

import pytest

from registry.domain.vocabulary import NON_TRANSACTIONAL
from tests import helpers
from tests.helpers import decide, webhook_signature

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "whatsapp"
APP_SECRET = "app-secret-for-tests"
VERIFY_TOKEN = "verify-token-for-tests"
FIXTURE_TEMPLATE = "spring_sale_offer"


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


def with_fresh_timestamps(payload: Any) -> Any:
    """The fixture as if it happened just now (after the grants made by the test)."""
    now = int(time.time())

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: (str(now) if k == "timestamp" else walk(v)) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(item) for item in node]
        return node

    return walk(copy.deepcopy(payload))


def for_template(payload: Any, name: str) -> Any:
    """The fixture with its template name replaced by one registered in the test."""
    raw = json.dumps(payload).replace(f'"{FIXTURE_TEMPLATE}"', json.dumps(name))
    return json.loads(raw)


def sign(body: bytes, secret: str = APP_SECRET) -> str:
    return webhook_signature(body, secret)


@pytest.fixture
def integration(api: Any) -> None:
    answer = api.put(
        "/v1/integrations/whatsapp",
        json={"app_secret": APP_SECRET, "verify_token": VERIFY_TOKEN},
    )
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["configured"] is True


def deliver(api: Any, tenant: str, payload: Any, *, signature: str | None = None) -> Any:
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    return api.client.post(
        f"/webhooks/whatsapp/{tenant}",
        data=body,
        headers={
            "Content-Type": "application/json",
            "X-Hub-Signature-256": signature if signature is not None else sign(body),
        },
    )


def grant(api: Any, customer_id: str, phone: str, purposes: Any = None) -> None:
    purposes = purposes or ["service", *NON_TRANSACTIONAL]
    helpers.grant(api, customer_id, purposes=purposes, source={"kind": "web_form"}, phone=phone)


def statuses(api: Any, customer_id: str) -> dict[str, str]:
    state = api.get(f"/v1/customers/{customer_id}").get_json()
    return {c["purpose"]: c["status"] for c in state["consents"] if c["channel"] == "whatsapp"}


def history(api: Any, customer_id: str) -> list[dict[str, Any]]:
    answer = api.get(f"/v1/customers/{customer_id}/history?limit=1000")
    assert answer.status_code == 200, answer.get_json()
    events: list[dict[str, Any]] = answer.get_json()["events"]
    return events


FOUR_WITHDRAWN_SERVICE_KEPT = {
    "service": "granted",
    **{purpose: "withdrawn" for purpose in NON_TRANSACTIONAL},
}


def test_handshake_answers_the_challenge_as_plain_text(
    api: Any, tenant: str, integration: None
) -> None:
    answer = api.client.get(
        f"/webhooks/whatsapp/{tenant}?hub.mode=subscribe"
        f"&hub.verify_token={VERIFY_TOKEN}&hub.challenge=1158201444"
    )
    assert answer.status_code == 200
    assert answer.mimetype == "text/plain"
    assert answer.get_data(as_text=True) == "1158201444"


def test_handshake_with_a_wrong_verify_token_is_403(
    api: Any, tenant: str, integration: None
) -> None:
    answer = api.client.get(
        f"/webhooks/whatsapp/{tenant}?hub.mode=subscribe"
        "&hub.verify_token=not-the-token&hub.challenge=1158201444"
    )
    assert answer.status_code == 403
    assert "1158201444" not in answer.get_data(as_text=True)


def test_correctly_signed_payload_is_acknowledged(api: Any, tenant: str, integration: None) -> None:
    answer = deliver(api, tenant, fixture("message_interactive_button_reply"))
    assert answer.status_code == 200, answer.get_data(as_text=True)


def test_badly_signed_payload_is_401_and_records_nothing(
    api: Any, tenant: str, integration: None
) -> None:
    grant(api, "anna", "+79161234567")
    before = history(api, "anna")
    size_before = api.get("/v1/audit/checkpoint").get_json()["tree_size"]
    payload = with_fresh_timestamps(fixture("message_text"))
    answer = deliver(api, tenant, payload, signature=sign(b"another body"))
    assert answer.status_code == 401
    assert history(api, "anna") == before
    assert statuses(api, "anna") == {p: "granted" for p in ["service", *NON_TRANSACTIONAL]}
    assert api.get("/v1/audit/checkpoint").get_json()["tree_size"] == size_before


def test_redelivered_payload_is_recorded_once(api: Any, tenant: str, integration: None) -> None:
    grant(api, "anna", "+79161234567")
    payload = with_fresh_timestamps(fixture("message_text"))
    assert deliver(api, tenant, payload).status_code == 200
    after_first = history(api, "anna")
    size = api.get("/v1/audit/checkpoint").get_json()["tree_size"]
    assert [e["type"] for e in after_first].count("Customer.ConsentWithdrawn") == 1
    again = deliver(api, tenant, payload)
    assert again.status_code == 200
    assert history(api, "anna") == after_first
    assert api.get("/v1/audit/checkpoint").get_json()["tree_size"] == size


def test_quality_red_pauses_an_approved_template(
    api: Any,
    tenant: str,
    integration: None,
    approved_template: dict[str, str],
    any_time_policy: None,
) -> None:
    grant(api, "anna", "+79161234567")
    assert decide(api, "anna", approved_template)["allowed"] is True
    payload = for_template(fixture("template_quality_red"), approved_template["name"])
    assert deliver(api, tenant, payload).status_code == 200
    decision = decide(api, "anna", approved_template)
    assert decision["allowed"] is False
    assert "template_paused" in decision["reasons"]


def test_platform_status_paused_blocks_the_template(
    api: Any,
    tenant: str,
    integration: None,
    approved_template: dict[str, str],
    any_time_policy: None,
) -> None:
    grant(api, "anna", "+79161234567")
    payload = for_template(fixture("template_status_paused"), approved_template["name"])
    assert deliver(api, tenant, payload).status_code == 200
    decision = decide(api, "anna", approved_template)
    assert decision["allowed"] is False
    assert "platform_blocked" in decision["reasons"]


def test_inbound_stop_from_a_matching_phone_withdraws_everything(
    api: Any,
    tenant: str,
    integration: None,
    approved_template: dict[str, str],
    any_time_policy: None,
) -> None:
    grant(api, "anna", "+79161234567")
    payload = with_fresh_timestamps(fixture("message_text"))
    assert deliver(api, tenant, payload).status_code == 200
    assert set(statuses(api, "anna").values()) == {"withdrawn"}
    decision = decide(api, "anna", approved_template)
    assert "consent_withdrawn" in decision["reasons"]
    withdrawals = [e for e in history(api, "anna") if e["type"] == "Customer.ConsentWithdrawn"]
    assert [e["actor"] for e in withdrawals] == ["customer:keyword"]


def test_user_preferences_stop_withdraws_the_four_non_transactional_purposes(
    api: Any, tenant: str, integration: None
) -> None:
    grant(api, "anna", "+79161234567")
    payload = with_fresh_timestamps(fixture("user_preferences_stop"))
    assert deliver(api, tenant, payload).status_code == 200
    assert statuses(api, "anna") == FOUR_WITHDRAWN_SERVICE_KEPT


def test_status_error_131050_withdraws_the_four_non_transactional_purposes(
    api: Any, tenant: str, integration: None
) -> None:
    grant(api, "anna", "+79161234567")
    payload = with_fresh_timestamps(fixture("status_failed_131050"))
    assert deliver(api, tenant, payload).status_code == 200
    assert statuses(api, "anna") == FOUR_WITHDRAWN_SERVICE_KEPT
    withdrawals = [e for e in history(api, "anna") if e["type"] == "Customer.ConsentWithdrawn"]
    assert [e["actor"] for e in withdrawals] == ["platform:whatsapp"]


def test_stop_promotions_button_withdraws_the_four_as_the_customer(
    api: Any, tenant: str, integration: None
) -> None:
    grant(api, "sheena", "+16505551234")
    payload = with_fresh_timestamps(fixture("message_button_stop_promotions"))
    assert deliver(api, tenant, payload).status_code == 200
    assert statuses(api, "sheena") == FOUR_WITHDRAWN_SERVICE_KEPT
    withdrawals = [e for e in history(api, "sheena") if e["type"] == "Customer.ConsentWithdrawn"]
    assert [e["actor"] for e in withdrawals] == ["customer:keyword"]


def test_unknown_field_is_acknowledged_and_kept_for_inspection(
    api: Any, tenant: str, integration: None
) -> None:
    payload = fixture("unknown_field")
    answer = deliver(api, tenant, payload)
    assert answer.status_code == 200
    kept = api.get("/v1/integrations/whatsapp/unprocessed")
    assert kept.status_code == 200
    items = kept.get_json()["items"]
    assert [item["field"] for item in items] == ["account_update"]
    assert "VERIFIED_ACCOUNT" in json.dumps(items[0]["payload"])


def test_customer_is_matched_by_user_id_once_seen(api: Any, tenant: str, integration: None) -> None:
    grant(api, "anna", "+79161234567")
    hello = with_fresh_timestamps(fixture("message_text"))
    hello["entry"][0]["changes"][0]["value"]["messages"][0]["text"]["body"] = "Здравствуйте"
    assert deliver(api, tenant, hello).status_code == 200
    assert statuses(api, "anna") == {p: "granted" for p in ["service", *NON_TRANSACTIONAL]}

    stop = with_fresh_timestamps(fixture("user_preferences_stop"))
    value = stop["entry"][0]["changes"][0]["value"]
    del value["contacts"][0]["wa_id"]
    del value["user_preferences"][0]["wa_id"]
    assert deliver(api, tenant, stop).status_code == 200
    assert statuses(api, "anna") == FOUR_WITHDRAWN_SERVICE_KEPT


def test_events_from_a_webhook_carry_a_request_id(
    api: Any, tenant: str, integration: None, any_time_policy: None
) -> None:
    grant(api, "anna", "+79161234567")
    payload = with_fresh_timestamps(fixture("message_text"))
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    answer = api.client.post(
        f"/webhooks/whatsapp/{tenant}",
        data=body,
        headers={
            "Content-Type": "application/json",
            "X-Hub-Signature-256": sign(body),
            "X-Request-Id": "hook-req-1",
        },
    )
    assert answer.status_code == 200
    from_hook = [e for e in history(api, "anna") if e["actor"].startswith("customer:keyword")]
    assert from_hook and {e["request_id"] for e in from_hook} == {"hook-req-1"}
