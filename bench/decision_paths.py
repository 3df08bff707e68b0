"""Decisions, batches, experiment decisions and authorizations in-process (Flask's test
client on a SQLite file, or `--database-url`), as rates measured in alternating rounds,
and the ratios that matter: an experiment decision's cost to a template decision's, and
this tree's rates to another tree's (`--before PATH`, a worktree of an older commit).

    .venv/bin/python -m bench.decision_paths [--rounds 5] [--seconds 1.5] [--before PATH]

Each tree runs in subprocesses of its own (its code, its migrations, its own database),
taking turns with the other so that load on the machine hits both alike.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

SECRET = "bench-secret-bench-secret-bench-secret"
CUSTOMERS = 2000
BATCH = 1000
LOADS = ("single", "experiment", "batch", "authorization")


def _ok(answer: Any) -> Any:
    if answer.status_code >= 300:
        raise RuntimeError(f"{answer.status_code}: {answer.get_data(as_text=True)[:300]}")
    return answer.get_json()


def _rate(call: Callable[[], int], seconds: float) -> float:
    """Decisions (or authorizations) per second: `call` answers how many it made."""
    done, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        done += call()
    return done / (time.perf_counter() - started)


def worker(database_url: str, rounds: int, seconds: float) -> dict[str, list[float]]:
    from bench import inprocess, seed

    with tempfile.TemporaryDirectory() as workdir:
        _, client = inprocess.build(database_url, Path(workdir), SECRET)
        inprocess.prepare_tenant(client, SECRET)
        rows = (seed.grant_row(i) for i in range(CUSTOMERS))
        inprocess.import_rows(client, SECRET, rows, chunk=CUSTOMERS)
        author, reviewer = seed.tokens(SECRET)
        auth = {"Authorization": f"Bearer {author}"}
        arms = [{"name": n, "template": seed.TEMPLATE_REF, "weight": 50} for n in ("a", "b")]
        _ok(client.post("/v1/experiments", headers=auth, json={
            "name": "bench_ab", "channel": "whatsapp", "purpose": "promotions", "arms": arms,
            "control_weight": 0, "metric": "clicked",
            "guardrails": {"max_opt_out_rate": 0.02, "max_complaint_rate": 0.001},
        }))  # fmt: skip
        _ok(client.post("/v1/experiments/bench_ab/start", json={},
                        headers={"Authorization": f"Bearer {reviewer}"}))  # fmt: skip
        rng = random.Random(1)

        def customer() -> str:
            return f"c{rng.randrange(CUSTOMERS)}"

        def post(path: str, body: dict[str, Any], count: int = 1) -> Callable[[], int]:
            return lambda: (_ok(client.post(path, json=body, headers=auth)), count)[1]

        def single() -> int:
            body = {"customer_id": customer(), "template": seed.TEMPLATE_REF}
            return post("/v1/decisions", body)()

        def experiment() -> int:
            return post("/v1/decisions", {"customer_id": customer(), "experiment": "bench_ab"})()

        def batch() -> int:
            items = [
                {"customer_id": customer(), "template": seed.TEMPLATE_REF} for _ in range(BATCH)
            ]
            return post("/v1/decisions/batch", {"items": items}, BATCH)()

        def authorization() -> int:
            body = {"customer_id": customer(), "template": seed.TEMPLATE_REF}
            return post("/v1/authorizations", body)()

        calls = {"single": single, "experiment": experiment, "batch": batch,
                 "authorization": authorization}  # fmt: skip
        for call in calls.values():  # warm-up
            _rate(call, 0.2)
        rates: dict[str, list[float]] = {load: [] for load in LOADS}
        for _ in range(rounds):
            for load in LOADS:
                rates[load].append(_rate(calls[load], seconds))
    return rates


def _in_subprocess(tree: str, args: argparse.Namespace) -> dict[str, list[float]]:
    env = {**os.environ, "PYTHONPATH": tree}
    command = [sys.executable, __file__, "--worker", "--rounds", str(args.rounds),
               "--seconds", str(args.seconds), "--database-url", args.database_url]  # fmt: skip
    out = subprocess.run(command, env=env, check=True, capture_output=True, text=True, cwd=tree)
    [line] = [line for line in out.stdout.splitlines() if line.startswith("RATES ")]
    rates: dict[str, list[float]] = json.loads(line.removeprefix("RATES "))
    return rates


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.decision_paths")
    parser.add_argument("--database-url", default="")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=1.5)
    parser.add_argument("--turns", type=int, default=2, help="subprocesses per tree")
    parser.add_argument("--before", default=None, help="a worktree of the code to compare with")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print("RATES " + json.dumps(worker(args.database_url, args.rounds, args.seconds)))
        return 0
    trees = {"this": str(Path(__file__).resolve().parent.parent)}
    if args.before:
        trees["before"] = str(Path(args.before).resolve())
    rates: dict[str, dict[str, list[float]]] = {
        name: {load: [] for load in LOADS} for name in trees
    }
    for _ in range(args.turns):
        for name, tree in trees.items():
            for load, found in _in_subprocess(tree, args).items():
                rates[name][load] += found
    median = {n: {load: statistics.median(v) for load, v in r.items()} for n, r in rates.items()}
    report: dict[str, Any] = {"per_second": {n: {load: round(v) for load, v in m.items()}
                                             for n, m in median.items()}}  # fmt: skip
    for name, m in median.items():
        report[f"{name}: experiment cost / template cost"] = round(m["single"] / m["experiment"], 3)
    if args.before:
        report["this / before (rates)"] = {
            load: round(median["this"][load] / median["before"][load], 3) for load in LOADS
        }
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
