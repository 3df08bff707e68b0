"""R-ERRORS / R-OPENAPI against the real server (SPEC §18, issue #20): `gunicorn wsgi:app
-w 2` on a free loopback port, once on SQLite and once on a PostgreSQL database created
for the run and dropped after it, fuzzed by the `schemathesis` command with every phase
it has (examples, coverage, fuzzing, stateful) and two workers, authenticated with a
development token of every scope.

No answer may be a 5xx (`not_a_server_error`), and every answer must be one the document
lists, of its content type, matching its schema. Each finding is kept as a plain test in
tests/e2e/test_fuzz_findings.py. The run is bounded (`REGISTRY_SCHEMATHESIS_EXAMPLES`
cases per operation and phase, default 10, a fixed seed, and a hard timeout); raise the
examples locally for a deeper run. tests/e2e/test_contract_fuzz.py fuzzes in-process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from registry.devtoken import make_token
from tests.conftest import JWT_SECRET, postgres_available
from tests.integration.servers import ROOT, registry_server

EXAMPLES = int(os.environ.get("REGISTRY_SCHEMATHESIS_EXAMPLES", "10"))
PHASES = "examples,coverage,fuzzing,stateful"
CHECKS = (
    "not_a_server_error,status_code_conformance,content_type_conformance,"
    "response_schema_conformance"
)
SEED = "20"
TIMEOUT_SECONDS = 420


def _status_of(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def _json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as answer:
        return json.loads(answer.read())


def _events(report_dir: Path) -> list[dict[str, Any]]:
    (report,) = report_dir.glob("*.ndjson")
    return [json.loads(line) for line in report.read_text().splitlines() if line.strip()]


def failed_checks(events: list[dict[str, Any]]) -> list[str]:
    """`operation: check (title) message` of every check that failed in the run."""
    found = []
    for event in events:
        scenario = event.get("ScenarioFinished")
        if scenario is None:
            continue
        recorder = scenario.get("recorder", {})
        for checks in recorder.get("checks", {}).values():
            for check in checks:
                if check.get("status") == "failure":
                    failure = check.get("failure_info", {}).get("failure", {})
                    found.append(
                        f"{recorder.get('label')}: {check['name']} "
                        f"({failure.get('title')}) {failure.get('message', '')}".strip()
                    )
    return sorted(set(found))


def run_errors(events: list[dict[str, Any]]) -> list[str]:
    """Every error of the run itself (a request that got no answer, a schema it could
    not use), by phase and operation."""
    return [
        f"{error.get('phase')} {error.get('label')}: {error['value'].get('type')}: "
        f"{error['value'].get('message')}"
        for error in (event.get("NonFatalError") or event.get("FatalError") for event in events)
        if error is not None
    ]


@pytest.mark.slow
@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_schemathesis_finds_no_server_error_and_no_answer_outside_the_document(
    backend: str, tmp_path: Path
) -> None:
    if backend == "postgres" and not postgres_available():
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is not reachable at 127.0.0.1:5432")
        pytest.skip("PostgreSQL is not reachable at 127.0.0.1:5432")
    reports = tmp_path / "reports"
    with registry_server(backend, workers=2, extra_args=("--timeout", "120")) as (base_url, _):
        run = subprocess.run(
            [
                sys.executable,
                "-m",
                "tests.contract.schemathesis_cli",
                "run",
                f"{base_url}/openapi.json",
                "--phases",
                PHASES,
                "--workers",
                "2",
                "--max-examples",
                str(EXAMPLES),
                "--seed",
                SEED,
                "--checks",
                CHECKS,
                "--header",
                f"Authorization: Bearer {make_token(JWT_SECRET)}",
                "--report",
                "ndjson",
                "--report-dir",
                str(reports),
                "--no-color",
            ],
            cwd=tmp_path,  # Schemathesis keeps its cache under the working directory
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            capture_output=True,
            text=True,
            timeout=TIMEOUT_SECONDS,
        )
        too_long = _status_of(f"{base_url}/v1/templates?status={'x' * 5000}")
        documented = _json(f"{base_url}/openapi.json")["paths"]["/v1/templates"]["get"]
    # gunicorn's own answer to a request line past 4094 bytes is in the document too
    assert too_long == 414 and "414" in documented["responses"]
    events = _events(reports)
    output = run.stdout[-6000:] + run.stderr[-2000:]
    phases = {e["PhaseFinished"]["phase"]["name"] for e in events if "PhaseFinished" in e}
    assert {"examples", "coverage", "fuzzing", "stateful"} <= {p.lower() for p in phases}, output
    assert failed_checks(events) == [], output
    assert run_errors(events) == [], output
    assert run.returncode == 0, output
