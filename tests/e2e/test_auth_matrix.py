"""R-AUTH / R-ERRORS as a matrix: every /v1 operation of /openapi.json against every
way a token can be wrong, in the order the contract fixes (401, then 403, then the
request's own 400/413/415/422, then 404), and tenant isolation that does not leak
existence (another tenant's customer or template answers exactly like a never-seen one)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
from collections.abc import Callable
from typing import Any

import jwt
import pytest

from registry.devtoken import ALL_SCOPES
from tests.conftest import JWT_SECRET, MARKETING_TEMPLATE

METHODS = ("get", "post", "put", "patch", "delete")
DUMMY = {
    "customer_id": "matrix-nobody",
    "name": "matrix_nothing",
    "language": "en",
    "month": "2026-11",
    "receipt_id": "rcpt_matrix_nothing",
    "authorization_id": "auth_matrix_nobody",
}
SNAKE = re.compile(r"^[a-z][a-z0-9_]*$")


def operations(app: Any) -> list[tuple[str, str]]:
    spec = app.test_client().get("/openapi.json").get_json()
    found = [
        (method.upper(), path)
        for path, item in spec["paths"].items()
        if path.startswith("/v1/")
        for method in METHODS
        if method in item
    ]
    assert len(found) >= 30, found
    return found


def concrete(path: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: DUMMY[m.group(1)], path)


TEMPLATE_READERS = frozenset({"templates:write", "templates:review"})


def accepted_scopes(app: Any, method: str, path: str) -> frozenset[str]:
    """The scopes that open an operation: the one its view is marked with, or (template
    and experiment reads, R-AUTH) either of templates:write and templates:review."""
    if method == "GET" and path.startswith(("/v1/templates", "/v1/experiments")):
        return TEMPLATE_READERS
    adapter = app.url_map.bind("registry.test")
    endpoint, _ = adapter.match(path, method=method)
    view = app.view_functions[endpoint]
    scope = getattr(getattr(view.view_class, method.lower()), "_required_scope", None)
    assert scope in ALL_SCOPES.split(), (method, path, scope)
    return frozenset({str(scope)})


def assert_error_shape(answer: Any, status: int, where: str) -> dict[str, Any]:
    assert answer.status_code == status, (where, answer.status_code, answer.get_data()[:300])
    assert answer.mimetype == "application/json", (where, answer.mimetype)
    body = answer.get_json()
    assert set(body) == {"error"}, (where, body)
    error = body["error"]
    assert set(error) == {"code", "message", "details"}, (where, error)
    assert SNAKE.match(error["code"]), (where, error)
    assert isinstance(error["message"], str) and error["message"], (where, error)
    assert isinstance(error["details"], dict), (where, error)
    assert b"<html" not in answer.get_data().lower(), where
    return dict(error)


def send(client: Any, method: str, path: str, authorization: str | None) -> Any:
    headers = {"Authorization": authorization} if authorization is not None else {}
    if method in ("POST", "PUT", "PATCH"):
        # A malformed body: auth failures must win over 400 (R-AUTH order).
        headers["Content-Type"] = "application/json"
        return client.open(path, method=method, data=b"{not json", headers=headers)
    return client.open(path, method=method, headers=headers)


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _hmac_signed(header: dict[str, Any], claims: dict[str, Any]) -> str:
    signing_input = f"{_b64(header)}.{_b64(claims)}"
    mac = hmac.new(JWT_SECRET.encode(), signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def bad_tokens(tenant: str) -> dict[str, str | None]:
    now = int(time.time())
    claims = {"sub": "mallory", "tenant": tenant, "scope": ALL_SCOPES, "exp": now + 600}
    unsigned = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}."
    return {
        "missing": None,
        "empty_bearer": "Bearer ",
        "basic_scheme": "Basic " + base64.b64encode(b"user:pass").decode(),
        "garbage": "Bearer not.a.jwt",
        "expired": "Bearer "
        + jwt.encode({**claims, "exp": now - 5}, JWT_SECRET, algorithm="HS256"),
        "no_exp": "Bearer "
        + jwt.encode({k: v for k, v in claims.items() if k != "exp"}, JWT_SECRET, "HS256"),
        "bad_signature": "Bearer " + jwt.encode(claims, "another-secret-" + "y" * 32, "HS256"),
        "alg_none": "Bearer " + unsigned,
        "alg_none_signed_anyway": "Bearer " + unsigned + "c2ln",
        # Algorithm confusion: the same secret under an algorithm that is not accepted.
        "hs384_same_secret": "Bearer " + jwt.encode(claims, JWT_SECRET * 2, algorithm="HS384"),
        # RS256 header with an HMAC signature (classic public-key-as-secret confusion).
        "rs256_header_hmac_sig": "Bearer " + _hmac_signed({"alg": "RS256", "typ": "JWT"}, claims),
        "eddsa_header_hmac_sig": "Bearer " + _hmac_signed({"alg": "EdDSA", "typ": "JWT"}, claims),
        "bad_tenant_claim": "Bearer "
        + jwt.encode({**claims, "tenant": "../other"}, JWT_SECRET, algorithm="HS256"),
        "no_sub": "Bearer "
        + jwt.encode({k: v for k, v in claims.items() if k != "sub"}, JWT_SECRET, "HS256"),
    }


def test_every_operation_refuses_every_bad_token_with_401(app: Any, tenant: str) -> None:
    client = app.test_client()
    tokens = bad_tokens(tenant)
    for method, template_path in operations(app):
        path = concrete(template_path)
        for label, authorization in tokens.items():
            answer = send(client, method, path, authorization)
            error = assert_error_shape(answer, 401, f"{label} {method} {path}")
            assert error["code"] in ("unauthorized", "invalid_token", "token_expired"), error
            assert "WWW-Authenticate" in answer.headers, (label, method, path)
            if label == "expired":
                assert error["code"] == "token_expired", error


def test_every_operation_refuses_a_token_without_its_scope_with_403(
    app: Any, token: Callable[..., str]
) -> None:
    client = app.test_client()
    no_scopes = f"Bearer {token('')}"
    for method, template_path in operations(app):
        path = concrete(template_path)
        scopes = accepted_scopes(app, method, path)
        every_other = " ".join(s for s in ALL_SCOPES.split() if s not in scopes)
        look_alikes = " ".join(f"{s.upper()} {s}x {s}:*" for s in scopes)
        for label, authorization in (
            ("no scopes", no_scopes),
            ("every other scope", f"Bearer {token(every_other)}"),
            ("look-alike scopes", f"Bearer {token(look_alikes)}"),
        ):
            answer = send(client, method, path, authorization)
            error = assert_error_shape(answer, 403, f"{label} {method} {path}")
            assert error["code"] == "insufficient_scope", error
            assert error["details"]["required_scope"] in scopes, error


def test_the_right_scope_alone_gets_past_authorization(app: Any, token: Callable[..., str]) -> None:
    """The scope table of R-AUTH is sufficient: a token with just the one scope is not
    refused with 401/403 (it gets the request's own 400/404/422 instead)."""
    client = app.test_client()
    for method, template_path in operations(app):
        path = concrete(template_path)
        for scope in accepted_scopes(app, method, path):
            answer = send(client, method, path, f"Bearer {token(scope)}")
            assert answer.status_code not in (401, 403, 500), (method, path, answer.get_json())
            if method in ("POST", "PUT", "PATCH") and not path.startswith("/v1/consents/import"):
                assert_error_shape(answer, 400, f"{method} {path}")


def test_unknown_v1_route_needs_a_token_before_404(app: Any, token: Callable[..., str]) -> None:
    client = app.test_client()
    assert_error_shape(client.get("/v1/no-such-thing"), 401, "unknown route, no token")
    answer = client.get("/v1/no-such-thing", headers={"Authorization": f"Bearer {token()}"})
    assert_error_shape(answer, 404, "unknown route")


def _normalised(answer: Any, *ids: str) -> str:
    text = answer.get_data(as_text=True)
    for value in ids:
        text = text.replace(value, "<id>")
    return text


def test_another_tenants_data_is_indistinguishable_from_never_seen(
    app: Any, api: Any, token: Callable[..., str], tenant: str
) -> None:
    granted = api.post(
        "/v1/consents",
        json={
            "customer_id": "shared-id",
            "channel": "whatsapp",
            "purposes": ["promotions"],
            "source": {"kind": "api", "evidence": "matrix"},
        },
    )
    assert granted.status_code == 201, granted.get_json()
    template = {**MARKETING_TEMPLATE, "name": "isolated_sale"}
    assert api.post("/v1/templates", json=template).status_code == 201
    assert api.get("/v1/customers/shared-id").status_code == 200
    assert api.get("/v1/templates/isolated_sale/ru").status_code == 200

    other = app.test_client()
    headers = {"Authorization": f"Bearer {token(tenant_id=tenant + '-other', sub='eve')}"}
    probes = [
        ("GET", "/v1/customers/{c}", None),
        ("GET", "/v1/customers/{c}/history", None),
        ("GET", "/v1/templates/{t}/ru", None),
        ("GET", "/v1/templates/{t}/ru/history", None),
        ("POST", "/v1/templates/{t}/ru/review", {"version": 1, "decision": "approve"}),
        ("POST", "/v1/templates/{t}/ru/pause", {"reason": "x"}),
        ("POST", "/v1/templates/{t}/ru/resume", {"reason": "x"}),
        ("POST", "/v1/templates/{t}/ru/disable", {"reason": "x"}),
    ]
    for method, pattern, body in probes:
        answers = []
        for customer, name in (("shared-id", "isolated_sale"), ("never-seen", "never_seen")):
            path = pattern.format(c=customer, t=name)
            answer = other.open(path, method=method, json=body, headers=headers)
            assert_error_shape(answer, 404, f"other tenant {method} {path}")
            answers.append(_normalised(answer, customer, name))
        assert answers[0] == answers[1], (method, pattern, answers)

    # The other tenant's listings are empty; tenant A still sees its data unchanged.
    listing = other.get("/v1/templates", headers=headers)
    assert listing.status_code == 200
    assert "isolated_sale" not in listing.get_data(as_text=True)
    assert api.get("/v1/templates/isolated_sale/ru").get_json()["status"] == "PENDING"


@pytest.mark.parametrize("path", ["/healthz", "/openapi.json"])
def test_operational_routes_need_no_token(app: Any, path: str) -> None:
    assert app.test_client().get(path).status_code == 200
