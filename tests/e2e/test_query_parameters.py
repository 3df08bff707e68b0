"""SPEC §18: an unknown query parameter is a 422 naming it on every endpoint, never
silently ignored, so that a mistyped filter cannot export everything."""

from __future__ import annotations

import re
from typing import Any

import pytest

from registry.querystrings import taken_by
from tests.conftest import promotions_grant

PUBLIC_URL = "http://registry.test"
NEVER_REFUSED = frozenset({"optout.unsubscribe", "confirm.confirm"})  # POSTs of a customer
SAMPLE_PATH_VALUES = {"tenant_id": "demo", "token": "x" * 40, "filename": "x.css"}


def _grant(api: Any, customer_id: str) -> None:
    answer = api.post(
        "/v1/consents", json={**promotions_grant(customer_id), "phone": "+79123456789"}
    )
    assert answer.status_code == 201, answer.get_json()


def test_a_mistyped_export_filter_is_a_422_naming_it_not_every_row(api: Any) -> None:
    _grant(api, "anna")
    _grant(api, "boris")
    answer = api.get("/v1/audit/events?format=csv&customerid=anna")
    assert answer.status_code == 422
    error = answer.get_json()["error"]
    assert error["code"] == "validation_error"
    assert "customerid" in error["message"]
    assert list(error["details"]) == ["customerid"]
    assert "boris" not in answer.get_data(as_text=True)


def test_the_refusal_lists_what_the_operation_takes(api: Any) -> None:
    answer = api.get("/v1/customers/anna/history?limt=5")
    assert answer.status_code == 422
    (message,) = answer.get_json()["error"]["details"]["limt"]
    assert "after_position, limit, min_position" in message


def test_a_single_value_parameter_given_twice_is_a_422(api: Any) -> None:
    answer = api.get("/v1/customers/anna/history?limit=5&limit=6")
    assert answer.status_code == 422
    assert answer.get_json()["error"]["details"] == {"limit": ["given more than once"]}


def test_a_known_parameter_is_still_parsed_by_its_schema(api: Any) -> None:
    _grant(api, "anna")
    answer = api.get("/v1/customers/anna/history?limit=1")
    assert answer.status_code == 200, answer.get_json()
    assert len(answer.get_json()["events"]) == 1
    bad = api.get("/v1/customers/anna/history?limit=0")
    assert bad.status_code == 422
    assert list(bad.get_json()["error"]["details"]) == ["limit"]


def test_the_token_is_checked_before_the_query(app: Any) -> None:
    answer = app.test_client().get("/v1/audit/events?customerid=anna")
    assert answer.status_code == 401


def test_an_unknown_v1_route_is_still_a_404_whatever_its_query(api: Any) -> None:
    assert api.get("/v1/no-such-thing?customerid=anna").status_code == 404


def _urls(app: Any) -> list[tuple[str, str, str]]:
    """(method, url, endpoint) of every route, path arguments filled with sample values."""
    routes = []
    for rule in app.url_map.iter_rules():
        url = re.sub(
            r"<(?:[^:<>]+:)?([^<>]+)>",
            lambda m: SAMPLE_PATH_VALUES.get(m.group(1), "sample"),
            rule.rule,
        )
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            routes.append((method, url, rule.endpoint))
    return routes


def test_every_route_refuses_an_unknown_query_parameter(app: Any, api: Any) -> None:
    """Every route the app serves, including the webhooks, the operator routes and the
    customer pages; the exceptions are the customer's own clicks (an opt-out is never
    refused, nor a confirmation), each marked `@ignores_query` in its view."""
    answers = {}
    for method, url, endpoint in _urls(app):
        if endpoint in NEVER_REFUSED:
            assert taken_by(app.view_functions[endpoint]).anything, endpoint
            continue
        answer = api.client.open(
            f"{url}?zz_typo=1",
            method=method,
            headers={"Authorization": f"Bearer {api.token}"},
        )
        answers[(method, url)] = answer.status_code
        assert answer.status_code == 422, (method, url, answer.get_data(as_text=True)[:300])
        assert "zz_typo" in answer.get_data(as_text=True), (method, url)
    assert len(answers) >= 35
    ignoring = {
        endpoint for _, _, endpoint in _urls(app) if taken_by(app.view_functions[endpoint]).anything
    }
    assert ignoring == NEVER_REFUSED


def test_the_opt_out_page_with_a_query_is_a_422_page_linking_to_the_clean_address(
    api: Any,
) -> None:
    _grant(api, "olga")
    link = api.post("/v1/customers/olga/optout-links", json={"channel": "whatsapp"}).get_json()
    path = link["url"].removeprefix(PUBLIC_URL)
    page = api.client.get(f"{path}?utm_source=mail")
    assert page.status_code == 422
    assert page.mimetype == "text/html"
    text = page.get_data(as_text=True)
    assert "utm_source" in text
    assert f'href="{path}"' in text


def test_an_opt_out_posted_to_a_link_with_a_query_still_withdraws(api: Any) -> None:
    _grant(api, "olga")
    link = api.post("/v1/customers/olga/optout-links", json={"channel": "whatsapp"}).get_json()
    path = link["url"].removeprefix(PUBLIC_URL)
    done = api.client.post(f"{path}?utm_source=mail")
    assert done.status_code == 200
    consents = api.get("/v1/customers/olga").get_json()["consents"]
    assert {c["status"] for c in consents if c["purpose"] == "promotions"} == {"withdrawn"}


@pytest.mark.parametrize("status", ["PENDING", "APPROVED"])
def test_templates_can_be_listed_by_status(
    api: Any, approved_template: dict[str, str], status: str
) -> None:
    pending = api.post(
        "/v1/templates",
        json={
            "name": "order_ready",
            "language": "en",
            "category": "UTILITY",
            "purpose": "service",
            "components": [{"type": "BODY", "text": "Your order is ready."}],
        },
    )
    assert pending.status_code == 201, pending.get_json()
    listed = api.get(f"/v1/templates?status={status}").get_json()["templates"]
    assert {t["status"] for t in listed} == {status}
    assert len(listed) == 1


def test_a_template_status_that_does_not_exist_is_a_422(api: Any) -> None:
    answer = api.get("/v1/templates?status=pending")
    assert answer.status_code == 422
    assert list(answer.get_json()["error"]["details"]) == ["status"]
