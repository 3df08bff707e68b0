"""The pure decision (registry.domain.decision) over a batch of 1000 customers, in-process,
without a database: microseconds per decision deciding each customer alone (`decide`)
and in one pass (`decide_all` with one frame), at noon (most allowed) and at night (every
refusal asks `next_allowed_at`). Figures are ratios measured in the same run.

    .venv/bin/python -m bench.decide_micro [--rounds 7] [--before PATH]

`--before PATH` (a worktree of an older commit) also times `decide` per customer with that
tree's code, in alternating subprocesses, and prints this tree's costs as ratios to it.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

CUSTOMERS = 1000
ZONES = (None, "Europe/Moscow", "Asia/Yekaterinburg", "Asia/Vladivostok", "Europe/Kaliningrad")
NOON = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)  # a Wednesday, 12:00 in Moscow
NIGHT = datetime(2026, 3, 4, 21, 30, tzinfo=UTC)  # 00:30 in Moscow: outside the window


def workload(at: datetime) -> tuple[list[Any], dict[str, Any]]:
    """1000 customers (their zones, consents and recent sends drawn with a fixed seed) and
    the keyword arguments of their decisions but `customer`."""
    from registry.domain.decision import ConsentFact, CustomerFacts, TemplateFacts
    from registry.domain.policy import Policy

    rng = random.Random(7)
    customers: list[Any] = []
    for _ in range(CUSTOMERS):
        granted = at - timedelta(days=rng.randrange(1, 300))
        status = "withdrawn" if rng.random() < 0.1 else "granted"
        consent = ConsentFact(status, granted, None, None, "r", 2)
        recent = tuple(at - timedelta(hours=h) for h in range(rng.choice((0, 0, 0, 0, 1, 2))))
        customers.append(
            CustomerFacts(
                timezone=rng.choice(ZONES),
                consents={"whatsapp:promotions": consent},
                recent_authorizations=recent,
            )
        )
    template = TemplateFacts(
        "sale", "ru", "APPROVED", 1, "promotions", "MARKETING", False, False, None, False, True
    )
    arguments = {
        "template": template,
        "template_requested": True,
        "channel": "whatsapp",
        "policy": Policy.default("bench"),
        "at": at,
    }
    return customers, arguments


def time_mode(mode: str, at: datetime, repeat: int = 5) -> float:
    """Microseconds per decision, the best of `repeat` passes over the customers."""
    from registry.domain import decision

    customers, arguments = workload(at)
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        if mode == "each":
            for customer in customers:
                decision.decide(customer=customer, **arguments)
        else:
            frame = decision.DecisionFrame(**arguments)
            decision.decide_all(frame, customers)
        best = min(best, time.perf_counter() - started)
    return best / len(customers) * 1e6


def _in_subprocess(tree: str, mode: str, at: datetime) -> float:
    """`time_mode` in a fresh interpreter importing `registry` from `tree` (this script's
    own file is run, so the workload is the same whichever tree decides)."""
    env = {**os.environ, "PYTHONPATH": tree}
    command = [sys.executable, __file__, "--worker", mode, at.isoformat()]
    out = subprocess.run(command, env=env, check=True, capture_output=True, text=True)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.decide_micro")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--before", default=None, help="a worktree of the code to compare with")
    parser.add_argument("--worker", nargs=2, metavar=("MODE", "AT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(time_mode(args.worker[0], datetime.fromisoformat(args.worker[1])))
        return 0
    here = str(Path(__file__).resolve().parent.parent)
    figures: dict[str, Any] = {}
    for label, at in (("noon", NOON), ("night", NIGHT)):
        rows: dict[str, list[float]] = {"each": [], "one_pass": [], "before_each": []}
        for _ in range(args.rounds):  # alternating, so that load on the machine hits both
            rows["each"].append(_in_subprocess(here, "each", at))
            rows["one_pass"].append(_in_subprocess(here, "all", at))
            if args.before:
                rows["before_each"].append(_in_subprocess(args.before, "each", at))
        median = {k: statistics.median(v) for k, v in rows.items() if v}
        figure = {
            "us_per_decision": {k: round(v, 2) for k, v in median.items()},
            "one_pass / each": round(median["one_pass"] / median["each"], 3),
        }
        if args.before:
            figure["each / before_each"] = round(median["each"] / median["before_each"], 3)
            figure["one_pass / before_each"] = round(median["one_pass"] / median["before_each"], 3)
        figures[label] = figure
    print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
