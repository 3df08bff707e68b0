"""How long an authorization holds the events table's lock (PostgreSQL), in-process:
one client, so that no transaction waits for the lock and the recorder's transaction
time (BEGIN sent to COMMIT answered, `PostgresRegistryRecorder.last_transaction_seconds`)
bounds the hold from above; beside it the whole request's time, the statements sent under
the lock and the bytes of the view documents they write. Both kinds of authorization:
plain (written ahead, one round trip) and with an Idempotency-Key (its answer is written
under the lock: two round trips).

    .venv/bin/python -m bench.authorization_lock [--requests 400]

It creates a database of its own on 127.0.0.1:5432 and drops it at the end.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import psycopg

from registry.store.unit_of_work import WriteSet

SECRET = "bench-secret-bench-secret-bench-secret"
ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
CUSTOMERS = 2000


_STATEMENTS_AHEAD = WriteSet.statements_ahead


class Sent:
    """What the written-ahead units sent under the lock (wraps `statements_ahead`)."""

    def __init__(self) -> None:
        self.statements: list[int] = []
        self.doc_bytes: list[int] = []

    def install(self) -> None:
        sent = self

        def recorded(unit: WriteSet, stored: Sequence[Any], *args: Any) -> Any:
            statements = _STATEMENTS_AHEAD(unit, stored, *args)
            if statements is not None:
                sent.statements.append(len(statements) + 3)  # with LOCK, INSERT and COMMIT
                sent.doc_bytes.append(sum(len(str(p[-1])) for s, p in statements if "doc" in s))
            return statements

        setattr(WriteSet, "statements_ahead", recorded)  # noqa: B010 (a bench's wrapper)


def _figures(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "median_ms": round(statistics.median(ordered) * 1e3, 3),
        "p90_ms": round(ordered[int(len(ordered) * 0.9)] * 1e3, 3),
    }


class AppendFloor:
    """The floor's append (issue #21): BEGIN, LOCK, INSERT of one row, COMMIT, pipelined in
    one round trip as the recorder sends an authorization, timed the same way."""

    def __init__(self, url: str) -> None:
        self.conn = psycopg.connect(url, autocommit=True)
        self.conn.execute("CREATE TABLE bench_append (id BIGSERIAL PRIMARY KEY, state BYTEA)")

    def append(self) -> float:
        began = time.perf_counter()
        with self.conn.pipeline(), self.conn.cursor() as curs:
            curs.execute("BEGIN")
            curs.execute("LOCK TABLE bench_append IN EXCLUSIVE MODE", prepare=True)
            curs.execute("INSERT INTO bench_append (state) VALUES (%s)", [b"x" * 300], prepare=True)
            curs.execute("COMMIT")
        return time.perf_counter() - began


def run(url: str, requests: int) -> dict[str, Any]:
    """Authorizations of both kinds and the floor's appends, taking turns."""
    from bench import inprocess, seed

    sent = {"plain": Sent(), "idempotent": Sent()}
    with tempfile.TemporaryDirectory() as workdir:
        app, client = inprocess.build(url, Path(workdir), SECRET)
        inprocess.prepare_tenant(client, SECRET)
        rows = (seed.grant_row(i) for i in range(CUSTOMERS))
        inprocess.import_rows(client, SECRET, rows, chunk=CUSTOMERS)
        recorder = app.extensions["registry"].recorder
        auth = inprocess.author_headers(SECRET)
        rng = random.Random(3)
        floor = AppendFloor(url)
        whole: dict[str, list[float]] = {"plain": [], "idempotent": []}
        locked: dict[str, list[float]] = {"plain": [], "idempotent": [], "floor": []}
        for _ in range(requests):
            for mode in ("plain", "idempotent"):
                headers = dict(auth)
                if mode == "idempotent":
                    headers["Idempotency-Key"] = uuid.uuid4().hex
                body = {
                    "customer_id": f"c{rng.randrange(CUSTOMERS)}",
                    "template": seed.TEMPLATE_REF,
                }
                sent[mode].install()
                started = time.perf_counter()
                answer = client.post("/v1/authorizations", json=body, headers=headers)
                whole[mode].append(time.perf_counter() - started)
                if answer.status_code != 201:
                    raise RuntimeError(answer.get_data(as_text=True)[:300])
                locked[mode].append(recorder.last_transaction_seconds)
            locked["floor"].append(floor.append())
        floor.conn.close()
    floor_median = statistics.median(locked["floor"])
    report: dict[str, Any] = {"append floor transaction": _figures(locked["floor"])}
    for mode in ("plain", "idempotent"):
        report[mode] = {
            "request": _figures(whole[mode]),
            "transaction (>= lock hold)": _figures(locked[mode]),
            "transaction / request (medians)": round(
                statistics.median(locked[mode]) / statistics.median(whole[mode]), 3
            ),
            "transaction / floor's (medians)": round(
                statistics.median(locked[mode]) / floor_median, 3
            ),
            "statements under the lock": sorted(set(sent[mode].statements)) or "not written ahead",
            "view document bytes under the lock (median)": (
                statistics.median(sent[mode].doc_bytes) if sent[mode].doc_bytes else None
            ),
        }
    return report


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.authorization_lock")
    parser.add_argument("--requests", type=int, default=400)
    args = parser.parse_args()
    name = f"bench_decide_lock_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(ADMIN, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    try:
        report = run(f"postgresql://postgres@127.0.0.1:5432/{name}", args.requests)
    finally:
        with psycopg.connect(ADMIN, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
