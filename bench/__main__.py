"""`python -m bench` (`make bench`): wrk against gunicorn on SQLite and PostgreSQL.

For each backend one server (`gunicorn wsgi:app -w 4`) on a fresh database; for each size
the customers are topped up by import, then measured in this order: /healthz (the ceiling),
single decisions, batch decisions, authorizations, grants, projection rebuild, audit export.
Each load also reports the CPU per request of the app's workers, the PostgreSQL backends
and wrk (bench/cpu.py): where the time of a route goes, beside its rate.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import time
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

import requests

from bench import cpu, report, seed, wrk
from bench.floor.app import prepare_append_table
from bench.server import PG_ADMIN, Server, Workers

FLOOR_APP = "bench.floor.app:app"
DEFAULT_SIZES = "10000,100000,1000000"
DEFAULT_SKIP = ""
WORKER_CLASS = "sync"
THREADS = 4
SKIPPABLE = {"floor", "rebuild", "export", "grant", "healthz", "decision", "batch", "authorization"}


def machine() -> dict[str, Any]:
    mem_kib = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem_kib = int(line.split()[1])
    cpu = ""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    pg = ""
    try:
        import psycopg

        with psycopg.connect(**PG_ADMIN) as c:
            row = c.execute("SHOW server_version").fetchone()
            pg = str(row[0]) if row else ""
    except Exception:
        pass
    wrk_version = subprocess.run(
        [wrk.WRK, "-v"], capture_output=True, text=True
    ).stdout.splitlines()
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "memory_gib": round(mem_kib / 1024 / 1024, 1),
        "python": platform.python_version(),
        "kernel": platform.release(),
        "postgres": pg,
        "wrk": wrk_version[0] if wrk_version else "",
    }


def uptime() -> str:
    """`uptime`'s line: the machine's load when the figures were taken."""
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def tree_size(base: str, token: str) -> int:
    answer = requests.get(
        base + "/v1/audit/checkpoint", headers={"Authorization": f"Bearer {token}"}
    )
    answer.raise_for_status()
    return int(answer.json()["tree_size"])


def rebuild(server: Server, events: int) -> dict[str, Any]:
    t0 = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-m", "registry.projections.rebuild"],
        env=server.env, cwd=server.tmp, capture_output=True, text=True, check=True,
    )  # fmt: skip
    seconds = time.perf_counter() - t0
    # The process's wall time includes its start-up (imports, pool, schema check: about
    # half a second); the command also prints the rebuild's own time.
    found = re.search(r"in ([0-9.]+) s", out.stdout)
    rebuild_seconds = float(found[1]) if found else float("nan")
    return {
        "seconds": seconds,
        "events": events,
        "events_per_s": events / seconds,
        "rebuild_seconds": rebuild_seconds,
        "rebuild_only_events_per_s": events / rebuild_seconds if rebuild_seconds else float("nan"),
        "output": out.stdout.strip(),
    }


def export(server: Server, token: str) -> dict[str, Any]:
    """Streams the whole trail; the peak RSS is the export's own: the workers' peaks are
    reset first, since an earlier import request may have set them."""
    lifetime = server.worker_memory_kib()
    reset = server.reset_peak_memory()
    before = server.worker_memory_kib()
    lines = events = 0
    t0 = time.perf_counter()
    with requests.get(
        server.url + "/v1/audit/events",
        headers={"Authorization": f"Bearer {token}"},
        stream=True,
        timeout=900,
    ) as answer:
        answer.raise_for_status()
        for line in answer.iter_lines(chunk_size=1 << 16):
            if not line:
                continue
            lines += 1
            if (
                line.startswith(b'{"kind":"event"')
                or b'"kind": "event"' in line[:40]
                or b'"kind":"event"' in line[:40]
            ):
                events += 1
    seconds = time.perf_counter() - t0
    after = server.worker_memory_kib()
    peak = max((m.get("VmHWM", 0) for m in after.values()), default=0)
    grew = {pid: after[pid].get("VmHWM", 0) - before.get(pid, {}).get("VmHWM", 0) for pid in after}
    return {
        "seconds": seconds,
        "lines": lines,
        "events": events,
        "events_per_s": events / seconds if seconds else 0.0,
        "peak_rss_mb": peak / 1024,
        "peak_growth_mb": max(grew.values(), default=0) / 1024,
        "rss_before_mb": {str(k): v.get("VmRSS", 0) / 1024 for k, v in before.items()},
        "peak_reset": reset,
        "lifetime_peak_rss_mb": max((m.get("VmHWM", 0) for m in lifetime.values()), default=0)
        / 1024,
    }


# (load, the server it runs against): each registry load right after its floor load, so
# that the two meet the machine in the same state.
FLOOR_LOADS = (
    ("healthz", "registry"),
    ("floor_single", "floor"),
    ("decision", "registry"),
    ("floor_batch", "floor"),
    ("batch", "registry"),
    ("floor_append", "floor"),
    ("authorization", "registry"),
    ("grant", "registry"),
)
LOADS = tuple(load for load in FLOOR_LOADS if load[1] == "registry")
# a floor load is skipped with the registry load it is the floor of
FLOOR_OF = {"floor_single": "decision", "floor_batch": "batch", "floor_append": "authorization"}


@dataclass(frozen=True)
class Plan:
    sizes: list[int]
    duration: int
    workers: Workers
    connections: int = 32
    chunk: int = seed.CHUNK
    parallel_imports: int = 2
    skip: frozenset[str] = frozenset()


def bench_backend(backend: str, plan: Plan, save: Any = None) -> list[dict[str, Any]]:
    runs = []
    with ExitStack() as stack:
        server = stack.enter_context(Server(backend, plan.workers))
        floor = None
        if backend == "postgres" and "floor" not in plan.skip:
            prepare_append_table(server.database_url)
            floor = stack.enter_context(
                Server(backend, plan.workers, app=FLOOR_APP, database_url=server.database_url)
            )
        base = server.url
        seed.prepare_tenant(base, server.secret)
        author, _ = seed.tokens(server.secret)
        have = 0
        for size in plan.sizes:
            print(f"[{backend}] importing customers {have:,}..{size:,}", flush=True)
            imported = seed.import_customers(
                base, server.secret, have, size, plan.chunk, parallel=plan.parallel_imports
            )
            have = size
            server.analyze()
            run: dict[str, Any] = {
                "backend": backend,
                "customers": size,
                "workers": plan.workers.count,
                "worker_class": plan.workers.label(),
                "connections": plan.connections,
                "load_before": os.getloadavg(),
                "import": imported,
            }
            print(f"[{backend} {size:,}] import {imported['rows_per_s']:,.0f} rows/s", flush=True)
            for scenario, target in FLOOR_LOADS if floor is not None else LOADS:
                if scenario in plan.skip or FLOOR_OF.get(scenario) in plan.skip:
                    continue
                against = floor if target == "floor" and floor is not None else server
                before = cpu.read(against.cpu_ticks(), server.pg_name)
                run[scenario] = wrk.run(
                    against.url, scenario, author, size, plan.duration, plan.connections
                )
                run[scenario]["drain_s"] = against.wait_idle()
                r = run[scenario]
                after = cpu.read(against.cpu_ticks(), server.pg_name)
                r["cpu_us_per_request"] = spent = cpu.per_request_us(before, after, r["requests"])
                print(
                    f"[{backend} {size:,}] {scenario}: {r['rate']:,.0f}/s p50 {r['p50_ms']:.1f} ms "
                    f"p99 {r['p99_ms']:.1f} ms errors {r['errors']}; CPU µs/request: "
                    f"app {spent['app']:,.0f}, database {spent['database']:,.0f}, "
                    f"wrk {spent['client']:,.0f}",
                    flush=True,
                )
            run["events"] = tree_size(base, author)
            if "rebuild" in plan.skip:
                run["rebuild"] = {"skipped": True, "events_per_s": float("nan")}
            else:
                run["rebuild"] = rebuild(server, run["events"])
                print(
                    f"[{backend} {size:,}] rebuild {run['rebuild']['events_per_s']:,.0f} events/s "
                    f"({run['rebuild']['rebuild_only_events_per_s']:,.0f} without "
                    "the process's start-up)",
                    flush=True,
                )
            if "export" in plan.skip:
                run["export"] = {
                    "skipped": True,
                    "events_per_s": float("nan"),
                    "peak_rss_mb": float("nan"),
                }
            else:
                run["export"] = export(server, author)
                print(
                    f"[{backend} {size:,}] export {run['export']['events_per_s']:,.0f} events/s, "
                    f"worker peak RSS {run['export']['peak_rss_mb']:,.0f} MB",
                    flush=True,
                )
            run["load_after"] = os.getloadavg()
            runs.append(run)
            if save is not None:
                save(run)
    return runs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="postgres")
    parser.add_argument(
        "--sizes", default=DEFAULT_SIZES, help="customer counts, comma-separated (cumulative)"
    )
    parser.add_argument("--million", action="store_true", help="add 1,000,000 customers to --sizes")
    parser.add_argument("--duration", type=int, default=8, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--worker-class", choices=["sync", "gthread"], default=WORKER_CLASS)
    parser.add_argument("--threads", type=int, default=THREADS, help="gthread's threads")
    parser.add_argument(
        "--skip",
        default=DEFAULT_SKIP,
        help="comma-separated phases to skip: floor, rebuild, export, grant, healthz, "
        "decision, batch, authorization (default: %(default)s; '' runs everything)",
    )
    parser.add_argument("--chunk", type=int, default=seed.CHUNK, help="rows per import request")
    parser.add_argument(
        "--parallel-imports", type=int, default=2, help="import requests in flight while seeding"
    )
    args = parser.parse_args(argv)
    sizes = sorted(
        {int(s) for s in args.sizes.split(",") if s} | ({1_000_000} if args.million else set())
    )
    skip = frozenset(x for x in args.skip.split(",") if x)
    for x in skip:
        if x not in SKIPPABLE:
            parser.error(f"--skip: unknown phase {x!r}")
    plan = Plan(
        sizes=sizes,
        duration=args.duration,
        workers=Workers(args.workers, args.worker_class, args.threads),
        connections=args.connections,
        chunk=args.chunk,
        parallel_imports=args.parallel_imports,
        skip=skip,
    )
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    meta = {
        "machine": machine(),
        "args": vars(args),
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "uptime": uptime(),
    }
    print(json.dumps(meta["machine"]), meta["uptime"], flush=True)
    runs: list[dict[str, Any]] = []
    path = report.path_now()

    def save(run: dict[str, Any]) -> None:
        runs.append(run)
        meta["finished_uptime"] = uptime()
        report.write(meta, runs, path)

    for backend in backends:
        bench_backend(backend, plan, save)
    print()
    print(report.table(runs))
    print()
    print(report.against_targets(runs))
    print(f"\nload: {meta['uptime']} -> {uptime()}")
    print(f"results: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
