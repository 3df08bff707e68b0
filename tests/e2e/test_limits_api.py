"""SPEC §11-12 over HTTP on both databases: WhatsApp statuses as outcomes (pairing, 131049,
redelivery), the platform's messaging limit from its webhook, the messaging limit refusing
a new customer, the channel halved for complaints and restored after 7 days below (an
injected clock), and figures recounted after a rebuild."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from registry.bootstrap import outcome_service
from registry.projections.rebuild import rebuild
from tests.conftest import ApiClient, promotions_grant
from tests.e2e.outcome_helpers import TEMPLATE, authorize, feedback_policy, record
from tests.e2e.test_webhooks_api import deliver, fixture, integration  # noqa: F401 (fixture)

STATUSES = "statuses_delivered_and_other_error"
DELIVERED_ID = "wamid.HBgLNzkwMzExMTIyMzMVAgARGBJCNkY5NTBENEU3ODYxQTM3RUQA"
CAPPED_ID = "wamid.HBgLNzkwMzExMTIyMzMVAgARGBI5QjZCMjA0QUFCRDc2MUY4NTgA"


@pytest.fixture
def ready(api: ApiClient, approved_template: dict[str, Any], integration: None) -> ApiClient:  # noqa: F811
    feedback_policy(api)
    return api


def limits_of(api: ApiClient, channel: str = "whatsapp") -> dict[str, Any]:
    channels = api.get("/v1/limits").get_json()["channels"]
    found: dict[str, Any] = next(c for c in channels if c["channel"] == channel)
    return found


def statuses_now(at: datetime) -> Any:
    payload = fixture(STATUSES)
    for status in payload["entry"][0]["changes"][0]["value"]["statuses"]:
        status["timestamp"] = str(int(at.timestamp()))
    return payload


def test_whatsapp_statuses_are_outcomes_of_their_sends_recorded_once(
    ready: ApiClient, tenant: str
) -> None:
    delivered = authorize(ready, "anna", message_ref=DELIVERED_ID)["authorization_id"]
    capped = authorize(ready, "boris", message_ref=CAPPED_ID)["authorization_id"]
    at = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)
    payload = statuses_now(at)

    assert deliver(ready, tenant, payload).status_code == 200
    assert deliver(ready, tenant, payload).status_code == 200  # the platform redelivers

    anna = ready.get(f"/v1/authorizations/{delivered}").get_json()["outcomes"]
    boris = ready.get(f"/v1/authorizations/{capped}").get_json()["outcomes"]
    assert [(o["status"], o["actor"], o["source"]) for o in anna] == [
        ("delivered", "platform:whatsapp", "whatsapp")
    ]
    assert [(o["status"], o["error_code"]) for o in boris] == [("failed", "131049")]
    refused = ready.post("/v1/decisions", json={"customer_id": "boris", "template": TEMPLATE})
    assert refused.get_json()["reasons"] == ["platform_user_cap"]
    assert refused.get_json()["next_allowed_at"] == (at + timedelta(hours=24)).isoformat().replace(
        "+00:00", "Z"
    )


def test_a_status_naming_phone_and_user_id_lets_a_later_phone_less_stop_find_the_customer(
    ready: ApiClient, tenant: str
) -> None:
    authorize(ready, "anna", message_ref=DELIVERED_ID)
    deliver(ready, tenant, statuses_now(datetime.now(UTC)))

    stop = fixture("message_user_id_only")
    message = stop["entry"][0]["changes"][0]["value"]["messages"][0]
    message["from_user_id"] = "RU.2210938475561029384"
    message["text"] = {"body": "STOP"}
    message["timestamp"] = str(int(datetime.now(UTC).timestamp()))
    stop["entry"][0]["changes"][0]["value"]["contacts"] = [{"user_id": "RU.2210938475561029384"}]
    assert deliver(ready, tenant, stop).status_code == 200

    consents = ready.get("/v1/customers/anna").get_json()["consents"]
    assert [c["status"] for c in consents if c["purpose"] == "promotions"] == ["withdrawn"]


def test_a_status_of_an_unknown_message_is_kept_once(ready: ApiClient, tenant: str) -> None:
    payload = statuses_now(datetime.now(UTC))
    deliver(ready, tenant, payload)
    deliver(ready, tenant, payload)
    kept = ready.get("/v1/outcomes/unknown").get_json()["items"]
    assert sorted(k["item"]["message_ref"] for k in kept) == sorted([DELIVERED_ID, CAPPED_ID])


def test_the_platform_limit_arrives_by_webhook_and_bounds_the_effective_limit(
    ready: ApiClient, tenant: str
) -> None:
    feedback_policy(ready, marketing_daily_customers=5000)
    payload = fixture("phone_number_quality_update")
    payload["entry"][0]["changes"][0]["value"]["quality_rating"] = "YELLOW"

    assert deliver(ready, tenant, payload).status_code == 200

    whatsapp = limits_of(ready)
    assert {k: whatsapp[k] for k in ("configured", "platform", "effective", "reasons")} == {
        "configured": 5000,
        "platform": 2000,
        "effective": 2000,
        "reasons": ["platform"],
    }
    assert (whatsapp["platform_tier"], whatsapp["quality"]) == ("TIER_2K", "YELLOW")
    assert limits_of(ready, "sms")["effective"] == 5000


def test_a_limit_payload_of_a_shape_not_understood_is_kept_for_inspection(
    ready: ApiClient, tenant: str
) -> None:
    payload = fixture("phone_number_quality_update")
    value = payload["entry"][0]["changes"][0]["value"]
    del value["current_limit"]
    value["messaging_limit_tier"] = {"tier": 3}
    assert deliver(ready, tenant, payload).status_code == 200
    kept = ready.get("/v1/integrations/whatsapp/unprocessed").get_json()["items"]
    assert [k["field"] for k in kept] == ["phone_number_quality_update"]
    assert limits_of(ready)["platform"] is None


def test_a_new_customer_past_the_messaging_limit_is_refused_until_a_place_frees(
    ready: ApiClient,
) -> None:
    feedback_policy(ready, marketing_daily_customers=2)
    first = authorize(ready, "c0")
    authorize(ready, "c1")
    ready.post("/v1/consents", json=promotions_grant("c2"))

    refused = ready.post("/v1/authorizations", json={"customer_id": "c2", "template": TEMPLATE})
    again = ready.post("/v1/authorizations", json={"customer_id": "c0", "template": TEMPLATE})

    assert refused.status_code == 200
    assert refused.get_json()["reasons"] == ["messaging_limit_reached"]
    authorized_at = datetime.fromisoformat(
        ready.get(f"/v1/authorizations/{first['authorization_id']}").get_json()["authorized_at"]
    )
    frees = datetime.fromisoformat(refused.get_json()["next_allowed_at"])
    minute_start = authorized_at.replace(second=0, microsecond=0)
    assert frees == minute_start + timedelta(hours=24, minutes=1)
    assert again.status_code == 201  # already counted in the window
    assert limits_of(ready)["customers_24h"] == 2


def test_transactional_sends_are_not_held_by_the_messaging_limit(
    api: ApiClient, reviewer: ApiClient
) -> None:
    feedback_policy(api, marketing_daily_customers=0)
    utility = {
        "name": "order_ready",
        "language": "ru",
        "category": "UTILITY",
        "purpose": "service",
        "components": [
            {"type": "BODY", "text": "Ваш заказ {{1}} готов.", "example": {"body_text": [["42"]]}}
        ],
    }
    assert api.post("/v1/templates", json=utility).status_code == 201
    reviewer.post("/v1/templates/order_ready/ru/review", json={"version": 1, "decision": "approve"})
    api.post("/v1/consents", json={**promotions_grant("anna"), "purposes": ["service"]})
    answer = api.post(
        "/v1/authorizations",
        json={"customer_id": "anna", "template": {"name": "order_ready", "language": "ru"}},
    )
    assert answer.status_code == 201, answer.get_json()


class MovingClock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at


def test_the_channel_is_halved_for_complaints_and_restored_after_seven_days_below(
    ready: ApiClient, registry: Any, tenant: str
) -> None:
    feedback_policy(
        ready,
        marketing_daily_customers=100,
        min_delivered=2,
        tenant_warn_complaint_rate=0.5,
        template_pause_complaint_rate=1,
    )
    clock = MovingClock(datetime.now(UTC))
    outcomes = outcome_service(registry, clock)
    ids = [authorize(ready, f"c{i}")["authorization_id"] for i in range(4)]
    outcomes.record_outcomes(
        tenant, [{"authorization_id": a, "status": "delivered"} for a in ids[:2]]
    )
    outcomes.record_outcomes(tenant, [{"authorization_id": ids[0], "status": "complained"}])
    assert (limits_of(ready)["effective"], limits_of(ready)["halved"]) == (50, True)

    clock.at += timedelta(hours=1)
    outcomes.record_outcomes(
        tenant, [{"authorization_id": a, "status": "delivered"} for a in ids[2:]]
    )
    assert limits_of(ready)["recovering_since"] is not None  # 1 in 4: below the warning

    clock.at += timedelta(days=6, hours=23)
    outcomes.record_outcomes(tenant, [{"authorization_id": ids[1], "status": "read"}])
    assert limits_of(ready)["effective"] == 50  # not yet 7 days

    clock.at += timedelta(hours=1)
    outcomes.record_outcomes(tenant, [{"authorization_id": ids[2], "status": "read"}])
    whatsapp = limits_of(ready)
    assert (whatsapp["effective"], whatsapp["halved"], whatsapp["reasons"]) == (
        100,
        False,
        ["configured"],
    )
    events = ready.get("/v1/changes", query_string={"kinds": "limit"}).get_json()["changes"]
    assert [e["status"] for e in events] == ["halved", "recovering", "restored"]


def test_a_rebuild_recounts_the_same_stats_and_limits(ready: ApiClient, registry: Any) -> None:
    feedback_policy(ready, marketing_daily_customers=10)
    ids = [authorize(ready, f"c{i}")["authorization_id"] for i in range(3)]
    record(
        ready,
        *({"authorization_id": a, "status": "delivered"} for a in ids),
        {"authorization_id": ids[0], "status": "complained"},
        {"authorization_id": ids[1], "status": "read"},
    )
    ready.post(
        "/v1/opt-outs",
        json={
            "customer_id": "c2",
            "channel": "whatsapp",
            "purposes": "all",
            "source": {"kind": "api"},
        },
    )
    stats = ready.get("/v1/templates/spring_sale/ru/stats").get_json()
    limits = limits_of(ready)
    with registry.db.transaction(commit=True) as sql:
        sql.execute("DELETE FROM registry_sends")
        sql.execute("DELETE FROM registry_channel_window")
    assert ready.get("/v1/templates/spring_sale/ru/stats").get_json()["total"]["authorized"] == 0
    emptied = limits_of(ready)  # the kept hourly counts went with the rows
    assert (emptied["delivered"], emptied["complained"], emptied["opted_out"]) == (0, 0, 0)

    rebuild(registry)

    rebuilt = ready.get("/v1/templates/spring_sale/ru/stats").get_json()
    assert {k: rebuilt[k] for k in ("total", "versions")} == {
        k: stats[k] for k in ("total", "versions")
    }
    assert (rebuilt["total"]["complained"], rebuilt["total"]["opted_out"]) == (1, 1)
    assert (rebuilt["total"]["sent"], rebuilt["total"]["delivery_rate"]) == (3, 1.0)  # implied
    assert {k: v for k, v in limits_of(ready).items()} == limits
