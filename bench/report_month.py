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
import hashlib
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
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
        "--no-outcomes", action="store_true",
        help="authorizations and opt-outs only, as before outcomes were recorded",
    )  # fmt: skip
    parser.add_argument(
        "--seed-only", action="store_true", help="seed (with --keep) and report nothing"
    )
    parser.add_argument(
        "--writers", type=int, default=1, help="seed in this many processes (batches dealt round)"
    )
    parser.add_argument("--from-customer", type=int, default=0, help="seed customers from here on")
    parser.add_argument("--seed-part", help=argparse.SUPPRESS)  # K/N: a writer's share
    parser.add_argument(
        "--keep", metavar="DIR", help="keep the database and keys in DIR (PostgreSQL: named "
        "after it) and, when DIR already holds them, report again without seeding"
    )  # fmt: skip
    args = parser.parse_args()
    if args.writers > 1 and (args.sqlite or not args.keep):
        parser.error("--writers needs PostgreSQL and --keep DIR")
    kept = Path(args.keep).resolve() if args.keep else None
    tmp = kept or Path(tempfile.mkdtemp(prefix="bench-report-"))
    seeded = kept is not None and (tmp / "seeded").exists()
    name = f"registry_bench_report_{tmp.name if kept else os.getpid()}"
    if args.sqlite:
        url = f"sqlite:///{tmp / 'registry.sqlite3'}"
    else:
        url = f"postgresql://postgres@127.0.0.1:5432/{name}"
        if not seeded and not args.seed_part and not args.from_customer:
            _create_database(name)
    if args.seed_part:
        return _seed_part(url, tmp, args)
    try:
        return run(url, tmp, args, seeded)
    finally:
        if kept is None:
            if not args.sqlite:
                _drop_database(name)
            shutil.rmtree(tmp, ignore_errors=True)


def run(url: str, tmp: Path, args: argparse.Namespace, seeded: bool) -> int:
    sends, per_customer = args.sends, args.per_customer
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
        if not args.from_customer:
            inprocess.prepare_tenant(client, secret)
        started = time.perf_counter()
        events = (
            _seed_in_writers(args)
            if args.writers > 1
            else _seed(
                registry, sends, per_customer, not args.no_outcomes, (args.from_customer, 0, 1)
            )
        )
        elapsed = time.perf_counter() - started
        (tmp / "seeded").write_text(str(events))
        print(f"seeded {sends:,} sends ({events:,} events) in {elapsed:.1f} s", flush=True)
    if args.seed_only:
        return 0
    env = {
        **os.environ,
        "REGISTRY_DATABASE_URL": url,
        "REGISTRY_JWT_SECRET": secret,
        "REGISTRY_VAR_DIR": str(tmp / "var"),
    }
    month = datetime.now(UTC).strftime("%Y-%m")
    load_before = os.getloadavg()
    # the baseline: the same month of a log of one leaf (start-up, imports, signing); a
    # past month is no baseline, as it reads the outcomes recorded after it
    empty = _report_process(env, month, "--tree-size", "1")
    full = _report_process(env, month)
    report = json.loads(full["stdout"])
    assert report["summary"]["authorized"] == sends, report["summary"]
    read_s, read_cpu_s, streamed = _read_only(registry, report)
    raw_s, raw_cpu_s, raw_rows, raw_bytes = _raw_read(registry, report)
    assert raw_rows == streamed, (raw_rows, streamed)
    report_s = full["seconds"] - empty["seconds"]
    result = {
        "backend": url.split(":", 1)[0],
        "sends": sends,
        "customers": sends // per_customer,
        "outcomes": report["outcomes"]["available"] and not args.no_outcomes,
        "events_in_log": report["checkpoint"]["tree_size"],
        "events_read": streamed,
        "state_mb_read": round(raw_bytes / 2**20),
        "report_s": round(full["seconds"], 2),
        "report_cpu_s": round(full["cpu_s"], 2),
        "report_peak_rss_mb": full["peak_rss_mb"],
        "baseline_s": round(empty["seconds"], 2),
        "baseline_cpu_s": round(empty["cpu_s"], 2),
        "baseline_peak_rss_mb": empty["peak_rss_mb"],
        "rss_growth_over_baseline_mb": round(full["peak_rss_mb"] - empty["peak_rss_mb"], 1),
        "read_only_s": round(read_s, 2),
        "read_only_cpu_s": round(read_cpu_s, 2),
        "raw_read_s": round(raw_s, 2),
        "raw_read_cpu_s": round(raw_cpu_s, 2),
        "report_over_raw_read": round(report_s / raw_s, 2),
        "report_over_read_only": round(report_s / read_s, 2),
        "read_only_over_raw_read": round(read_s / raw_s, 2),
        "report_events_per_s": round(streamed / report_s) if report_s > 0 else None,
        "client_cpu_us_per_event": round((full["cpu_s"] - empty["cpu_s"]) / streamed * 1e6, 2),
        "load_average_before": load_before,
        "load_average_after": os.getloadavg(),
    }
    print(json.dumps(result, indent=2))
    return 0


def _seed_in_writers(args: argparse.Namespace) -> int:
    """Seeds the month in `args.writers` processes of this module (`--seed-part K/N`:
    every Nth batch of customers from the Kth); returns the events written."""
    command = [sys.executable, "-m", "bench.report_month", "--keep", args.keep]
    command += ["--sends", str(args.sends), "--per-customer", str(args.per_customer)]
    command += ["--from-customer", str(args.from_customer)]
    command += ["--sqlite"] * args.sqlite + ["--no-outcomes"] * args.no_outcomes
    writers = [
        subprocess.Popen([*command, "--seed-part", f"{k}/{args.writers}"], stdout=subprocess.PIPE)
        for k in range(args.writers)
    ]
    written = 0
    for writer in writers:
        out, _ = writer.communicate()
        if writer.returncode != 0:
            raise RuntimeError(f"a seeding writer exited {writer.returncode}")
        written += int(out.decode().split()[-1])
    return written


def _seed_part(url: str, tmp: Path, args: argparse.Namespace) -> int:
    """A writer's share of the seeding; prints the events it wrote last."""
    os.environ.setdefault("POSTGRES_IDLE_IN_TRANSACTION_SESSION_TIMEOUT", "120")
    part, parts = (int(n) for n in args.seed_part.split("/"))
    app, _ = inprocess.build(url, tmp, (tmp / "jwt_secret").read_text())
    batches = (args.from_customer, part, parts)
    written = _seed(
        app.extensions["registry"], args.sends, args.per_customer, not args.no_outcomes, batches
    )
    print(written, flush=True)
    return 0


def _seed(
    registry: Any,
    sends: int,
    per_customer: int,
    outcomes: bool,
    batches: tuple[int, int, int] = (0, 0, 1),
) -> int:
    """Customers with `per_customer` sends each, written a batch of customers at a time
    (`batches`: from customer `start`, the `part`th of every `parts` batches);
    with `outcomes`, each send's statuses (`outcome_statuses`) and every tenth customer's
    opt-out attributed to their last send, as the registry records them (SPEC §11)."""
    from registry.store.bulk_writes import BulkWriteSet

    customers = sends // per_customer
    written = 0
    start, part, parts = batches
    for first in range(start + part * BATCH_CUSTOMERS, customers, BATCH_CUSTOMERS * parts):
        aggregates: list[Any] = []
        for number in range(first, min(customers, first + BATCH_CUSTOMERS)):
            aggregates += _customer_month(number, per_customer, outcomes)
        write_set = BulkWriteSet(
            **vars(registry.writer.write_set(seed.TENANT, aggregates, {}, None))
        )
        pending = [event for aggregate in aggregates for event in aggregate.collect_events()]
        stored = [registry.mapper.to_stored_event(event) for event in pending]
        registry.writer.write_stored(
            seed.TENANT, stored, write_set, {}, aggregates=aggregates, events=pending
        )
        written += len(stored)
    return written


def _customer_month(number: int, per_customer: int, outcomes: bool) -> list[Any]:
    """One customer (registered, granted, `per_customer` sends, every tenth opting out by
    the link) and, with `outcomes`, the `Send` aggregates of their sends."""
    from registry.domain.customer import Customer

    template = {"name": seed.TEMPLATE_REF["name"], "language": "ru", "version": 1}
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
    aggregates: list[Any] = [customer]
    for send in range(per_customer):
        authorization_id = f"auth_{number}_{send}"
        customer.authorize_send(
            authorization_id=authorization_id,
            channel="whatsapp",
            template=template,
            purpose="promotions",
            authorized_at=now,
            message_ref=None,
        )
        if outcomes:
            aggregates.append(_send_with_outcomes(customer, authorization_id, template, now))
    if number % 10 == 0:
        customer.withdraw(
            channel="whatsapp", purposes=["promotions"], source={"kind": "link"},
            withdrawn_at=now,
        )  # fmt: skip
        if outcomes:
            customer.attribute_feedback(
                kind="opted_out", cause="Customer.ConsentWithdrawn", at=now,
                source_kind="link", purposes=["promotions"], channel="whatsapp",
                within=timedelta(hours=72),
            )  # fmt: skip
    return aggregates


def outcome_statuses(authorization_id: str) -> list[str]:
    """A send's statuses, spread as a busy month's are (a fixed hash of its id): every
    send `sent`; 2 % `failed`, the rest `delivered`; of those 60 % `read`, 4 % `replied`,
    3 % `clicked`, 1 % `converted` and 0.3 % `complained`."""
    bucket = int.from_bytes(hashlib.blake2b(authorization_id.encode(), digest_size=4).digest())
    per_mille = bucket % 1000
    if per_mille < 20:
        return ["sent", "failed"]
    statuses = ["sent", "delivered"]
    for name, (low, high) in _SPREAD.items():
        if low <= (bucket // 1000) % 1000 < high:
            statuses.append(name)
    return statuses


_SPREAD = {
    "read": (0, 600),
    "replied": (0, 40),
    "clicked": (40, 70),
    "converted": (70, 80),
    "complained": (997, 1000),
}


def _send_with_outcomes(
    customer: Any, authorization_id: str, template: dict[str, Any], now: datetime
) -> Any:
    from registry.domain.send import Send, SendIdentity

    identity = SendIdentity(
        authorization_id, customer.customer_id, "whatsapp", template, "promotions", now
    )
    send = Send.open(seed.TENANT, identity, None)
    for status in outcome_statuses(authorization_id):
        send.record_outcome(status=status, at=now, error_code=None, detail=None, source="api")
    return send


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


def _report_process(env: dict[str, str], month: str, *options: str) -> dict[str, Any]:
    """The CLI's wall time, its CPU time (wait4: that child alone) and its peak RSS."""
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        child = subprocess.Popen(
            [sys.executable, "-c", _MEASURED_CLI, month, "--tenant", seed.TENANT, *options],
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

    from registry.reports.figures import CUSTOMER_EVENT_TYPES, OUTCOME_EVENT_TYPES
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
            late_types=OUTCOME_EVENT_TYPES if report["outcomes"]["available"] else (),
        )
    )  # fmt: skip
    return time.perf_counter() - started, time.process_time() - cpu, events


def _raw_read(registry: Any, report: dict[str, Any]) -> tuple[float, float, int, int]:
    """The floor: the same events read page by page in log order (keyset pages of
    `PAGE` leaves joined to their events, the state's bytes fetched, nothing decoded).
    Wall and CPU seconds, rows and state bytes. The month is the whole log here, so
    every customer event of the bench's types is one the report reads."""
    from registry.reports.figures import CUSTOMER_EVENT_TYPES, OUTCOME_EVENT_TYPES
    from registry.reports.reader import PAGE

    types = [*CUSTOMER_EVENT_TYPES, *OUTCOME_EVENT_TYPES]
    db = registry.db
    statement = (
        f"SELECT l.leaf_index, e.state FROM audit_leaves l JOIN {db.events_table} e "
        f"ON e.{db.position_column} = l.position WHERE l.tenant = ? AND l.leaf_index >= ? "
        "AND l.leaf_index < ? "
        f"AND l.customer_id IS NOT NULL AND l.event_type IN ({', '.join('?' * len(types))}) "
        f"ORDER BY l.leaf_index LIMIT {PAGE}"
    )
    from psycopg.rows import tuple_row

    size = report["checkpoint"]["tree_size"]
    started, cpu = time.perf_counter(), time.process_time()
    rows = state_bytes = after = 0
    postgres = db.dialect == "postgres"
    if postgres:
        statement = statement.replace("?", "%s")
    while True:
        with db.transaction() as sql:
            if postgres:  # the report's reader fetches binary too (bytes, not hex text)
                connection = sql.cursor.connection
                with connection.cursor(binary=True, row_factory=tuple_row) as cursor:
                    page = cursor.execute(statement, [seed.TENANT, after, size, *types]).fetchall()
            else:
                page = sql.query(statement, [seed.TENANT, after, size, *types])
        if not page:
            break
        rows += len(page)
        state_bytes += sum(len(state) for _, state in page)
        after = int(page[-1][0]) + 1
    return time.perf_counter() - started, time.process_time() - cpu, rows, state_bytes


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
