"""Long commands report progress and time (issue #20 item 9); off a terminal (here: a
pipe) they print plain lines on stderr, ending with the count and the time taken."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
DONE = r": done, \d+ {unit} in \d+\.\d s$"


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


def _grant(services: Any, tenant: str) -> None:
    body = {"customer_id": "c", "purposes": ["alerts"], "source": {"kind": "api"}}
    services.consents.grant(tenant, {**body, "channel": "whatsapp"})


def test_rebuild_ends_with_a_plain_line_of_events_and_time(
    backend_env: dict[str, str], services: Any, tenant: str
) -> None:
    _grant(services, tenant)
    result = run(backend_env, "registry.projections.rebuild")
    assert result.returncode == 0, result.stderr
    assert re.search("^rebuild" + DONE.format(unit="events"), result.stderr, re.M)
    assert "\r" not in result.stderr  # no bar redrawn into a pipe


def test_rebuild_help_prints_help_and_rebuilds_nothing(backend_env: dict[str, str]) -> None:
    result = run({**backend_env, "REGISTRY_DATABASE_URL": "sqlite:////nonexistent/x.db"},
                 "registry.projections.rebuild", "--help")  # fmt: skip
    assert result.returncode == 0
    assert result.stdout.startswith("usage: python -m registry.projections.rebuild")
    assert "rebuilt" not in result.stdout


def test_audit_check_ends_with_a_plain_line_of_events_and_time(
    backend_env: dict[str, str], services: Any, tenant: str
) -> None:
    _grant(services, tenant)
    result = run(backend_env, "audit", "check")
    assert re.search("^audit check" + DONE.format(unit="events"), result.stderr, re.M)
