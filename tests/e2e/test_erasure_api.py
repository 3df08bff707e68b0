"""R-ERASE through the HTTP API, on SQLite and PostgreSQL: erasure crypto-shreds the
customer's personal data everywhere while the audit trail still verifies."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.test_audit_api import canonical, leaf_hash, merkle_root, run_verify

PHONE = "+79990001122"
PHONE_DIGITS = "79990001122"
EVIDENCE = "signed paper #77"


@pytest.fixture
def erased(api: Any, approved_template: dict[str, str], any_time_policy: None) -> dict[str, Any]:
    granted = api.post(
        "/v1/consents",
        json={
            "customer_id": "ivan",
            "channel": "whatsapp",
            "purposes": ["promotions", "reminders"],
            "source": {"kind": "paper", "evidence": EVIDENCE},
            "phone": PHONE,
            "timezone": "Europe/Moscow",
        },
        headers={"Idempotency-Key": "grant-ivan-paper-77"},
    )
    assert granted.status_code == 201, granted.get_json()
    profile = api.patch("/v1/customers/ivan", json={"phone": PHONE, "locale": "ru-RU"})
    assert profile.status_code == 200, profile.get_json()
    state = api.get("/v1/customers/ivan").get_json()
    assert state["phone"] == PHONE and state["erased"] is False
    answer = api.post("/v1/customers/ivan/erase", json={"reason": "GDPR art. 17 request"})
    assert answer.status_code == 200, answer.get_json()
    body: dict[str, Any] = answer.get_json()
    assert body["erased"] is True
    return body


def database_dump(backend_env: dict[str, str]) -> bytes:
    url = backend_env["REGISTRY_DATABASE_URL"]
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        files = [str(f) for f in (path, Path(f"{path}-wal"), Path(f"{path}-journal")) if f.exists()]
        # Read by another process: closing a descriptor of the database file in this one
        # would drop the POSIX locks SQLite holds on it here, and a later process could
        # then checkpoint and delete the WAL under this process's open connections.
        return subprocess.run(["cat", *files], capture_output=True, check=True).stdout
    dbname = url.rsplit("/", 1)[1]
    if shutil.which("pg_dump"):
        dumped = subprocess.run(
            ["pg_dump", "-h", "127.0.0.1", "-p", "5432", "-U", "postgres", dbname],
            capture_output=True,
            timeout=120,
            check=True,
        )
        return dumped.stdout
    return _select_every_text_column(dbname)


def _select_every_text_column(dbname: str) -> bytes:
    import psycopg

    chunks: list[bytes] = []
    with psycopg.connect(host="127.0.0.1", port=5432, user="postgres", dbname=dbname) as conn:
        columns = conn.execute(
            "SELECT table_schema, table_name, column_name FROM information_schema.columns "
            "WHERE table_schema NOT IN ('pg_catalog', 'information_schema') "
            "AND data_type IN ('text', 'character varying', 'bytea', 'json', 'jsonb')"
        ).fetchall()
        for schema, table, column in columns:
            for (value,) in conn.execute(f'SELECT "{column}" FROM "{schema}"."{table}"'):
                if value is None:
                    continue
                if isinstance(value, bytes | bytearray | memoryview):
                    chunks.append(bytes(value))
                else:
                    chunks.append(json.dumps(value, ensure_ascii=False).encode("utf-8"))
    return b"\n".join(chunks)


def test_erased_customer_shows_erased_and_no_phone(api: Any, erased: dict[str, Any]) -> None:
    state = api.get("/v1/customers/ivan").get_json()
    assert state["erased"] is True
    assert state["phone"] is None
    assert EVIDENCE not in json.dumps(state, ensure_ascii=False)


def test_decision_for_an_erased_customer_starts_with_customer_erased(
    api: Any, approved_template: dict[str, str], erased: dict[str, Any]
) -> None:
    decision = api.post(
        "/v1/decisions", json={"customer_id": "ivan", "template": approved_template}
    ).get_json()
    assert decision["allowed"] is False
    assert decision["reasons"][0] == "customer_erased"


def test_erased_data_appears_nowhere_in_the_database_while_the_trail_verifies(
    api: Any,
    tenant: str,
    backend_env: dict[str, str],
    erased: dict[str, Any],
    tmp_path: Path,
) -> None:
    dump = database_dump(backend_env)
    assert tenant.encode() in dump, "the dump does not cover this test's data"
    for secret in (PHONE_DIGITS, EVIDENCE):
        for encoded in (secret.encode("utf-8"), secret.encode("utf-16-le")):
            assert encoded not in dump, f"{secret!r} is still readable in the database"

    checkpoint = api.get("/v1/audit/checkpoint").get_json()
    raw = api.get("/v1/audit/events").get_data(as_text=True)
    assert PHONE_DIGITS not in raw and EVIDENCE not in raw
    events = [json.loads(line) for line in raw.splitlines()][1:-1]
    hashed = [leaf_hash(canonical(e["event"])) for e in events]
    assert merkle_root(hashed) == bytes.fromhex(checkpoint["root_hash"])
    assert all("readable" not in e or e["readable"] is None for e in events if "ivan" in str(e))

    key = tmp_path / "registry.pem"
    key.write_bytes(api.get("/v1/audit/public-key").get_data())
    export = tmp_path / "export.jsonl"
    export.write_text(raw, encoding="utf-8")
    verified = run_verify(export, key)
    assert verified.returncode == 0, verified.stdout + verified.stderr


def test_erasure_is_an_event_in_the_history_by_the_token_subject(
    api: Any, erased: dict[str, Any]
) -> None:
    events = api.get("/v1/customers/ivan/history").get_json()["events"]
    assert events[-1]["type"] == "Customer.Erased"
    assert events[-1]["actor"] == "alice"
    assert events[-1]["position"] == erased["position"]
    assert PHONE_DIGITS not in json.dumps(events) and EVIDENCE not in json.dumps(events)


def test_opt_out_after_erasure_is_still_accepted(api: Any, erased: dict[str, Any]) -> None:
    answer = api.post(
        "/v1/opt-outs",
        json={"customer_id": "ivan", "channel": "whatsapp", "purposes": "all"},
    )
    assert answer.status_code == 201, answer.get_json()
    assert answer.get_json()["position"] > erased["position"]
