"""`python -m bench.export_micro`: times GET /v1/audit/events in-process.

Seeds a tenant (policy, an approved template, N customers imported with sealed evidence,
a phone for every other one, a few erased) in a work directory that can be kept and
reused, then streams the whole trail through the Flask test client and reports events/s
and the process's resident memory (before, peak while streaming).

    python -m bench.export_micro --workdir /tmp/exp --customers 3000          # seed + run
    python -m bench.export_micro --workdir /tmp/exp --database-url postgresql://…/db
    python -m bench.export_micro --workdir /tmp/exp --compare /tmp/baseline   # A/B rounds

`--compare TREE` runs the export alternately from TREE (a copy of the project, e.g. with
the audit files of an older commit) and from this tree, each in a fresh process on the
same seeded data, and prints the ratio of the medians. `--verify` checks the JSON-lines
output with `audit.verify` (every proof against the signed checkpoint).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import inprocess, seed

SECRET = "bench-export-micro-" + "x" * 32
ERASED_EVERY = 97  # erase customers c0, c97, c194, …


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.export_micro")
    parser.add_argument("--workdir", default="", help="keeps the seeded data (default: temp)")
    parser.add_argument("--database-url", default="", help="default: SQLite in the workdir")
    parser.add_argument("--customers", type=int, default=3000)
    parser.add_argument("--format", choices=("jsonl", "csv"), default="jsonl")
    parser.add_argument("--query", default="", help="extra filters, e.g. customer_id=c5")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--verify", action="store_true")
    parser.add_argument("--profile", action="store_true", help="pyinstrument (or cProfile)")
    parser.add_argument("--flat", action="store_true", help="cProfile by own time")
    parser.add_argument("--compare", default="", metavar="TREE")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="one JSON result line per run")
    args = parser.parse_args()
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="bench-export-"))
    workdir.mkdir(parents=True, exist_ok=True)
    if args.compare:
        return compare(args, workdir)
    app, client, auth = build(args, workdir)
    size = ensure_seeded(app, client, auth, args.customers)
    print(f"# tree size {size}; audit code from {sys.modules['audit.log'].__file__}", flush=True)
    path = f"/v1/audit/events?format={args.format}" + (f"&{args.query}" if args.query else "")
    for _ in range(args.repeat):
        if args.profile or args.flat:
            inprocess.profile_call(
                lambda: export_once(client, auth, path, None),
                flat=args.flat,
                lines=30,
                interval=0.001,
            )
            continue
        out = workdir / f"export.{args.format}" if args.verify else None
        result = export_once(client, auth, path, out)
        print(json.dumps(result) if args.json else describe(result), flush=True)
        if out is not None and args.format == "jsonl":
            verify(app, out)
    return 0


def build(args: argparse.Namespace, workdir: Path) -> tuple[Any, Any, dict[str, str]]:
    app, client = inprocess.build(args.database_url, workdir, SECRET)
    return app, client, inprocess.author_headers(SECRET)


def ensure_seeded(app: Any, client: Any, auth: dict[str, str], customers: int) -> int:
    size = tree_size(client, auth)
    if size:
        return size
    inprocess.prepare_tenant(client, SECRET)
    inprocess.import_rows(client, SECRET, (_row(i) for i in range(customers)), chunk=2000)
    for i in range(0, customers, ERASED_EVERY):
        answer = client.post(f"/v1/customers/c{i}/erase", json={"reason": "bench"}, headers=auth)
        assert answer.status_code == 200, answer.get_json()
    return tree_size(client, auth)


def _row(i: int) -> dict[str, Any]:
    """A grant with sealed evidence, and a phone for every other customer."""
    row = seed.grant_row(i)
    if i % 2:
        row["phone"] = f"+7912{i:07d}"
    return row


def tree_size(client: Any, auth: dict[str, str]) -> int:
    answer = client.get("/v1/audit/checkpoint", headers=auth)
    assert answer.status_code == 200, answer.get_json()
    return int(answer.get_json()["tree_size"])


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def export_once(client: Any, auth: dict[str, str], path: str, out: Path | None) -> dict[str, Any]:
    before = peak = rss_mb()
    sink = out.open("wb") if out is not None else None
    lines = size = chunks = 0
    started, cpu = time.perf_counter(), time.process_time()
    response = client.get(path, headers=auth, buffered=False)
    assert response.status_code == 200, response.status_code
    try:
        for chunk in response.response:
            data = chunk if isinstance(chunk, bytes) else chunk.encode()
            lines += data.count(b"\n")
            size += len(data)
            chunks += 1
            if sink is not None:
                sink.write(data)
            if chunks % 2000 == 0:
                peak = max(peak, rss_mb())
    finally:
        response.close()
        if sink is not None:
            sink.close()
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu
    peak = max(peak, rss_mb(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    events = max(0, lines - 2) if "csv" not in path else max(0, lines - 1)
    return {
        "events": events,
        "seconds": round(seconds, 3),
        "cpu_seconds": round(cpu, 3),
        "events_per_s": round(events / seconds, 1) if seconds else 0.0,
        "mb": round(size / 1e6, 1),
        "rss_before_mb": round(before, 1),
        "rss_peak_mb": round(peak, 1),
    }


def describe(result: dict[str, Any]) -> str:
    return (
        f"{result['events']} events in {result['seconds']:.2f} s "
        f"(CPU {result.get('cpu_seconds', 0):.2f} s) = "
        f"{result['events_per_s']:,.0f} events/s, {result['mb']} MB out; "
        f"RSS {result['rss_before_mb']} MB before, {result['rss_peak_mb']} MB peak"
    )


def verify(app: Any, out: Path) -> None:
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    from audit.verify import verify_lines

    key: Any = load_pem_public_key(app.extensions["registry"].keyring.public_key_pem.encode())
    with out.open("rb") as stream:
        result = verify_lines(stream, key)
    print(f"# verified {result.events} events against tree size {result.tree_size}")


def compare(args: argparse.Namespace, workdir: Path) -> int:
    """Alternate fresh processes of TREE (baseline) and this tree on the same data."""
    here = Path(__file__).resolve().parent.parent
    trees = {"baseline": Path(args.compare).resolve(), "current": here}
    common = ["--workdir", str(workdir), "--customers", str(args.customers), "--json"]
    common += ["--format", args.format]
    if args.database_url:
        common += ["--database-url", args.database_url]
    if args.query:
        common += ["--query", args.query]
    # Seed once, from this tree, before timing anything.
    subprocess.run([sys.executable, "-m", "bench.export_micro", *common], cwd=here, check=True)
    results: dict[str, list[dict[str, Any]]] = {name: [] for name in trees}
    for round_ in range(args.rounds):
        for name, tree in trees.items():
            run = subprocess.run(
                [sys.executable, "-m", "bench.export_micro", *common],
                cwd=tree,
                check=True,
                capture_output=True,
                text=True,
                env={**os.environ, "PYTHONPATH": str(tree)},
            )
            last = json.loads(run.stdout.strip().splitlines()[-1])
            results[name].append(last)
            print(f"round {round_ + 1} {name:8}: {describe(last)}", flush=True)
    medians = {
        name: (
            statistics.median(r["events_per_s"] for r in runs),
            statistics.median(r["events"] / r["cpu_seconds"] for r in runs),
            statistics.median(r["rss_peak_mb"] for r in runs),
        )
        for name, runs in results.items()
    }
    (base_rate, base_cpu, base_rss), (rate, cpu, rss) = medians["baseline"], medians["current"]
    print(
        f"median baseline {base_rate:,.0f} events/s ({base_cpu:,.0f} per CPU second), "
        f"peak RSS {base_rss:.0f} MB; current {rate:,.0f} events/s ({cpu:,.0f} per CPU "
        f"second), peak RSS {rss:.0f} MB; speed-up x{rate / base_rate:.2f} "
        f"(x{cpu / base_cpu:.2f} in CPU time)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
