"""`python -m bench.rebuild_micro`: the projection rebuild, before and after, in one run.

Seeds a registry in-process (policy, an approved template, N customers by import: two or
three events each, depending on the Customer.Registered version, plus 50 customers with
~20 events), then times the per-aggregate rebuild of the previous commit (kept below as
`rebuild_per_aggregate`) and `registry.projections.rebuild.rebuild` alternately, each on
a freshly built registry
(cold aggregate cache, like `make rebuild`), once into an emptied view table and once
over the live rows. After every run the views must equal the live ones exactly. The
machine is shared and noisy: compare the ratio from one run, not figures across runs.

    python -m bench.rebuild_micro [--customers 10000] [--rounds 2]
        [--database-url postgresql://postgres@127.0.0.1:5432/rebuild_micro]

A PostgreSQL database that does not exist yet is created and dropped afterwards.
"""

from __future__ import annotations

import argparse
import json
import secrets
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from uuid import UUID

from bench import inprocess, seed
from registry.application import Registry
from registry.bootstrap import build_registry
from registry.config import Settings, load_settings, parse_database_url
from registry.domain.base import RegistryAggregate, acting_as
from registry.projections.documents import view_of
from registry.projections.rebuild import rebuild
from registry.store.unit_of_work import UPSERT_VIEW, view_row

IMPORT_CHUNK = 5000
LONG_HISTORIES = 50  # customers with ~20 events each (opt-outs, re-grants, erasure)
SCENARIOS = {
    "empty": "into an empty view table",
    "over": "over the live rows (as beside a running server)",
}


def rebuild_per_aggregate(registry: Registry) -> int:
    """The rebuild before batching: `repository.get` and one transaction per aggregate."""
    seen: set[UUID] = set()
    written = 0
    start = 0
    while True:
        notifications = registry.recorder.select_notifications(
            start, 1000, inclusive_of_start=False
        )
        if not notifications:
            return written
        for notification in notifications:
            aggregate_id = notification.originator_id
            if isinstance(aggregate_id, UUID) and aggregate_id not in seen:
                seen.add(aggregate_id)
                aggregate: object = registry.repository.get(aggregate_id)
                view = view_of(aggregate) if isinstance(aggregate, RegistryAggregate) else None
                if isinstance(aggregate, RegistryAggregate) and view is not None:
                    with registry.db.transaction(commit=True) as sql:
                        position = max(
                            registry.db.positions_of(
                                sql, view.aggregate_id, [view.version]
                            ).values(),
                            default=0,
                        )
                        sql.execute(UPSERT_VIEW, view_row(aggregate.tenant, view, position))
                    written += 1
        start = notifications[-1].id


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.rebuild_micro")
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=2, help="runs of each rebuild")
    parser.add_argument("--database-url", default="", help="default: a temporary SQLite file")
    parser.add_argument("--new-only", action="store_true", help="skip the old rebuild")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-rebuild-"))
    url = args.database_url or f"sqlite:///{tmp / 'registry.sqlite3'}"
    created = _create_postgres_database(url)
    try:
        return run(args, url, tmp)
    finally:
        if created:
            _drop_postgres_database(url)
        shutil.rmtree(tmp, ignore_errors=True)


def run(args: argparse.Namespace, url: str, tmp: Path) -> int:
    secret = secrets.token_urlsafe(32)
    settings = load_settings(
        {
            "REGISTRY_DATABASE_URL": url,
            "REGISTRY_JWT_SECRET": secret,
            "REGISTRY_VAR_DIR": str(tmp / "var"),
        }
    )
    t0 = time.perf_counter()
    _seed(url, tmp, secret, args.customers)
    print(f"seeded {args.customers} customers in {time.perf_counter() - t0:.1f} s")
    live = _views(settings)
    events = _event_count(settings)
    print(f"{events} events, {len(live)} views ({settings.database.dialect})")

    candidates: dict[str, Callable[[Registry], int]] = {"new": rebuild}
    if not args.new_only:
        candidates = {"old": rebuild_per_aggregate, **candidates}
    timings: dict[tuple[str, str], list[float]] = {}
    for round_ in range(1, args.rounds + 1):
        for scenario in SCENARIOS:
            for name, function in candidates.items():
                seconds = _timed(settings, function, len(live), empty=scenario == "empty")
                if _views(settings) != live:
                    raise SystemExit(f"{name}: the rebuilt views differ from the live ones")
                timings.setdefault((scenario, name), []).append(seconds)
                print(
                    f"round {round_} {scenario:>5} {name}: {seconds:6.2f} s, "
                    f"{events / seconds:9,.0f} events/s"
                )
    print(f"best of {args.rounds} ({settings.database.dialect}, {events} events):")
    for scenario in SCENARIOS:
        best = {name: min(timings[(scenario, name)]) for name in candidates}
        figures = ", ".join(f"{name} {events / s:,.0f} events/s" for name, s in best.items())
        ratio = f", new/old {best['old'] / best['new']:.1f}x" if "old" in best else ""
        print(f"  {SCENARIOS[scenario]}: {figures}{ratio}")
    return 0


def _timed(
    settings: Settings, function: Callable[[Registry], int], views: int, *, empty: bool
) -> float:
    """One rebuild on a freshly built registry (a cold aggregate cache, as in `make rebuild`)."""
    registry = build_registry(settings)
    try:
        if empty:
            with registry.db.transaction(commit=True) as sql:
                sql.execute("DELETE FROM registry_views")
        t0 = time.perf_counter()
        written = function(registry)
        seconds = time.perf_counter() - t0
    finally:
        registry.close()
    if written != views:
        raise SystemExit(f"{function.__name__} wrote {written} views, expected {views}")
    return seconds


def _seed(url: str, workdir: Path, secret: str, customers: int) -> None:
    app, client = inprocess.build(url, workdir, secret)
    inprocess.prepare_tenant(client, secret)
    rows = (seed.grant_row(i) for i in range(customers))
    inprocess.import_rows(client, secret, rows, chunk=IMPORT_CHUNK)
    registry = app.extensions["registry"]
    consents = app.extensions["services"].consents
    with acting_as("bench-author"):
        for i in range(min(LONG_HISTORIES, customers)):
            for _ in range(6):
                consents.opt_out(seed.TENANT, f"c{i}", "whatsapp", "all", {"kind": "api"})
                consents.grant(seed.TENANT, seed.grant_row(i))
            if i % 5 == 0:
                consents.erase(seed.TENANT, f"c{i}", "bench")
    registry.close()


def _views(settings: Settings) -> dict[tuple[str, str, str], tuple[Any, ...]]:
    registry = build_registry(settings)
    try:
        with registry.db.transaction() as sql:
            rows = sql.query("SELECT tenant, kind, key, version, position, doc FROM registry_views")
    finally:
        registry.close()
    return {(t, k, key): (int(v), int(p), json.loads(doc)) for t, k, key, v, p, doc in rows}


def _event_count(settings: Settings) -> int:
    registry = build_registry(settings)
    try:
        with registry.db.transaction() as sql:
            return int(sql.scalar(f"SELECT COUNT(*) FROM {registry.db.events_table}"))
    finally:
        registry.close()


def _create_postgres_database(url: str) -> bool:
    database = parse_database_url(url)
    if database.dialect != "postgres":
        return False
    from psycopg import sql

    with _admin_connection(database) as conn:
        if conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (database.name,)
        ).fetchone():
            return False
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database.name)))
    return True


def _drop_postgres_database(url: str) -> None:
    from psycopg import sql

    database = parse_database_url(url)
    with _admin_connection(database) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database.name))
        )


def _admin_connection(database: Any) -> Any:
    """An autocommit connection to the `postgres` database of `database`'s server."""
    import psycopg

    return psycopg.connect(
        host=database.host,
        port=database.port,
        user=database.user,
        password=database.password or None,
        dbname="postgres",
        autocommit=True,
    )


if __name__ == "__main__":
    raise SystemExit(main())
