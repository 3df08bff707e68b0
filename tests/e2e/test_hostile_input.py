"""R-ERRORS against hostile bodies on the write endpoints that take the most input
(POST /v1/consents, /v1/decisions, /v1/templates, /v1/consents/import): every one is a
clear 4xx in the R-ERRORS shape, never a 500, and nothing is recorded."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import MARKETING_TEMPLATE

MiB = 1024 * 1024
CUSTOMER = "hostile-anna"
JSON_ENDPOINTS = ("/v1/consents", "/v1/decisions", "/v1/templates")


def grant(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "customer_id": CUSTOMER,
        "channel": "whatsapp",
        "purposes": ["promotions"],
        "source": {"kind": "web_form", "evidence": "signup form"},
    }
    body.update(overrides)
    return body


def decision(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "customer_id": CUSTOMER,
        "template": {"name": "spring_sale", "language": "ru"},
    }
    body.update(overrides)
    return body


def raw(api: Any, path: str, data: bytes, content_type: str = "application/json") -> Any:
    return api.client.post(
        path,
        data=data,
        headers={"Authorization": f"Bearer {api.token}", "Content-Type": content_type},
    )


def refused(answer: Any, *statuses: int) -> dict[str, Any]:
    """A clear 4xx in the R-ERRORS shape, JSON, never HTML, never a 500."""
    body = answer.get_data()
    assert answer.status_code in statuses, (answer.status_code, body[:400])
    assert answer.mimetype == "application/json", (answer.mimetype, body[:200])
    error = answer.get_json()["error"]
    assert error["code"] and error["message"] and isinstance(error["details"], dict), error
    return dict(error)


def nothing_recorded(api: Any, customer_id: str = CUSTOMER) -> None:
    # an id no customer can have (a control or format character) is refused as a path
    # parameter (422), or matches no route at all (a raw newline: 404)
    expected = (404,) if customer_id.isprintable() else (404, 422)
    assert api.get(f"/v1/customers/{customer_id}").status_code in expected
    listing = api.get("/v1/templates")
    assert listing.status_code == 200
    assert "spring_sale" not in listing.get_data(as_text=True)


# -- structure -----------------------------------------------------------------------------


@pytest.mark.parametrize("path", JSON_ENDPOINTS)
def test_absurdly_deep_json_is_400(api: Any, path: str) -> None:
    body = b'{"customer_id": ' + b"[" * 200_000 + b"]" * 200_000 + b"}"
    refused(raw(api, path, body), 400)
    nothing_recorded(api)


@pytest.mark.parametrize("path", JSON_ENDPOINTS)
@pytest.mark.parametrize("depth", [50, 900])
def test_parseable_but_deep_json_is_a_4xx(api: Any, path: str, depth: int) -> None:
    nested = '{"a": [' * depth + '"x"' + "]}" * depth
    for field in ("source", "template", "components", "customer_id"):
        body = json.dumps(grant())[:-1] + f', "{field}": {nested}}}'
        refused(raw(api, path, body.encode()), 400, 422)
    nothing_recorded(api)


@pytest.mark.parametrize("path", [*JSON_ENDPOINTS, "/v1/consents/import"])
def test_body_over_the_limit_is_413(api: Any, path: str) -> None:
    if path == "/v1/consents/import":
        size, content_type = 64 * MiB + 1, "text/csv"
        data = b"customer_id,channel,purposes\n" + b"x" * (size - 29)
    else:
        size, content_type = 2 * MiB, "application/json"
        data = json.dumps(grant(source={"kind": "api", "evidence": "x" * size})).encode()
    error = refused(raw(api, path, data, content_type), 413)
    assert error["code"] == "payload_too_large"
    nothing_recorded(api)


@pytest.mark.parametrize("path", [*JSON_ENDPOINTS, "/v1/consents/import"])
@pytest.mark.parametrize(
    "data",
    [b'{"customer_id": "\xff\xfe"}', b'{"customer_id": "\xc3\x28"}', b"\xed\xa0\x80"],
    ids=["ff-fe", "bad-continuation", "encoded-surrogate"],
)
def test_invalid_utf8_is_400(api: Any, path: str, data: bytes) -> None:
    content_type = "text/csv" if path.endswith("import") else "application/json"
    if path.endswith("import"):
        data = b"customer_id,channel,purposes\n" + data + b",whatsapp,promotions\n"
    error = refused(raw(api, path, data, content_type), 400)
    assert error["code"] == "bad_encoding"
    nothing_recorded(api)


@pytest.mark.parametrize("path", JSON_ENDPOINTS)
@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "text/csv", "multipart/x"]
)
def test_wrong_content_type_is_415(api: Any, path: str, content_type: str) -> None:
    error = refused(raw(api, path, json.dumps(grant()).encode(), content_type), 415)
    assert error["code"] == "unsupported_media_type"
    nothing_recorded(api)


@pytest.mark.parametrize("content_type", ["application/json", "text/plain", "application/xml"])
def test_import_with_wrong_content_type_is_415(api: Any, content_type: str) -> None:
    refused(raw(api, "/v1/consents/import", json.dumps(grant()).encode(), content_type), 415)
    nothing_recorded(api)


@pytest.mark.parametrize("path", JSON_ENDPOINTS)
@pytest.mark.parametrize("body", [b"[]", b'"x"', b"1e999999", b"null", b"true", b"NaN"])
def test_json_that_is_not_an_object_is_refused(api: Any, path: str, body: bytes) -> None:
    refused(raw(api, path, body), 400, 422)
    nothing_recorded(api)


@pytest.mark.parametrize("path", JSON_ENDPOINTS)
def test_duplicate_and_unknown_keys_are_refused(api: Any, path: str) -> None:
    body = b'{"customer_id": "a", "customer_id": "b", "__proto__": {"admin": true}}'
    refused(raw(api, path, body), 422)
    nothing_recorded(api, "a")
    nothing_recorded(api, "b")


# -- strings ------------------------------------------------------------------------------


@pytest.mark.parametrize("customer_id", ["anna\u0000", "\u0000", "a\u0000b", "a\nb", "\u202e"])
def test_control_characters_in_customer_id_are_422(api: Any, customer_id: str) -> None:
    error = refused(api.post("/v1/consents", json=grant(customer_id=customer_id)), 422)
    assert "customer_id" in error["details"], error
    refused(api.post("/v1/decisions", json=decision(customer_id=customer_id)), 422)
    nothing_recorded(api, customer_id.replace("\u0000", ""))


def test_nul_in_evidence_is_recorded_faithfully_or_refused(api: Any) -> None:
    answer = api.post("/v1/consents", json=grant(source={"kind": "api", "evidence": "a\u0000b"}))
    if answer.status_code == 422:
        refused(answer, 422)
        nothing_recorded(api)
        return
    assert answer.status_code == 201, answer.get_json()
    history = api.get(f"/v1/customers/{CUSTOMER}/history").get_json()
    granted = [e for e in history["events"] if e["type"].endswith("ConsentGranted")]
    assert granted and granted[0]["data"]["source"]["evidence"] == "a\u0000b", history


@pytest.mark.parametrize("escape", ["\\ud800", "\\udfff", "a\\ud83d", "\\udc00\\ud800"])
def test_lone_surrogates_are_a_4xx(api: Any, escape: str) -> None:
    """JSON may spell a lone surrogate as an escape; it is not a Unicode string and must
    be refused before it reaches storage (which would fail to encode it)."""
    bodies = {
        "/v1/consents": [
            f'{{"customer_id": "{escape}", "purposes": ["promotions"], "source": {{"kind": "api"}}}}',
            f'{{"customer_id": "{CUSTOMER}", "purposes": ["promotions"],'
            f' "source": {{"kind": "api", "evidence": "{escape}"}}}}',
            f'{{"customer_id": "{CUSTOMER}", "purposes": ["promotions"],'
            f' "source": {{"kind": "api", "user_agent": "{escape}"}}, "locale": "{escape}"}}',
        ],
        "/v1/decisions": [
            f'{{"customer_id": "{escape}", "template": {{"name": "a", "language": "ru"}}}}'
        ],
        "/v1/templates": [
            json.dumps({**MARKETING_TEMPLATE, "components": []})[:-1]
            + f', "components": [{{"type": "BODY", "text": "hi {escape}"}}]}}',
        ],
    }
    for path, variants in bodies.items():
        for body in variants:
            refused(raw(api, path, body.encode()), 400, 422)
    nothing_recorded(api)


def test_lone_surrogates_in_ndjson_import_are_a_4xx(api: Any) -> None:
    line = (
        f'{{"customer_id": "{CUSTOMER}", "purposes": ["promotions"],'
        ' "source": {"kind": "import", "evidence": "\\ud800"}}\n'
    )
    refused(raw(api, "/v1/consents/import", line.encode(), "application/x-ndjson"), 400, 422)
    nothing_recorded(api)


def test_csv_injection_cells_are_stored_as_data_not_refused_or_executed(api: Any) -> None:
    """Formula-looking evidence is just text on the way in (the CSV audit export is what
    neutralises it; see docs/security.md)."""
    csv = (
        "customer_id,channel,purposes,source_kind,evidence\n"
        f'{CUSTOMER},whatsapp,promotions,import,"=HYPERLINK(""http://x"")"\n'
    )
    answer = raw(api, "/v1/consents/import", csv.encode(), "text/csv")
    assert answer.status_code in (200, 201), answer.get_json()


@pytest.mark.parametrize(
    "body",
    [
        "customer_id,channel,purposes\n\u0000,whatsapp,promotions\n",
        'customer_id,channel,purposes\n"unterminated,whatsapp,promotions\n',
        "customer_id,channel,purposes\nanna\rbob,whatsapp,promotions\n",
        "\ufeff\ufeffcustomer_id,channel,purposes\nanna,whatsapp,promotions\n",
        "customer_id,customer_id\nanna,bob\n",
        "",
        "\n\n\n",
    ],
    ids=[
        "nul",
        "unterminated-quote",
        "lone-cr",
        "double-bom",
        "duplicate-column",
        "empty",
        "blank",
    ],
)
def test_malformed_csv_imports_are_a_4xx(api: Any, body: str) -> None:
    refused(raw(api, "/v1/consents/import", body.encode(), "text/csv"), 400, 422)
    for customer in (CUSTOMER, "anna", "bob"):
        nothing_recorded(api, customer)


# -- dates and numbers --------------------------------------------------------------------


@pytest.mark.parametrize(
    "moment",
    [
        "0001-01-01T00:00:00Z",
        "9999-12-31T23:59:59Z",
        "9999-12-31T23:59:59-23:59",
        "0001-01-01T00:00:00+23:59",
        "2026-13-45T00:00:00Z",
        "2026-02-30T00:00:00Z",
        "2026-01-01T00:00:00",
        "2026-01-01",
        "yesterday",
        "",
        "1" * 5000,
    ],
)
def test_absurd_dates_are_422(api: Any, moment: str) -> None:
    refused(api.post("/v1/consents", json=grant(granted_at=moment)), 422)
    refused(api.post("/v1/decisions", json=decision(at=moment)), 422)
    nothing_recorded(api)


@pytest.mark.parametrize(
    "moment", ["9999-12-31T23:59:59Z", "9999-12-31T23:59:59-23:59", "0001-01-02T00:00:00Z"]
)
def test_extreme_expiry_is_accepted_or_422_never_500(api: Any, moment: str) -> None:
    answer = api.post("/v1/consents", json=grant(expires_at=moment))
    if answer.status_code != 201:
        refused(answer, 422)
        nothing_recorded(api)
        return
    state = api.get(f"/v1/customers/{CUSTOMER}")
    assert state.status_code == 200, state.get_json()
    decided = api.post("/v1/decisions", json=decision())
    assert decided.status_code == 200, decided.get_json()


@pytest.mark.parametrize("number", ["1" + "0" * 400, "-1" + "0" * 400, "1e400", "-1", "true"])
def test_huge_or_odd_numbers_are_422(api: Any, number: str) -> None:
    body = json.dumps(decision())[:-1] + f', "min_position": {number}}}'
    refused(raw(api, "/v1/decisions", body.encode()), 400, 422)
    grant_body = json.dumps(grant())[:-1] + f', "customer_id": {number}}}'
    refused(raw(api, "/v1/consents", grant_body.encode()), 400, 422)
    nothing_recorded(api)
    refused(api.get(f"/v1/customers/{CUSTOMER}/history?limit={number}"), 404, 422)


# -- SSRF ---------------------------------------------------------------------------------

OUTBOUND = re.compile(
    r"^\s*(?:import|from)\s+(?:requests|httpx|aiohttp|urllib3|urllib\.request|http\.client"
    r"|socket|smtplib|ftplib|pycurl)\b",
    re.M,
)


def test_the_product_makes_no_outbound_network_calls() -> None:
    """No input (webhook payloads, template URLs, button links) can make the registry
    fetch anything: nothing in the product imports a network client (SSRF-free by
    construction). A new outbound call must revisit docs/security.md."""
    root = Path(__file__).resolve().parents[2]
    offenders = [
        str(path.relative_to(root))
        for folder in ("registry", "audit")
        for path in (root / folder).rglob("*.py")
        if OUTBOUND.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == [], offenders


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        (
            "/v1/decisions",
            {"customer_id": "c1", "template": {"name": "x\n", "language": "ru"}},
            "template",
        ),
        (
            "/v1/decisions",
            {"customer_id": "c1", "template": {"name": "x", "language": "ru\n"}},
            "template",
        ),
        (
            "/v1/authorizations",
            {"customer_id": "c1", "template": {"name": "x\n", "language": "ru"}},
            "template",
        ),
    ],
)
def test_a_pattern_is_matched_whole_not_before_a_trailing_newline(
    api: Any, path: str, body: dict[str, Any], field: str
) -> None:
    answer = api.post(path, json=body)
    assert answer.status_code == 422, answer.get_json()
    assert field in answer.get_json()["error"]["details"]


def test_a_locale_with_a_trailing_newline_is_refused(api: Any) -> None:
    api.post(
        "/v1/consents",
        json={"customer_id": "loc1", "purposes": ["alerts"], "source": {"kind": "api"}},
    )
    answer = api.patch("/v1/customers/loc1", json={"locale": "ru_RU\n"})
    assert answer.status_code == 422, answer.get_json()
