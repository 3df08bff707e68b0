"""R-OPENAPI / R-ERRORS: Schemathesis fuzzes every operation of our own /openapi.json
in-process (WSGI), authenticated with an all-scopes token, in positive and negative
generation modes. Every answer must be a non-5xx, a documented status, of the documented
content type, matching the documented schema (errors in the R-ERRORS shape).

Deterministic (derandomized) so CI is stable; raise REGISTRY_FUZZ_EXAMPLES locally for a
deeper run. SQLite only: the fuzzing targets the HTTP surface, not the storage backend."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    status_code_conformance,
)
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import response_schema_conformance

EXAMPLES = int(os.environ.get("REGISTRY_FUZZ_EXAMPLES", "12"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def sqlite_app(request: pytest.FixtureRequest, app: Any) -> Any:
    if "postgres" in request.node.callspec.id:
        pytest.skip("contract fuzzing runs on the SQLite backend only")
    return app


def _operations(flask_app: Any) -> list[Any]:
    schema = schemathesis.openapi.from_wsgi("/openapi.json", flask_app)
    operations = [result.ok() for result in schema.get_all_operations()]
    return [op for op in operations if op.path.startswith("/v1/")]


def test_schema_covers_every_v1_route(sqlite_app: Any) -> None:
    documented = {(op.method.upper(), op.path) for op in _operations(sqlite_app)}
    routed = set()
    for rule in sqlite_app.url_map.iter_rules():
        if not rule.rule.startswith("/v1/"):
            continue
        path = rule.rule.replace("<", "{").replace(">", "}")
        path = "/".join(
            "{" + part[1:-1].split(":")[-1] + "}" if part.startswith("{") else part
            for part in path.split("/")
        )
        for method in rule.methods or ():
            if method not in ("HEAD", "OPTIONS"):
                routed.add((method, path))
    assert routed <= documented, sorted(routed - documented)
    assert len(documented) >= 30


@pytest.mark.parametrize("mode", list(schemathesis.GenerationMode), ids=lambda m: m.value)
def test_every_operation_conforms_to_its_contract(
    sqlite_app: Any, token: Callable[..., str], mode: Any
) -> None:
    headers = {"Authorization": f"Bearer {token()}"}
    failures: dict[str, str] = {}
    for operation in _operations(sqlite_app):

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(generation_mode=mode))
        def fuzz(case: Any) -> None:
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            fuzz()
        except (FailureGroup, AssertionError) as error:  # collect, report all at once
            failures[operation.label] = str(error)[:3000]
    assert not failures, "\n\n".join(f"== {label}\n{text}" for label, text in failures.items())
