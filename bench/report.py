"""Writes bench/results/<timestamp>.json and prints a table with ratios to /healthz."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"

TARGETS = {
    "decision_ratio": 0.6,
    "decision_p99_ms": 20.0,
    "batch_decisions_per_s": 150_000,
    "authorizations_per_s": 1_000,
    "import_rows_per_s": 20_000,
    "rebuild_events_per_s": 20_000,
    "export_events_per_s": 50_000,
    "export_peak_rss_mb": 300,
}


def summarize(run: dict[str, Any]) -> dict[str, Any]:
    """Headline figures of one backend × size run."""
    ceiling = run["healthz"]["rate"] or 1.0
    d = run["decision"]
    return {
        "backend": run["backend"],
        "customers": run["customers"],
        "events": run["events"],
        "healthz_per_s": ceiling,
        "decision_per_s": d["rate"],
        "decision_ratio": d["rate"] / ceiling,
        "decision_p50_ms": d["p50_ms"],
        "decision_p99_ms": d["p99_ms"],
        "batch_decisions_per_s": run["batch"]["rate"] * 1000,
        "batch_ratio": run["batch"]["rate"] * 1000 / ceiling,
        "authorizations_per_s": run["authorization"]["rate"],
        "authorization_ratio": run["authorization"]["rate"] / ceiling,
        "grants_per_s": run["grant"]["rate"],
        "grant_ratio": run["grant"]["rate"] / ceiling,
        "import_rows_per_s": run["import"]["rows_per_s"],
        "rebuild_events_per_s": run["rebuild"]["events_per_s"],
        "rebuild_only_events_per_s": run["rebuild"].get("rebuild_only_events_per_s", float("nan")),
        "export_events_per_s": run["export"]["events_per_s"],
        "export_peak_rss_mb": run["export"]["peak_rss_mb"],
        "errors": sum(
            run[k]["errors"] for k in ("healthz", "decision", "batch", "authorization", "grant")
        ),
    }


def path_now() -> Path:
    RESULTS.mkdir(exist_ok=True)
    return RESULTS / time.strftime("%Y%m%dT%H%M%SZ.json", time.gmtime())


def write(meta: dict[str, Any], runs: list[dict[str, Any]], path: Path) -> Path:
    """Rewritten after every run, so an interrupted bench keeps what it measured."""
    summaries = [summarize(r) for r in runs]
    path.write_text(
        json.dumps({"meta": meta, "targets": TARGETS, "summary": summaries, "runs": runs}, indent=2)
    )
    return path


COLUMNS = [
    ("backend", "backend", "{}"),
    ("customers", "customers", "{:,}"),
    ("events", "events", "{:,}"),
    ("healthz/s", "healthz_per_s", "{:,.0f}"),
    ("decide/s", "decision_per_s", "{:,.0f}"),
    ("×ceil", "decision_ratio", "{:.2f}"),
    ("p50 ms", "decision_p50_ms", "{:.1f}"),
    ("p99 ms", "decision_p99_ms", "{:.1f}"),
    ("batch dec/s", "batch_decisions_per_s", "{:,.0f}"),
    ("authz/s", "authorizations_per_s", "{:,.0f}"),
    ("grants/s", "grants_per_s", "{:,.0f}"),
    ("import rows/s", "import_rows_per_s", "{:,.0f}"),
    ("rebuild ev/s", "rebuild_events_per_s", "{:,.0f}"),
    ("rebuild alone ev/s", "rebuild_only_events_per_s", "{:,.0f}"),
    ("export ev/s", "export_events_per_s", "{:,.0f}"),
    ("export RSS MB", "export_peak_rss_mb", "{:,.0f}"),
    ("errors", "errors", "{}"),
]


def table(runs: list[dict[str, Any]]) -> str:
    rows = [[c[0] for c in COLUMNS]]
    for s in (summarize(r) for r in runs):
        rows.append([fmt.format(s[key]) for _, key, fmt in COLUMNS])
    lines = ["| " + " | ".join(r) + " |" for r in rows]
    lines.insert(1, "|" + "|".join("---" for _ in COLUMNS) + "|")
    return "\n".join(lines)
