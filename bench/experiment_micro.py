"""Decisions naming `experiment` against decisions naming the template itself (SPEC §13),
in-process on a SQLite file (or `--database-url`): the ratio of their rates.

    .venv/bin/python -m bench.experiment_micro [--seconds 5]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import inprocess, seed

SECRET = "bench-secret-bench-secret-bench-secret"


def _ok(answer: Any) -> Any:
    if answer.status_code >= 300:
        raise RuntimeError(f"{answer.status_code}: {answer.get_data(as_text=True)[:300]}")
    return answer.get_json()


def rate(client: Any, headers: dict[str, str], body: dict[str, Any], seconds: float) -> float:
    done, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        _ok(client.post("/v1/decisions", json=body, headers=headers))
        done += 1
    return done / (time.perf_counter() - started)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default="")
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        _, client = inprocess.build(args.database_url, Path(workdir), SECRET)
        inprocess.prepare_tenant(client, SECRET)
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
        template = {"customer_id": "c1", "template": seed.TEMPLATE_REF}
        experiment = {"customer_id": "c1", "experiment": "bench_ab"}
        rate(client, auth, template, 1.0)  # warm-up
        by_template = rate(client, auth, template, args.seconds)
        by_experiment = rate(client, auth, experiment, args.seconds)
    print(f"decisions/s with template: {by_template:.0f}; with experiment: {by_experiment:.0f}")
    print(f"cost ratio (experiment / template): {by_template / by_experiment:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
