"""What Schemathesis found against a real server (tests/contract/test_schemathesis_server.py),
each kept as a plain test on both databases: bad input is a 4xx naming the field, never a
500, and every status an operation answers is documented."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import put_any_time_policy
from tests.e2e.test_authorization_write_path import approve, grant

NUL = "ab\x00cd"


def _field_refused(answer: Any, *path: str) -> None:
    assert answer.status_code == 422, answer.get_json()
    details = answer.get_json()["error"]["details"]
    for name in path:
        assert name in details, details
        details = details[name]


def test_a_feed_position_past_any_integer_the_database_holds_is_a_422(api: Any) -> None:
    answer = api.get(f"/v1/changes?after_position={2**100}")
    _field_refused(answer, "after_position")


@pytest.mark.parametrize("field", ["message_ref", "authorization_id"])
def test_an_outcome_naming_its_send_with_a_nul_is_a_422(api: Any, field: str) -> None:
    answer = api.post("/v1/outcomes", json={"items": [{field: NUL, "status": "delivered"}]})
    _field_refused(answer, "items", "0", field)


def test_a_message_ref_with_a_nul_is_a_422(api: Any) -> None:
    answer = api.post("/v1/authorizations/a1/message-ref", json={"message_ref": NUL})
    _field_refused(answer, "message_ref")


def test_an_authorization_whose_message_ref_has_a_nul_is_a_422(api: Any, reviewer: Any) -> None:
    put_any_time_policy(api)
    approve(api, reviewer)
    grant(api)
    answer = api.post(
        "/v1/authorizations",
        json={
            "customer_id": "c1",
            "template": {"name": "spring_sale", "language": "ru"},
            "message_ref": NUL,
        },
    )
    _field_refused(answer, "message_ref")


def test_a_profile_change_of_an_erased_customer_is_a_documented_409(api: Any, app: Any) -> None:
    granted = api.post(
        "/v1/consents",
        json={"customer_id": "gone", "purposes": ["promotions"], "source": {"kind": "api"}},
    )
    assert granted.status_code == 201, granted.get_json()
    assert api.post("/v1/customers/gone/erase", json={}).status_code in (200, 201)
    answer = api.patch("/v1/customers/gone", json={"timezone": "Europe/Moscow"})
    assert answer.status_code == 409, answer.get_json()
    assert answer.get_json()["error"]["code"] == "customer_erased"
    documented = app.test_client().get("/openapi.json").get_json()
    patch = documented["paths"]["/v1/customers/{customer_id}"]["patch"]
    assert "409" in patch["responses"]


def test_revoking_a_jti_with_a_nul_is_a_422(api: Any) -> None:
    answer = api.post("/v1/tokens/revoke", json={"jti": NUL})
    _field_refused(answer, "jti")


@pytest.mark.parametrize(
    ("method", "path", "parameter"),
    [
        ("GET", "/v1/consents/r%00x", "receipt_id"),
        ("GET", "/v1/customers/a%00b", "customer_id"),
        ("GET", "/v1/customers/a%00b/history", "customer_id"),
        ("POST", "/v1/customers/a%00b/inbound", "customer_id"),
        ("POST", "/v1/customers/a%00b/suppress", "customer_id"),
        ("GET", "/v1/templates/a%00b/ru", "name"),
        ("GET", "/v1/templates/sale/r%00u/history", "language"),
        ("GET", "/v1/templates/sale/ru%0A/stats", "language"),
        ("GET", "/v1/experiments/e%00x", "name"),
    ],
)
def test_a_path_parameter_with_a_control_character_is_a_422_naming_it(
    api: Any, method: str, path: str, parameter: str
) -> None:
    body = {"channel": "whatsapp", "text": "hi"} if path.endswith("inbound") else {}
    answer = api.client.open(path, method=method, json=body, headers=api._headers(None))
    _field_refused(answer, parameter)


def test_a_path_parameter_with_a_control_character_still_needs_a_token(app: Any) -> None:
    answer = app.test_client().get("/v1/customers/a%00b")
    assert answer.status_code == 401
