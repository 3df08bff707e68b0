"""Writes bench/results/<timestamp>.json and prints the tables: each hot route beside its
floor (bench/floor) measured in the same run, and the targets of issue #21."""

from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"
NAN = float("nan")

# Issue #21: ratios to the floor of the same run (PostgreSQL, 4 workers, 32 connections).
TARGETS = {
    "decision_over_floor": 0.8,
    "decision_p99_over_floor_p99": 1.5,
    "decision_p99_ms": 20.0,
    "batch_over_floor": 0.6,
    "authorization_over_append_floor": 0.6,
    "decision_cost_largest_over_smallest": 1.3,
    "rebuild_events_per_s": 20_000,
    "export_events_per_s": 50_000,
    "export_peak_rss_mb": 300,
}


def _rate(run: dict[str, Any], load: str) -> float:
    figures = run.get(load)
    return float(figures["rate"]) if figures else NAN


def _ms(run: dict[str, Any], load: str, key: str) -> float:
    figures = run.get(load)
    return float(figures[key]) if figures else NAN


def _over(a: float, b: float) -> float:
    return a / b if b and not math.isnan(b) else NAN


def summarize(run: dict[str, Any]) -> dict[str, Any]:
    """Headline figures of one backend × size run."""
    decision = _rate(run, "decision")
    p99 = _ms(run, "decision", "p99_ms")
    floor_p99 = _ms(run, "floor_single", "p99_ms")
    loads = [k for k in run if isinstance(run[k], dict) and "errors" in run[k]]
    return {
        "backend": run["backend"],
        "customers": run["customers"],
        "events": run["events"],
        "worker_class": run.get("worker_class", "sync"),
        "healthz_per_s": _rate(run, "healthz"),
        "decision_per_s": decision,
        "floor_single_per_s": _rate(run, "floor_single"),
        "decision_over_floor": _over(decision, _rate(run, "floor_single")),
        "decision_p50_ms": _ms(run, "decision", "p50_ms"),
        "decision_p99_ms": p99,
        "floor_single_p99_ms": floor_p99,
        "decision_p99_over_floor_p99": _over(p99, floor_p99),
        "batch_decisions_per_s": _rate(run, "batch"),
        "floor_batch_per_s": _rate(run, "floor_batch"),
        "batch_over_floor": _over(_rate(run, "batch"), _rate(run, "floor_batch")),
        "authorizations_per_s": _rate(run, "authorization"),
        "floor_append_per_s": _rate(run, "floor_append"),
        "authorization_over_append_floor": _over(
            _rate(run, "authorization"), _rate(run, "floor_append")
        ),
        "grants_per_s": _rate(run, "grant"),
        "import_rows_per_s": run["import"]["rows_per_s"],
        "rebuild_events_per_s": run["rebuild"]["events_per_s"],
        "rebuild_only_events_per_s": run["rebuild"].get("rebuild_only_events_per_s", NAN),
        "export_events_per_s": run["export"]["events_per_s"],
        "export_peak_rss_mb": run["export"]["peak_rss_mb"],
        "errors": sum(run[k]["errors"] for k in loads),
    }


def path_now() -> Path:
    RESULTS.mkdir(exist_ok=True)
    return RESULTS / time.strftime("%Y%m%dT%H%M%SZ.json", time.gmtime())


def write(meta: dict[str, Any], runs: list[dict[str, Any]], path: Path) -> Path:
    """Rewritten after every run, so an interrupted bench keeps what it measured."""
    summaries = [summarize(r) for r in runs]
    path.write_text(
        json.dumps(
            {
                "meta": meta,
                "targets": TARGETS,
                "summary": summaries,
                "against_targets": verdicts(runs),
                "runs": runs,
            },
            indent=2,
        )
    )
    return path


COLUMNS = [
    ("backend", "backend", "{}"),
    ("customers", "customers", "{:,}"),
    ("events", "events", "{:,}"),
    ("workers", "worker_class", "{}"),
    ("decide/s", "decision_per_s", "{:,.0f}"),
    ("floor/s", "floor_single_per_s", "{:,.0f}"),
    ("×floor", "decision_over_floor", "{:.2f}"),
    ("p99 ms (floor)", "decision_p99_ms", "{:.1f}"),
    ("", "floor_single_p99_ms", "({:.1f})"),
    ("batch dec/s", "batch_decisions_per_s", "{:,.0f}"),
    ("floor/s", "floor_batch_per_s", "{:,.0f}"),
    ("×floor", "batch_over_floor", "{:.2f}"),
    ("authz/s", "authorizations_per_s", "{:,.0f}"),
    ("append floor/s", "floor_append_per_s", "{:,.0f}"),
    ("×floor", "authorization_over_append_floor", "{:.2f}"),
    ("healthz/s", "healthz_per_s", "{:,.0f}"),
    ("grants/s", "grants_per_s", "{:,.0f}"),
    ("import rows/s", "import_rows_per_s", "{:,.0f}"),
    ("rebuild ev/s", "rebuild_events_per_s", "{:,.0f}"),
    ("export ev/s", "export_events_per_s", "{:,.0f}"),
    ("export RSS MB", "export_peak_rss_mb", "{:,.0f}"),
    ("errors", "errors", "{}"),
]


def table(runs: list[dict[str, Any]]) -> str:
    header = [title for title, _, _ in COLUMNS if title]  # "": joins the cell before
    rows = [header]
    for s in (summarize(r) for r in runs):
        row: list[str] = []
        for title, key, fmt in COLUMNS:
            cell = "–" if isinstance(s[key], float) and math.isnan(s[key]) else fmt.format(s[key])
            if title:
                row.append(cell)
            else:
                row[-1] += f" {cell}"
        rows.append(row)
    lines = ["| " + " | ".join(r) + " |" for r in rows]
    lines.insert(1, "|" + "|".join("---" for _ in header) + "|")
    return "\n".join(lines)


def decision_cost_growth(runs: list[dict[str, Any]]) -> tuple[float, float, int, int]:
    """A single decision's cost (1/rate) at the largest size over its cost at the smallest
    (PostgreSQL): as measured, and against the floor (each size's floor ratio)."""
    pg = sorted((r for r in runs if r["backend"] == "postgres"), key=lambda r: r["customers"])
    if len(pg) < 2:
        return NAN, NAN, 0, 0
    small, large = summarize(pg[0]), summarize(pg[-1])
    raw = _over(small["decision_per_s"], large["decision_per_s"])
    relative = _over(small["decision_over_floor"], large["decision_over_floor"])
    return raw, relative, small["customers"], large["customers"]


def verdicts(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each #21 target, per size, with the measured value and met / missed."""
    out: list[dict[str, Any]] = []

    def add(target: str, customers: int, value: float, at_least: bool) -> None:
        bound = TARGETS[target]
        met = None if math.isnan(value) else (value >= bound if at_least else value <= bound)
        out.append(
            {"target": target, "customers": customers, "value": value, "bound": bound, "met": met}
        )

    for s in (summarize(r) for r in runs if r["backend"] == "postgres"):
        n = s["customers"]
        add("decision_over_floor", n, s["decision_over_floor"], True)
        add("decision_p99_over_floor_p99", n, s["decision_p99_over_floor_p99"], False)
        add("decision_p99_ms", n, s["decision_p99_ms"], False)
        add("batch_over_floor", n, s["batch_over_floor"], True)
        add("authorization_over_append_floor", n, s["authorization_over_append_floor"], True)
    raw, _, _, large = decision_cost_growth(runs)
    if large:
        add("decision_cost_largest_over_smallest", large, raw, False)
    return out


def against_targets(runs: list[dict[str, Any]]) -> str:
    lines = ["against issue #21's targets (PostgreSQL, ratios to the floor of the same run):"]
    for v in verdicts(runs):
        verdict = {True: "met", False: "MISSED", None: "not measured"}[v["met"]]
        sign = "≥" if v["target"] in ("decision_over_floor", "batch_over_floor",
                                      "authorization_over_append_floor") else "≤"  # fmt: skip
        lines.append(
            f"  {v['customers']:>9,}  {v['target']:<36} {v['value']:8.2f}  "
            f"(target {sign} {v['bound']:g})  {verdict}"
        )
    raw, relative, small, large = decision_cost_growth(runs)
    if large:
        lines.append(
            f"  decision cost at {large:,} over {small:,}: {raw:.2f} × as measured, "
            f"{relative:.2f} × against each size's floor"
        )
    return "\n".join(lines)
