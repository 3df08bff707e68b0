"""`python -m bench.import_micro`: in-process throughput of `POST /v1/consents/import`
(NDJSON rows as `bench.seed.grant_row`, new customers each batch) through the Flask
test client on a temporary SQLite registry or on `--database-url`. Prints rows/s per
batch and overall; `--profile` prints a pyinstrument (or cProfile) profile of one batch.

Wall time on a shared machine is noisy; the CPU seconds per batch are steadier: this
process's, and on a local PostgreSQL the server's (its backends serving this database,
read from /proc), which is where half of an import's work is done. The last line gives
the process's peak resident memory."""

from __future__ import annotations

import argparse
import json
import os
import resource
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import inprocess, seed
from bench.cpu import process_ticks


def main() -> int:
    tmp = Path(tempfile.mkdtemp(prefix="bench-import-"))
    try:
        return run(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run(tmp: Path) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.import_micro")
    parser.add_argument("--rows", type=int, default=10_000, help="rows per request")
    parser.add_argument("--batches", type=int, default=3)
    parser.add_argument("--database-url", default="", help="default: a temporary SQLite file")
    parser.add_argument("--profile", action="store_true", help="profile one extra batch")
    args = parser.parse_args()

    secret = secrets.token_urlsafe(32)
    _, client = inprocess.build(args.database_url, tmp, secret)
    headers = {**inprocess.author_headers(secret), "Content-Type": "application/x-ndjson"}
    first = _first_free_customer(client, headers)

    def batch(number: int) -> float:
        lo = first + number * args.rows
        body = "\n".join(json.dumps(seed.grant_row(i)) for i in range(lo, lo + args.rows))
        server_started = server.cpu()
        started, cpu_started = time.perf_counter(), time.process_time()
        answer = client.post("/v1/consents/import", data=body.encode() + b"\n", headers=headers)
        elapsed = time.perf_counter() - started
        cpu[number] = time.process_time() - cpu_started
        server_cpu[number] = server.cpu() - server_started
        assert answer.status_code == 201, answer.get_data(as_text=True)[:500]
        assert answer.get_json()["imported"] == args.rows
        return elapsed

    rates = []
    cpu: dict[int, float] = {}
    server_cpu: dict[int, float] = {}
    server = _ServerCpu(args.database_url)
    for number in range(args.batches):
        elapsed = batch(number)
        rates.append(args.rows / elapsed)
        print(
            f"batch {number + 1}: {args.rows} rows in {elapsed:.2f} s = {rates[-1]:,.0f} rows/s "
            f"(this process's CPU {cpu[number]:.2f} s, server CPU {server_cpu[number]:.2f} s)"
        )
    total = args.rows * args.batches / sum(args.rows / r for r in rates)
    print(
        f"overall {total:,.0f} rows/s, median {statistics.median(rates):,.0f} rows/s "
        f"({'postgres' if args.database_url.startswith('postgres') else 'sqlite'})"
    )
    rows = args.rows * args.batches
    print(
        f"CPU per row: this process {sum(cpu.values()) / rows * 1e6:.1f} µs, "
        f"server {sum(server_cpu.values()) / rows * 1e6:.1f} µs; "
        f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB"
    )
    if args.profile:
        inprocess.profile_call(lambda: batch(args.batches), lines=50)
    return 0


class _ServerCpu:
    """CPU seconds used so far by the local PostgreSQL backends connected to the
    benchmark's database (0 on SQLite, or when /proc cannot be read)."""

    def __init__(self, database_url: str) -> None:
        self.conn: Any = None
        if database_url.startswith("postgres"):
            import psycopg

            self.conn = psycopg.connect(database_url, autocommit=True)
        self.ticks = os.sysconf("SC_CLK_TCK")

    def cpu(self) -> float:
        if self.conn is None:
            return 0.0
        rows = self.conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        ).fetchall()
        return sum(process_ticks(pid) for (pid,) in rows) / self.ticks


def _first_free_customer(client: Any, headers: dict[str, str]) -> int:
    """Rows start after customers imported by earlier runs on the same database."""
    start = 0
    while True:
        answer = client.get(f"/v1/customers/c{start}", headers=headers)
        if answer.status_code == 404:
            return start
        start += 1_000_000


if __name__ == "__main__":
    sys.exit(main())
