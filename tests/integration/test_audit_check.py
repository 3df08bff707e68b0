"""`python -m audit check` finds an event edited directly in the database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def run_check(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "audit", "check"],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def tamper_with_last_event(registry: Any, customer_aggregate: str) -> int:
    db = registry.db
    with db.transaction(commit=True) as sql:
        position, state = sql.query(
            f"SELECT {db.position_column}, state FROM {db.events_table} WHERE originator_id = ? "
            f"ORDER BY originator_version DESC LIMIT 1",
            [db.originator_param(customer_aggregate)],
        )[0]
        data = json.loads(bytes(state))
        data["purposes"] = ["promotions", "alerts"]  # claim more consent than was given
        sql.execute(
            f"UPDATE {db.events_table} SET state = ? WHERE {db.position_column} = ?",
            [json.dumps(data).encode(), position],
        )
    return int(position)


def test_check_passes_on_an_untouched_store(
    backend_env: dict[str, str], registry: Any, services: Any, tenant: str
) -> None:
    services.consents.grant(
        tenant,
        {
            "customer_id": "c",
            "channel": "whatsapp",
            "purposes": ["promotions"],
            "source": {"kind": "api"},
        },
    )
    result = run_check(backend_env)
    assert result.returncode == 0 or "altered" in result.stdout  # other tests may have tampered
    assert f"tenant {tenant} " not in result.stdout


def test_check_names_an_event_edited_in_the_database(
    backend_env: dict[str, str], registry: Any, services: Any, tenant: str
) -> None:
    services.consents.grant(
        tenant,
        {
            "customer_id": "c",
            "channel": "whatsapp",
            "purposes": ["promotions"],
            "source": {"kind": "api"},
        },
    )
    doc, _ = services.consents.customer_doc(tenant, "c")
    position = tamper_with_last_event(registry, doc["aggregate_id"])
    result = run_check(backend_env)
    assert result.returncode == 1
    assert f"altered: tenant {tenant} leaf 1 position {position}" in result.stdout


def test_check_names_an_event_deleted_from_the_database(
    backend_env: dict[str, str], registry: Any, services: Any, tenant: str
) -> None:
    answer = services.consents.grant(
        tenant,
        {
            "customer_id": "gone",
            "channel": "sms",
            "purposes": ["alerts"],
            "source": {"kind": "api"},
        },
    )
    db = registry.db
    with db.transaction(commit=True) as sql:
        sql.execute(
            f"DELETE FROM {db.events_table} WHERE {db.position_column} = ?", [answer["position"]]
        )
    result = run_check(backend_env)
    assert result.returncode == 1
    assert f"altered: tenant {tenant} leaf 1 position {answer['position']}" in result.stdout
