"""`python -m registry.imports FILE` (issue #20 item 9): a file of any size, in chunks of
the API's size, through the same parsing and use case; on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
HEADER = "customer_id,channel,purposes,source_kind,evidence\n"


def run_import(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "registry.imports", *args],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


def csv_file(path: Path, rows: int, bad_row: int | None = None) -> Path:
    lines = [
        f"c{n},whatsapp,{'nonsense' if n == bad_row else 'promotions;alerts'},import,batch 7\n"
        for n in range(1, rows + 1)
    ]
    path.write_text(HEADER + "".join(lines), encoding="utf-8")
    return path


def granted(api: Any, customer_id: str) -> int:
    events = api.get(f"/v1/customers/{customer_id}/history").get_json()["events"]
    return sum(1 for e in events if e["type"] == "Customer.ConsentGranted")


def customers_in_views(registry: Any, tenant: str) -> int:
    with registry.db.transaction() as sql:
        return int(
            sql.scalar(
                "SELECT COUNT(*) FROM registry_views WHERE tenant = ? AND kind = 'customer'",
                [tenant],
            )
        )


def test_a_csv_file_is_imported_in_chunks_and_every_row_recorded_once(
    backend_env: dict[str, str], api: Any, registry: Any, tenant: str, tmp_path: Path
) -> None:
    path = csv_file(tmp_path / "grants.csv", 25)
    result = run_import(backend_env, str(path), "--tenant", tenant, "--chunk-rows", "10")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"imported 25 grants into {tenant}")
    assert customers_in_views(registry, tenant) == 25
    assert [granted(api, f"c{n}") for n in (1, 10, 11, 25)] == [1, 1, 1, 1]
    assert re.search(r"^import: done, \d+ bytes in \d+\.\d s$", result.stderr, re.M)


def test_a_json_lines_file_is_imported_with_its_actor(
    backend_env: dict[str, str], api: Any, tenant: str, tmp_path: Path
) -> None:
    path = tmp_path / "grants.ndjson"
    rows = [
        {"customer_id": f"j{n}", "purposes": ["alerts"], "source": {"kind": "import"}}
        for n in range(3)
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    result = run_import(backend_env, str(path), "--tenant", tenant, "--actor", "cli:olga")
    assert result.returncode == 0, result.stderr
    events = api.get("/v1/customers/j2/history").get_json()["events"]
    assert {e["actor"] for e in events} == {"cli:olga"}
    assert all(e["request_id"].startswith("import-") for e in events)


def test_a_refused_chunk_names_its_row_and_a_rerun_from_it_imports_the_rest_once(
    backend_env: dict[str, str], api: Any, registry: Any, tenant: str, tmp_path: Path
) -> None:
    path = csv_file(tmp_path / "grants.csv", 25, bad_row=14)
    refused = run_import(backend_env, str(path), "--tenant", tenant, "--chunk-rows", "10")
    assert refused.returncode == 1
    assert "'row': 14" in refused.stderr
    assert "10 rows were imported before this" in refused.stderr
    assert "--start-row 11" in refused.stderr
    assert customers_in_views(registry, tenant) == 10

    csv_file(path, 25)  # fixed
    again = ["--tenant", tenant, "--chunk-rows", "10", "--start-row", "11"]
    resumed = run_import(backend_env, str(path), *again)
    assert resumed.returncode == 0, resumed.stderr
    assert resumed.stdout.startswith("imported 15 grants")
    assert customers_in_views(registry, tenant) == 25
    assert [granted(api, f"c{n}") for n in (10, 11, 14, 25)] == [1, 1, 1, 1]


def test_help_describes_the_command_and_imports_nothing(backend_env: dict[str, str]) -> None:
    result = run_import(backend_env, "--help")
    assert result.returncode == 0
    assert result.stdout.startswith("usage: python -m registry.imports")
    assert "--tenant" in result.stdout and "--start-row" in result.stdout
