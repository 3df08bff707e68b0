"""SPEC §18: JSON answers write non-ASCII text as UTF-8, not `\\u` escapes: views, errors
(ours and flask-smorest's) and idempotent replays."""

from __future__ import annotations

from typing import Any

from tests.conftest import MARKETING_TEMPLATE

ESCAPE = b"\\u0"


def raw(answer: Any) -> bytes:
    assert answer.mimetype == "application/json", answer.mimetype
    data: bytes = answer.get_data()
    return data


def test_a_russian_template_is_answered_in_readable_utf8(api: Any) -> None:
    submitted = api.post("/v1/templates", json=MARKETING_TEMPLATE)
    assert submitted.status_code == 201
    listed = api.get("/v1/templates/spring_sale/ru")
    for answer in (submitted, listed):
        assert ESCAPE not in raw(answer)
    assert "недавно вы интересовались".encode() in raw(listed)


def test_russian_evidence_reads_as_utf8_in_the_history(api: Any) -> None:
    grant = {
        "customer_id": "anna",
        "purposes": ["promotions"],
        "source": {"kind": "web_form", "evidence": "форма подписки, версия 3"},
    }
    assert api.post("/v1/consents", json=grant).status_code == 201
    history = api.get("/v1/customers/anna/history")
    assert "форма подписки".encode() in raw(history)
    assert ESCAPE not in raw(history)


def test_an_idempotent_replay_is_utf8_too(api: Any) -> None:
    grant = {"customer_id": "анна", "purposes": ["promotions"], "source": {"kind": "api"}}
    headers = {"Idempotency-Key": "k-1"}
    first = api.post("/v1/consents", json=grant, headers=headers)
    again = api.post("/v1/consents", json=grant, headers=headers)
    assert again.get_json() == first.get_json()
    assert "анна".encode() in raw(again)


def test_an_error_naming_a_russian_parameter_writes_it_as_utf8(api: Any) -> None:
    answer = api.get("/v1/templates?статус=PENDING")
    assert answer.status_code == 422
    assert "статус".encode() in raw(answer)
    assert ESCAPE not in raw(answer)


def test_a_schema_validation_error_on_a_russian_field_writes_it_as_utf8(api: Any) -> None:
    answer = api.post("/v1/consents", json={"customer_id": "anna", "канал": "sms"})
    assert answer.status_code == 422
    assert "канал".encode() in raw(answer)
    assert ESCAPE not in raw(answer)
