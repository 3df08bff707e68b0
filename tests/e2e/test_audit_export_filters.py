"""SPEC §18: the export's filters (`customer_id`, `template` by name or name/language with
its authorizations, repeatable `type`, `since`, `until`), on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import promotions_grant, put_any_time_policy


def events(api: Any, query: str) -> list[dict[str, Any]]:
    answer = api.get(f"/v1/audit/events?{query}")
    assert answer.status_code == 200, answer.get_data(as_text=True)
    lines = [json.loads(line) for line in answer.get_data(as_text=True).splitlines()]
    assert lines[0]["kind"] == "checkpoint" and lines[-1]["kind"] == "end"
    return lines[1:-1]


def types_of(lines: list[dict[str, Any]]) -> list[str]:
    return [line["event"]["topic"].rsplit(":", 1)[-1] for line in lines]


@pytest.fixture
def authorized(api: Any, approved_template: dict[str, str]) -> dict[str, str]:
    """anna and boris granted; one authorization of spring_sale/ru for anna."""
    put_any_time_policy(api)
    for customer in ("anna", "boris"):
        assert api.post("/v1/consents", json=promotions_grant(customer)).status_code == 201
    answer = api.post(
        "/v1/authorizations", json={"customer_id": "anna", "template": approved_template}
    )
    assert answer.status_code == 201, answer.get_json()
    return approved_template


def test_the_type_filter_keeps_only_events_of_that_type(api: Any) -> None:
    api.post("/v1/consents", json=promotions_grant("anna"))
    opt_out = {"customer_id": "anna", "channel": "whatsapp", "purposes": ["promotions"]}
    assert api.post("/v1/opt-outs", json={**opt_out, "source": {"kind": "api"}}).status_code == 201
    assert types_of(events(api, "type=Customer.ConsentWithdrawn")) == ["Customer.ConsentWithdrawn"]


def test_the_type_filter_is_repeatable(api: Any, authorized: dict[str, str]) -> None:
    lines = events(api, "type=Customer.SendAuthorized&type=Template.VersionReviewed")
    assert sorted(types_of(lines)) == ["Customer.SendAuthorized", "Template.VersionReviewed"]


def test_an_event_type_without_its_aggregate_is_a_422_saying_how_to_spell_it(api: Any) -> None:
    answer = api.get("/v1/audit/events?type=ConsentWithdrawn")
    assert answer.status_code == 422
    (messages,) = answer.get_json()["error"]["details"]["type"].values()
    assert "Customer.ConsentWithdrawn" in messages[0]


def test_a_template_filter_includes_the_authorizations_of_that_template(
    api: Any, authorized: dict[str, str]
) -> None:
    lines = events(api, "template=spring_sale/ru")
    assert "Customer.SendAuthorized" in types_of(lines)
    assert "Template.VersionSubmitted" in types_of(lines)
    assert "Customer.ConsentGranted" not in types_of(lines)


def test_a_template_filter_by_name_alone_covers_every_language(
    api: Any, authorized: dict[str, str]
) -> None:
    assert events(api, "template=spring_sale") == events(api, "template=spring_sale/ru")
    assert events(api, "template=spring_sale/en") == []
    assert events(api, "template=spring") == []


def test_a_template_filter_spelled_with_a_hyphen_finds_the_platforms_form(
    api: Any, reviewer: Any
) -> None:
    template = {
        "name": "order_ready",
        "language": "en_US",
        "category": "UTILITY",
        "purpose": "service",
        "components": [{"type": "BODY", "text": "Your order is ready."}],
    }
    assert api.post("/v1/templates", json=template).status_code == 201
    lines = events(api, "template=order_ready/en-US")
    assert types_of(lines) == ["Template.Registered", "Template.VersionSubmitted"]


def test_filters_combine(api: Any, authorized: dict[str, str]) -> None:
    lines = events(api, "customer_id=anna&template=spring_sale&format=jsonl")
    assert types_of(lines) == ["Customer.SendAuthorized"]
    assert events(api, "customer_id=boris&template=spring_sale") == []


def test_export_lines_name_their_customer_and_template(
    api: Any, authorized: dict[str, str]
) -> None:
    lines = events(api, "")
    by_type: dict[str, list[dict[str, Any]]] = {}
    for line, kind in zip(lines, types_of(lines), strict=True):
        by_type.setdefault(kind, []).append(line)
    (authorization,) = by_type["Customer.SendAuthorized"]
    assert authorization["customer_id"] == "anna"
    assert authorization["template"] == {"name": "spring_sale", "language": "ru"}
    for line in by_type["Template.VersionSubmitted"]:
        assert line["template"] == {"name": "spring_sale", "language": "ru"}
        assert "customer_id" not in line
    grants = by_type["Customer.ConsentGranted"]
    assert sorted(line["customer_id"] for line in grants) == ["anna", "boris"]
    assert all("template" not in line for line in grants)


def test_an_erased_customers_lines_name_no_customer(api: Any) -> None:
    assert api.post("/v1/consents", json=promotions_grant("anna")).status_code == 201
    assert api.post("/v1/consents", json=promotions_grant("boris")).status_code == 201
    assert api.post("/v1/customers/anna/erase", json={"reason": "asked"}).status_code == 200
    erased = events(api, "customer_id=anna")
    assert erased and all("customer_id" not in line for line in erased)
    assert {line["customer_id"] for line in events(api, "customer_id=boris")} == {"boris"}
