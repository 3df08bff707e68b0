"""`python -m bench.feed_micro`: the change feed (R-FEED) in-process, on SQLite or PostgreSQL.

Seeds a tenant by import (bench.inprocess, as bench.export_micro does: each new customer is
two events, `Registered` and `ConsentGranted`, and the grant is a feed change), in a work
directory that can be kept and reused, then:

- pages through the whole feed with `GET /v1/changes?limit=1000` through the Flask test
  client (token check, query schema, the join, decoding each event, writing and reading
  the JSON: the client reads it with orjson) and reports
  changes read per second and log positions covered per second;
- reads the same rows page by page with the feed's own SQL and nothing else (the raw
  read: the kept items' texts), and reports the feed's rate as a ratio to it;
- reads the same events page by page as the feed did before it kept its items (the
  leaves joined to the events' stored state, fetched and nothing else: the events' raw
  read), and reports the feed's rate as a ratio to that too;
- with `--wake N`, N times: a long poll (`wait=30`) is held in one thread while the main
  thread makes a grant; the delay from the grant's acknowledgement to the poll's answer
  is reported (median, max), beside the poll interval (`REGISTRY_FEED_POLL_MS`).

    python -m bench.feed_micro --workdir /tmp/feed --events 1000000          # SQLite
    python -m bench.feed_micro --workdir /tmp/feedpg --events 1000000 \\
        --database-url postgresql://postgres@127.0.0.1:5432/bench_feed --wake 20
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import orjson

from bench import inprocess, seed

SECRET = "bench-feed-micro-" + "x" * 32
PAGE = 1000
MULTITHREADED = {"wsgi.multithread": True}


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.feed_micro")
    parser.add_argument("--workdir", default="", help="keeps the seeded data (default: temp)")
    parser.add_argument("--database-url", default="", help="default: SQLite in the workdir")
    parser.add_argument("--events", type=int, default=1_000_000, help="log size to seed")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--wake", type=int, default=0, help="long-poll wake-ups to time")
    args = parser.parse_args()
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="bench-feed-"))
    workdir.mkdir(parents=True, exist_ok=True)
    app, client = inprocess.build(args.database_url, workdir, SECRET)
    auth = inprocess.author_headers(SECRET)
    seeded = ensure_seeded(client, auth, args.events)
    print(f"# {seeded['events']} events in the tenant's log, seeded in {seeded['seconds']:.0f} s")
    feed = app.extensions["services"].feed
    tenant = seed.TENANT
    results: list[dict[str, Any]] = []
    for _ in range(args.rounds):
        raw = raw_read(feed, tenant)
        http = feed_read(client, auth)
        events = events_read(feed, tenant)
        assert http["changes"] == raw["rows"] == events["rows"], (http, raw, events)
        results.append(
            {
                "changes": http["changes"],
                "feed_changes_per_s": http["changes"] / http["seconds"],
                "feed_positions_per_s": http["last"] / http["seconds"],
                "raw_rows_per_s": raw["rows"] / raw["seconds"],
                "ratio_to_raw": raw["seconds"] / http["seconds"],
                "events_rows_per_s": events["rows"] / events["seconds"],
                "ratio_to_events_raw": events["seconds"] / http["seconds"],
            }
        )
        print(json.dumps(results[-1]), flush=True)
    best = max(results, key=lambda r: r["feed_changes_per_s"])
    print(
        f"feed: {best['feed_changes_per_s']:,.0f} changes/s "
        f"({best['feed_positions_per_s']:,.0f} log positions/s), "
        f"{best['ratio_to_raw']:.2f} x the raw read of the same rows "
        f"({best['raw_rows_per_s']:,.0f} rows/s), {best['ratio_to_events_raw']:.2f} x the "
        f"events' raw read ({best['events_rows_per_s']:,.0f} rows/s); best of {len(results)}"
    )
    if args.wake:
        delays = wake_delays(client, auth, args.wake)
        interval_ms = app.extensions["settings"].feed_poll_seconds * 1000
        print(
            f"long poll wake-up after a commit: median {statistics.median(delays):.1f} ms, "
            f"max {max(delays):.1f} ms over {len(delays)} (poll interval {interval_ms:.0f} ms)"
        )
    return 0


def ensure_seeded(client: Any, auth: dict[str, str], events: int) -> dict[str, Any]:
    size = _tree_size(client, auth)
    started = time.perf_counter()
    if size == 0:
        inprocess.prepare_tenant(client, SECRET)
        customers = max(1, events // 2)
        inprocess.import_rows(
            client, SECRET, (seed.grant_row(i) for i in range(customers)), chunk=20_000
        )
        size = _tree_size(client, auth)
    return {"events": size, "seconds": time.perf_counter() - started}


def _tree_size(client: Any, auth: dict[str, str]) -> int:
    answer = client.get("/v1/audit/checkpoint", headers=auth)
    assert answer.status_code == 200, answer.get_json()
    return int(answer.get_json()["tree_size"])


def feed_read(client: Any, auth: dict[str, str]) -> dict[str, Any]:
    changes = after = 0
    started = time.perf_counter()
    while True:
        answer = client.get(f"/v1/changes?after_position={after}&limit={PAGE}", headers=auth)
        page = orjson.loads(answer.get_data())  # as a consumer would read it
        if not page["changes"]:
            break
        changes += len(page["changes"])
        after = page["next_after_position"]
    return {"changes": changes, "last": after, "seconds": time.perf_counter() - started}


def raw_read(feed: Any, tenant: str) -> dict[str, Any]:
    """The feed's statement, page by page, rows fetched and nothing else."""
    from registry.domain.feed_items import event_types_of
    from registry.usecases.feed import ALL_KINDS

    db, types = feed.db, event_types_of(ALL_KINDS)
    rows = after = 0
    started = time.perf_counter()
    while True:
        with db.single_statement() as sql:
            page = sql.query(*feed.page_statement(tenant, after, PAGE, types))
        if not page:
            break
        rows += len(page)
        after = int(page[-1][0])
    return {"rows": rows, "seconds": time.perf_counter() - started}


def events_read(feed: Any, tenant: str) -> dict[str, Any]:
    """The feed's events as it read them before it kept its items: the leaves joined to
    the events' stored state, page by page, rows fetched and nothing else."""
    from registry.domain.feed_items import event_types_of
    from registry.usecases.feed import ALL_KINDS

    db, types = feed.db, event_types_of(ALL_KINDS)
    statement = (
        "SELECT l.position, l.event_type, l.occurred_at, l.customer_id, l.template, e.state "
        f"FROM audit_leaves l JOIN {db.events_table} e ON e.{db.position_column} = l.position "
        f"WHERE l.tenant = ? AND l.position > ? AND e.{db.position_column} > ? "
        f"AND l.event_type IN ({','.join('?' * len(types))}) ORDER BY l.position LIMIT ?"
    )
    rows = after = 0
    started = time.perf_counter()
    while True:
        with db.single_statement() as sql:
            page = sql.query(statement, [tenant, after, after, *types, PAGE])
        if not page:
            break
        rows += len(page)
        after = int(page[-1][0])
    return {"rows": rows, "seconds": time.perf_counter() - started}


def wake_delays(client: Any, auth: dict[str, str], rounds: int) -> list[float]:
    delays: list[float] = []
    for n in range(rounds):
        after = _tree_position(client, auth)
        answered: list[float] = []

        def poll(start: int = after, answered: list[float] = answered) -> None:
            client.get(
                f"/v1/changes?after_position={start}&wait=30&kinds=consent",
                headers=auth,
                environ_overrides=MULTITHREADED,
            )
            answered.append(time.perf_counter())

        waiter = threading.Thread(target=poll)
        waiter.start()
        time.sleep(0.2)  # let the poll reach its wait (a benchmark, not a test)
        grant = client.post(
            "/v1/consents",
            json={**seed.grant_row(10**9 + n), "source": {"kind": "api"}},
            headers=auth,
        )
        acknowledged = time.perf_counter()
        assert grant.status_code == 201, grant.get_json()
        waiter.join(timeout=60)
        delays.append((answered[0] - acknowledged) * 1000)
    return delays


def _tree_position(client: Any, auth: dict[str, str]) -> int:
    answer = client.get("/v1/changes?after_position=0&limit=1", headers=auth)
    return int(client.get("/readyz").get_json()["position"]) if answer.status_code == 200 else 0


if __name__ == "__main__":
    raise SystemExit(main())
