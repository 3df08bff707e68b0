"""`python -m bench.report_month --sends N`: the monthly report (R-REPORT) of a month of N
authorizations, timed and measured in a process of its own (`python -m registry.report`,
the same code as the endpoint), on a fresh PostgreSQL database (default) or SQLite.

Seeding writes the month in-process through the registry's bulk write path (customers
registered, granted, then `--per-customer` sends each; every tenth customer opts out by
the link after their last send): events, views and Merkle leaves as the API would. The
measured figures are the report's wall time, its events per second (every customer event
of the month that the report reads), and the report process's peak RSS; the baselines
are the same process reporting an empty month (start-up and imports: peak RSS and time)
and a plain count of the month's leaves (the database's share).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import inprocess, seed

ADMIN = {"host": "127.0.0.1", "port": 5432, "user": "postgres", "dbname": "postgres"}
BATCH_CUSTOMERS = 1_000


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.report_month")
    parser.add_argument("--sends", type=int, default=100_000, help="authorizations in the month")
    parser.add_argument("--per-customer", type=int, default=10)
    parser.add_argument("--sqlite", action="store_true", help="a temporary SQLite file instead")
    parser.add_argument(
        "--keep", metavar="DIR", help="keep the database and keys in DIR (PostgreSQL: named "
        "after it) and, when DIR already holds them, report again without seeding"
    )  # fmt: skip
    args = parser.parse_args()
    kept = Path(args.keep).resolve() if args.keep else None
    tmp = kept or Path(tempfile.mkdtemp(prefix="bench-report-"))
    seeded = kept is not None and (tmp / "seeded").exists()
    name = f"registry_bench_report_{tmp.name if kept else os.getpid()}"
    if args.sqlite:
        url = f"sqlite:///{tmp / 'registry.sqlite3'}"
    else:
        url = f"postgresql://postgres@127.0.0.1:5432/{name}"
        if not seeded:
            _create_database(name)
    try:
        return run(url, tmp, args.sends, args.per_customer, seeded)
    finally:
        if kept is None:
            if not args.sqlite:
                _drop_database(name)
            shutil.rmtree(tmp, ignore_errors=True)


def run(url: str, tmp: Path, sends: int, per_customer: int, seeded: bool) -> int:
    # Seeding builds a batch's Merkle leaves inside its transaction: on a busy shared
    # machine that can pass eventsourcing's 5 s idle-in-transaction limit.
    os.environ.setdefault("POSTGRES_IDLE_IN_TRANSACTION_SESSION_TIMEOUT", "120")
    tmp.mkdir(parents=True, exist_ok=True)
    secret_file = tmp / "jwt_secret"
    if not secret_file.exists():
        secret_file.write_text(secrets.token_urlsafe(32))
    secret = secret_file.read_text()
    app, client = inprocess.build(url, tmp, secret)
    registry = app.extensions["registry"]
    if seeded:
        events = int((tmp / "seeded").read_text())
    else:
        inprocess.prepare_tenant(client, secret)
        started = time.perf_counter()
        events = _seed(registry, sends, per_customer)
        elapsed = time.perf_counter() - started
        (tmp / "seeded").write_text(str(events))
        print(f"seeded {sends:,} sends ({events:,} events) in {elapsed:.1f} s", flush=True)
    env = {
        **os.environ,
        "REGISTRY_DATABASE_URL": url,
        "REGISTRY_JWT_SECRET": secret,
        "REGISTRY_VAR_DIR": str(tmp / "var"),
    }
    month = datetime.now(UTC).strftime("%Y-%m")
    empty = _report_process(env, "2001-01")
    full = _report_process(env, month)
    report = json.loads(full["stdout"])
    assert report["summary"]["authorized"] == sends, report["summary"]
    counted = _count_month_leaves(registry, report)
    read_s, read_cpu_s, streamed = _read_only(registry, report)
    # what the report reads: the sends and the opt-outs (every tenth customer's)
    read_events = sends + (sends // per_customer + 9) // 10
    result = {
        "backend": url.split(":", 1)[0],
        "sends": sends,
        "customers": sends // per_customer,
        "events_in_month": events,
        "events_read": read_events,
        "report_s": round(full["seconds"], 2),
        "report_events_per_s": round(read_events / full["seconds"]),
        "report_peak_rss_mb": full["peak_rss_mb"],
        "report_cpu_s": round(full["cpu_s"], 2),
        "empty_month_s": round(empty["seconds"], 2),
        "empty_month_cpu_s": round(empty["cpu_s"], 2),
        "empty_month_peak_rss_mb": empty["peak_rss_mb"],
        "rss_growth_over_empty_mb": round(full["peak_rss_mb"] - empty["peak_rss_mb"], 1),
        "count_leaves_s": round(counted, 2),
        "read_only_s": round(read_s, 2),
        "read_only_cpu_s": round(read_cpu_s, 2),
        "read_only_events": streamed,
        "report_over_read_only": round((full["seconds"] - empty["seconds"]) / read_s, 2),
        "report_over_count": round(full["seconds"] / counted, 1) if counted else None,
        "us_per_event": round((full["seconds"] - empty["seconds"]) / read_events * 1e6, 1),
        "client_cpu_us_per_event": round((full["cpu_s"] - empty["cpu_s"]) / read_events * 1e6, 1),
        "load_average": os.getloadavg()[0],
    }
    print(json.dumps(result, indent=2))
    return 0


def _seed(registry: Any, sends: int, per_customer: int) -> int:
    """Customers with `per_customer` sends each, written a batch of customers at a time."""
    from registry.domain.customer import Customer
    from registry.store.bulk_writes import BulkWriteSet

    template = {"name": seed.TEMPLATE_REF["name"], "language": "ru", "version": 1}
    customers = sends // per_customer
    written = 0
    for first in range(0, customers, BATCH_CUSTOMERS):
        aggregates = []
        for number in range(first, min(customers, first + BATCH_CUSTOMERS)):
            now = datetime.now(UTC)
            customer = Customer.register(seed.TENANT, f"m{number}", {})
            customer.grant(
                receipt_id=f"rcpt_{number}",
                channel="whatsapp",
                purposes=["promotions"],
                source={"kind": "import"},
                granted_at=now,
                expires_at=None,
            )
            for send in range(per_customer):
                customer.authorize_send(
                    authorization_id=f"auth_{number}_{send}",
                    channel="whatsapp",
                    template=template,
                    purpose="promotions",
                    authorized_at=now,
                    message_ref=None,
                )
            if number % 10 == 0:
                customer.withdraw(
                    channel="whatsapp", purposes=["promotions"], source={"kind": "link"},
                    withdrawn_at=now,
                )  # fmt: skip
            aggregates.append(customer)
        write_set = BulkWriteSet(**vars(registry._write_set(seed.TENANT, aggregates, {}, None)))
        pending = [event for customer in aggregates for event in customer.collect_events()]
        stored = [registry.mapper.to_stored_event(event) for event in pending]
        registry.write_stored(
            seed.TENANT, stored, write_set, {}, aggregates=aggregates, events=pending
        )
        written += len(stored)
    return written


# The child reports its own peak RSS (VmHWM of its own memory map): a forked child's
# ru_maxrss starts at the parent's peak (Linux keeps it across exec), so wait4's figure
# would be this seeding process's.
_MEASURED_CLI = """
import sys
from registry.report import main
code = main(sys.argv[1:])
hwm = [l for l in open("/proc/self/status") if l.startswith("VmHWM:")][0].split()[1]
print("peak_rss_kb", hwm, file=sys.stderr)
sys.exit(code)
"""


def _report_process(env: dict[str, str], month: str) -> dict[str, Any]:
    """The CLI's wall time, its CPU time (wait4: that child alone) and its peak RSS."""
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        child = subprocess.Popen(
            [sys.executable, "-c", _MEASURED_CLI, month, "--tenant", seed.TENANT],
            env=env, stdout=out, stderr=err,
        )  # fmt: skip
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - started
        err.seek(0)
        errors = err.read().decode("utf-8", "replace")
        if child.returncode != 0:
            raise RuntimeError(
                f"registry.report {month} exited {child.returncode}: {errors[-500:]}"
            )
        out.seek(0)
        stdout = out.read().decode("utf-8")
    peak = int(errors.rsplit("peak_rss_kb", 1)[1].split()[0])
    return {
        "stdout": stdout,
        "seconds": seconds,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "peak_rss_mb": round(peak / 1024, 1),
    }


def _read_only(registry: Any, report: dict[str, Any]) -> tuple[float, float, int]:
    """The report's read alone (the same statement, rows decoded, nothing counted):
    wall and this process's CPU seconds, and the events read."""
    from datetime import timedelta

    from registry.reports.figures import CUSTOMER_EVENT_TYPES
    from registry.reports.reader import customer_events

    start = datetime.fromisoformat(report["period"]["start"])
    end = datetime.fromisoformat(report["period"]["end"])
    slack = timedelta(hours=report["attribution_hours"])
    started, cpu = time.perf_counter(), time.process_time()
    events = sum(
        1
        for _ in customer_events(
            registry.db, seed.TENANT, since=start - slack, until=end + slack,
            size=report["checkpoint"]["tree_size"], event_types=CUSTOMER_EVENT_TYPES,
        )
    )  # fmt: skip
    return time.perf_counter() - started, time.process_time() - cpu, events


def _count_month_leaves(registry: Any, report: dict[str, Any]) -> float:
    from audit.reads import time_key

    started = time.perf_counter()
    with registry.db.transaction() as sql:
        sql.scalar(
            "SELECT count(*) FROM audit_leaves WHERE tenant = ? AND occurred_key >= ?",
            [seed.TENANT, time_key(report["period"]["start"])],
        )
    return time.perf_counter() - started


def _create_database(name: str) -> None:
    import psycopg

    with psycopg.connect(**ADMIN, autocommit=True) as conn:  # type: ignore[arg-type]
        conn.execute(f'CREATE DATABASE "{name}"')


def _drop_database(name: str) -> None:
    import psycopg

    with psycopg.connect(**ADMIN, autocommit=True) as conn:  # type: ignore[arg-type]
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    sys.exit(main())
