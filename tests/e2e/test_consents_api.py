"""R-CONSENT through the HTTP API, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

GRANT = {
    "customer_id": "cust-1",
    "channel": "whatsapp",
    "purposes": ["promotions", "reminders"],
    "source": {"kind": "web_form", "evidence": "form #42", "ip": "203.0.113.7"},
    "phone": "+7 912 345-67-89",
    "timezone": "Asia/Yekaterinburg",
}


def test_grant_answers_receipt_and_position(api: Any) -> None:
    answer = api.post("/v1/consents", json=GRANT)
    assert answer.status_code == 201
    body = answer.get_json()
    assert body["receipt_id"].startswith("rcpt_")
    assert body["purposes"] == ["promotions", "reminders"]
    assert body["position"] > 0


def test_each_grant_gets_its_own_receipt(api: Any) -> None:
    first = api.post("/v1/consents", json=GRANT).get_json()
    second = api.post("/v1/consents", json=GRANT).get_json()
    assert first["receipt_id"] != second["receipt_id"]
    assert second["position"] > first["position"]


def test_customer_state_shows_normalised_phone_and_consents(api: Any) -> None:
    position = api.post("/v1/consents", json=GRANT).get_json()["position"]
    state = api.get("/v1/customers/cust-1").get_json()
    assert state["phone"] == "+79123456789"
    assert state["timezone"] == "Asia/Yekaterinburg"
    assert state["position"] >= position
    statuses = {(c["channel"], c["purpose"]): c["status"] for c in state["consents"]}
    assert statuses == {("whatsapp", "promotions"): "granted", ("whatsapp", "reminders"): "granted"}
    assert state["consents"][0]["source"]["evidence"] == "form #42"


def test_customer_never_seen_is_404(api: Any) -> None:
    answer = api.get("/v1/customers/nobody")
    assert answer.status_code == 404
    assert answer.get_json()["error"]["code"] == "not_found"


def test_opt_out_is_reflected_by_the_next_read(api: Any) -> None:
    api.post("/v1/consents", json=GRANT)
    answer = api.post(
        "/v1/opt-outs",
        json={
            "customer_id": "cust-1",
            "channel": "whatsapp",
            "purposes": ["promotions"],
            "source": {"kind": "api"},
        },
    )
    assert answer.status_code == 201
    state = api.get(f"/v1/customers/cust-1?min_position={answer.get_json()['position']}").get_json()
    statuses = {c["purpose"]: c["status"] for c in state["consents"]}
    assert statuses == {"promotions": "withdrawn", "reminders": "granted"}


def test_opt_out_of_what_was_never_granted_is_recorded(api: Any) -> None:
    answer = api.post("/v1/opt-outs", json={"customer_id": "fresh", "purposes": "all"})
    assert answer.status_code == 201
    state = api.get("/v1/customers/fresh").get_json()
    assert {c["status"] for c in state["consents"]} == {"withdrawn"}
    assert len(state["consents"]) == 6


def test_history_lists_events_oldest_first_with_actor(api: Any) -> None:
    api.post("/v1/consents", json=GRANT)
    api.post("/v1/opt-outs", json={"customer_id": "cust-1", "purposes": ["promotions"]})
    events = api.get("/v1/customers/cust-1/history").get_json()["events"]
    types = [e["type"] for e in events]
    assert types == [
        "Customer.Registered",
        "Customer.ProfileChanged",
        "Customer.ConsentGranted",
        "Customer.ConsentWithdrawn",
    ]
    assert {e["actor"] for e in events} == {"alice"}
    assert [e["position"] for e in events] == sorted(e["position"] for e in events)


def test_history_pages_with_limit_and_after_position(api: Any) -> None:
    api.post("/v1/consents", json=GRANT)
    first_page = api.get("/v1/customers/cust-1/history?limit=2").get_json()["events"]
    rest = api.get(
        f"/v1/customers/cust-1/history?after_position={first_page[-1]['position']}"
    ).get_json()
    assert len(first_page) == 2
    assert [e["type"] for e in rest["events"]] == ["Customer.ConsentGranted"]


def test_expires_at_before_granted_at_is_422(api: Any) -> None:
    answer = api.post(
        "/v1/consents",
        json={**GRANT, "granted_at": "2026-01-02T00:00:00Z", "expires_at": "2026-01-01T00:00:00Z"},
    )
    assert answer.status_code == 422
    assert "expires_at" in answer.get_json()["error"]["details"]


def test_unknown_field_is_refused(api: Any) -> None:
    answer = api.post("/v1/consents", json={**GRANT, "colour": "red"})
    assert answer.status_code == 422
    assert "colour" in answer.get_json()["error"]["details"]


def test_inbound_stop_keyword_withdraws_every_purpose_on_the_channel(api: Any) -> None:
    api.post("/v1/consents", json=GRANT)
    answer = api.post("/v1/customers/cust-1/inbound", json={"text": "  Стоп! "})
    assert answer.get_json()["opt_out_keyword"] is True
    state = api.get("/v1/customers/cust-1").get_json()
    assert {c["status"] for c in state["consents"]} == {"withdrawn"}
    history = api.get("/v1/customers/cust-1/history").get_json()["events"]
    withdrawal = [e for e in history if e["type"] == "Customer.ConsentWithdrawn"][-1]
    assert withdrawal["actor"] == "customer:keyword"
    assert withdrawal["data"]["source"]["kind"] == "keyword"


def test_profile_patch_sets_timezone(api: Any) -> None:
    api.post("/v1/consents", json=GRANT)
    answer = api.patch(
        "/v1/customers/cust-1", json={"timezone": "Europe/Berlin", "locale": "de_DE"}
    )
    assert answer.status_code == 200
    assert answer.get_json()["timezone"] == "Europe/Berlin"


def test_suppression_is_shown_on_the_customer(api: Any) -> None:
    api.post("/v1/consents", json=GRANT)
    api.post("/v1/customers/cust-1/suppress", json={"reason": "spam complaint"})
    assert api.get("/v1/customers/cust-1").get_json()["suppressed"] is True
    api.post("/v1/customers/cust-1/unsuppress", json={"reason": "resolved"})
    assert api.get("/v1/customers/cust-1").get_json()["suppressed"] is False


def test_import_csv_records_every_row(api: Any) -> None:
    body = (
        "customer_id,channel,purposes,source_kind,evidence,phone,timezone,locale,granted_at,expires_at\n"
        "c1,whatsapp,promotions;alerts,import,batch 7,+79120000001,Europe/Moscow,ru_RU,2025-01-01T10:00:00Z,\n"
        "c2,sms,reminders,paper,,,,,,\n"
    )
    answer = api.post("/v1/consents/import", data=body, headers={"Content-Type": "text/csv"})
    assert answer.status_code == 201, answer.get_json()
    assert answer.get_json()["imported"] == 2
    assert api.get("/v1/customers/c2").get_json()["consents"][0]["channel"] == "sms"


def test_import_with_a_bad_row_records_nothing_and_names_the_row(api: Any) -> None:
    body = (
        '{"customer_id":"ok1","purposes":["alerts"],"source":{"kind":"import"}}\n'
        '{"customer_id":"bad","purposes":["nonsense"],"source":{"kind":"import"}}\n'
    )
    answer = api.post(
        "/v1/consents/import", data=body, headers={"Content-Type": "application/x-ndjson"}
    )
    assert answer.status_code == 422
    assert answer.get_json()["error"]["details"]["rows"][0]["row"] == 2
    assert api.get("/v1/customers/ok1").status_code == 404


def test_idempotent_repeat_returns_the_first_answer(api: Any) -> None:
    headers = {"Idempotency-Key": "k-1"}
    first = api.post("/v1/consents", json=GRANT, headers=headers)
    again = api.post("/v1/consents", json=GRANT, headers=headers)
    assert again.status_code == 201
    assert again.get_json() == first.get_json()
    grants = [
        e
        for e in api.get("/v1/customers/cust-1/history").get_json()["events"]
        if e["type"] == "Customer.ConsentGranted"
    ]
    assert len(grants) == 1


def test_idempotency_key_with_another_body_is_409(api: Any) -> None:
    api.post("/v1/consents", json=GRANT, headers={"Idempotency-Key": "k-2"})
    answer = api.post(
        "/v1/consents", json={**GRANT, "purposes": ["alerts"]}, headers={"Idempotency-Key": "k-2"}
    )
    assert answer.status_code == 409
    assert answer.get_json()["error"]["code"] == "idempotency_key_reused"


def test_expiry_at_the_end_of_year_9999_means_never_expires(api: Any) -> None:
    answer = api.post("/v1/consents", json={**GRANT, "expires_at": "9999-12-31T23:59:59Z"})
    assert answer.status_code == 201
    state = api.get("/v1/customers/cust-1").get_json()
    assert {c["status"] for c in state["consents"]} == {"granted"}
