"""R-AUTH and R-ERRORS at the edge."""

from __future__ import annotations

import time
from typing import Any

import jwt

from tests.conftest import JWT_SECRET


def test_missing_token_is_401_json(app: Any) -> None:
    answer = app.test_client().get("/v1/policy")
    assert answer.status_code == 401
    assert answer.get_json()["error"]["code"] == "unauthorized"


def test_expired_token_is_401(app: Any, token: Any) -> None:
    expired = token(ttl_seconds=-10)
    answer = app.test_client().get("/v1/policy", headers={"Authorization": f"Bearer {expired}"})
    assert answer.status_code == 401


def test_token_without_exp_is_401(app: Any, tenant: str) -> None:
    no_exp = jwt.encode(
        {"sub": "a", "tenant": tenant, "scope": "policy:read"}, JWT_SECRET, algorithm="HS256"
    )
    assert (
        app.test_client()
        .get("/v1/policy", headers={"Authorization": f"Bearer {no_exp}"})
        .status_code
        == 401
    )


def test_alg_none_is_401(app: Any, tenant: str) -> None:
    unsigned = jwt.encode(
        {"sub": "a", "tenant": tenant, "scope": "policy:read", "exp": time.time() + 60},
        None,
        algorithm="none",
    )
    assert (
        app.test_client()
        .get("/v1/policy", headers={"Authorization": f"Bearer {unsigned}"})
        .status_code
        == 401
    )


def test_missing_scope_is_403_before_validation(app: Any, token: Any) -> None:
    weak = token("consents:read")
    answer = app.test_client().post(
        "/v1/consents", data="not json", headers={"Authorization": f"Bearer {weak}"}
    )
    assert answer.status_code == 403


def test_other_tenants_customer_is_404(app: Any, api: Any, token: Any) -> None:
    api.post(
        "/v1/consents",
        json={"customer_id": "mine", "purposes": ["alerts"], "source": {"kind": "api"}},
    )
    other = token(tenant_id="someone-else")
    answer = app.test_client().get(
        "/v1/customers/mine", headers={"Authorization": f"Bearer {other}"}
    )
    assert answer.status_code == 404


def test_malformed_json_is_400(api: Any) -> None:
    answer = api.post(
        "/v1/consents", data="{not json", headers={"Content-Type": "application/json"}
    )
    assert answer.status_code == 400
    assert answer.get_json()["error"]["code"] == "malformed_json"


def test_invalid_utf8_is_400(api: Any) -> None:
    answer = api.post(
        "/v1/consents",
        data=b'{"customer_id": "\xff"}',
        headers={"Content-Type": "application/json"},
    )
    assert answer.status_code == 400


def test_deeply_nested_json_is_400(api: Any) -> None:
    answer = api.post(
        "/v1/consents", data="[" * 100000, headers={"Content-Type": "application/json"}
    )
    assert answer.status_code == 400


def test_non_json_body_is_415(api: Any) -> None:
    answer = api.post("/v1/consents", data="customer_id=1", headers={"Content-Type": "text/plain"})
    assert answer.status_code == 415


def test_body_over_one_mebibyte_is_413(api: Any) -> None:
    answer = api.post(
        "/v1/consents", data="x" * (1024 * 1024 + 10), headers={"Content-Type": "application/json"}
    )
    assert answer.status_code == 413


def test_unknown_v1_route_is_json_404(api: Any) -> None:
    answer = api.get("/v1/nothing-here")
    assert answer.status_code == 404
    assert answer.get_json()["error"]["code"] == "not_found"


def test_openapi_lists_the_endpoints(app: Any) -> None:
    spec = app.test_client().get("/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    assert "/v1/decisions" in spec["paths"]
    assert "/v1/consents" in spec["paths"]


def test_health_and_readiness(app: Any) -> None:
    client = app.test_client()
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").get_json()["status"] == "ready"
    assert b"registry_http_requests_total" in client.get("/metrics").data
