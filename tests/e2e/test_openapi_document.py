"""SPEC §18 / R-OPENAPI: /openapi.json documents every query parameter, the
Idempotency-Key header, the bearer scheme with each operation's scope, every error status
an operation can answer and the reason codes; it builds without warnings or numbered
duplicate schema names. Checked against what the server acts on (the views' markers and
query declarations), not against a copy of the document."""

from __future__ import annotations

import inspect
import re
import tempfile
import types
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from registry.api.openapi import scopes_of
from registry.querystrings import taken_by
from tests.conftest import environment_for

# SPEC §18, "Reason codes, the whole order", copied from the contract.
SPEC_REASON_ORDER = [
    "customer_erased",
    "customer_suppressed",
    "experiment_control",
    "experiment_stopped",
    "template_not_found",
    "template_not_approved",
    "template_paused",
    "template_disabled",
    "platform_blocked",
    "channel_not_supported",
    "no_consent",
    "consent_pending",
    "consent_withdrawn",
    "consent_expired",
    "pilot_in_progress",
    "messaging_limit_reached",
    "platform_user_cap",
    "outside_send_window",
    "outside_send_days",
    "holiday",
    "daily_limit_reached",
    "outside_service_window",
]


@pytest.fixture
def sqlite_app(request: pytest.FixtureRequest, app: Any) -> Any:
    if "postgres" in request.node.callspec.id:
        pytest.skip("the description does not depend on the database")
    return app


@pytest.fixture
def spec(sqlite_app: Any) -> dict[str, Any]:
    document: dict[str, Any] = sqlite_app.test_client().get("/openapi.json").get_json()
    return document


def operations(app: Any, spec: dict[str, Any]) -> Iterator[tuple[str, str, Any, Any, Any]]:
    """(method, path, operation, view method, rule) of every /v1 operation."""
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/v1/"):
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        view_class = app.view_functions[rule.endpoint].view_class
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            operation = spec["paths"][path][method.lower()]
            yield method, path, operation, getattr(view_class, method.lower()), rule


def parameters(operation: dict[str, Any], where: str) -> dict[str, dict[str, Any]]:
    return {p["name"]: p for p in operation.get("parameters", []) if p["in"] == where}


def test_every_query_parameter_a_view_takes_is_documented(sqlite_app: Any, spec: Any) -> None:
    seen = 0
    for method, path, operation, view, _ in operations(sqlite_app, spec):
        taken = taken_by(view).names
        assert set(parameters(operation, "query")) == taken, (method, path)
        seen += len(taken)
    assert seen >= 20


@pytest.mark.parametrize(
    ("path", "names"),
    [
        ("/v1/audit/events", {"format", "customer_id", "template", "type", "since", "until"}),
        ("/v1/audit/proof", {"leaf_index", "tree_size"}),
        ("/v1/audit/consistency", {"first", "second"}),
        ("/v1/customers/{customer_id}/history", {"min_position", "limit", "after_position"}),
        ("/v1/customers/{customer_id}", {"min_position"}),
        ("/v1/templates", {"min_position", "status"}),
        ("/v1/policy", {"min_position"}),
    ],
)
def test_the_query_parameters_the_issue_named_are_documented(
    spec: Any, path: str, names: set[str]
) -> None:
    assert set(parameters(spec["paths"][path]["get"], "query")) == names


def test_the_repeatable_type_filter_is_an_exploded_array(spec: Any) -> None:
    type_filter = parameters(spec["paths"]["/v1/audit/events"]["get"], "query")["type"]
    assert type_filter["schema"]["type"] == "array"
    assert type_filter["explode"] is True


def test_every_operation_names_the_scope_its_guard_checks(sqlite_app: Any, spec: Any) -> None:
    assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    for method, path, operation, view, _ in operations(sqlite_app, spec):
        scopes = list(scopes_of(view))
        assert scopes, (method, path)
        assert operation["x-required-scopes"] == scopes, (method, path)
        assert operation["security"] == [{"bearer": []}], (method, path)
        for scope in scopes:
            assert f"`{scope}`" in operation["description"], (method, path)


def _reaches(function: Any, name: str, seen: set[int] | None = None) -> bool:
    """Whether `function`'s code, or a module function it calls, refers to `name`."""
    seen = seen if seen is not None else set()
    function = inspect.unwrap(function)
    code = getattr(function, "__code__", None)
    if code is None or id(code) in seen:
        return False
    seen.add(id(code))
    codes = [code, *(c for c in code.co_consts if isinstance(c, types.CodeType))]
    for each in codes:
        if name in each.co_names:
            return True
        for called in each.co_names:
            target = function.__globals__.get(called)
            if isinstance(target, types.FunctionType) and _reaches(target, name, seen):
                return True
    return False


def test_the_idempotency_key_is_documented_exactly_where_it_is_honoured(
    sqlite_app: Any, spec: Any
) -> None:
    documented = set()
    for method, path, operation, view, _ in operations(sqlite_app, spec):
        header = parameters(operation, "header").get("Idempotency-Key")
        honoured = _reaches(view, "idempotently")
        assert (header is not None) == honoured, (method, path)
        if honoured:
            documented.add((method, path))
            assert "409" in operation["responses"], (method, path)
            assert header["schema"]["maxLength"] == 255
    assert ("POST", "/v1/consents") in documented
    assert ("POST", "/v1/authorizations") in documented
    assert len(documented) >= 9


def test_every_operation_documents_the_errors_it_can_answer(sqlite_app: Any, spec: Any) -> None:
    for method, path, operation, _, rule in operations(sqlite_app, spec):
        statuses = set(operation["responses"])
        expected = {"401", "403", "422"}
        if path != "/v1/opt-outs":
            expected.add("429")
        if method in ("POST", "PUT", "PATCH"):
            expected |= {"400", "413", "415"}
        if rule.arguments:
            expected.add("404")
        assert expected <= statuses, (method, path, sorted(expected - statuses))
        assert "default" not in statuses, (method, path)
    error = spec["components"]["responses"]["ErrorUnauthorized"]
    assert error["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorEnvelope"
    }


def test_an_opt_out_documents_no_rate_limit(spec: Any) -> None:
    assert "429" not in spec["paths"]["/v1/opt-outs"]["post"]["responses"]


def test_the_reason_codes_are_enumerated_in_the_specs_order(spec: Any) -> None:
    schemas = spec["components"]["schemas"]
    for name in ("Decision", "BatchDecision", "Authorization", "Replay"):
        assert schemas[name]["properties"]["reasons"]["items"]["enum"] == SPEC_REASON_ORDER, name


def test_no_schema_name_is_a_numbered_duplicate(spec: Any) -> None:
    numbered = [name for name in spec["components"]["schemas"] if re.search(r"\d$", name)]
    assert numbered == []


def test_building_the_app_and_its_description_warns_nothing() -> None:
    from registry.api.app import create_app
    from registry.config import load_settings

    with tempfile.TemporaryDirectory() as var, warnings.catch_warnings():
        warnings.simplefilter("error")
        env = environment_for(f"sqlite:///{var}/registry.sqlite3", Path(var))
        app = create_app(load_settings(env))
        assert app.test_client().get("/openapi.json").status_code == 200
