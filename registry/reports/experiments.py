"""The report's experiments section (SPEC §14): the experiments running or concluded in
the month, from their events up to the checkpoint, each arm with the figures of the
month's sends authorized in it (counted from the log with the report's other figures:
`ArmCounts`, by `MonthTally`) and the same results as GET /v1/experiments/{name}
computes from its tallies (registry/domain/experiment_results.py). Numbers that are
floats there are decimal text here (six places): the signed report holds no floats."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from registry.domain.experiment_results import COUNTED, ArmTally
from registry.domain.experiment_results import experiment_results as results_of
from registry.domain.outcome_counts import send_counts
from registry.reports.months import Month
from registry.timefmt import iso

BASIS = (
    "each arm's sends authorized in the month (the report's cohort), with what became of "
    "them up to the checkpoint; an experiment's whole run is GET /v1/experiments/{name}"
)


@dataclass
class ArmCounts:
    """One arm's month: its customers, sends, and each COUNTED name a send counts as
    (registry/domain/outcome_counts.py)."""

    customers: int = 0
    authorized: int = 0
    counts: Counter[str] = field(default_factory=Counter)

    def add_send(self, statuses: set[str]) -> None:
        self.authorized += 1
        self.counts.update(send_counts(statuses, COUNTED))

    def tally(self) -> ArmTally:
        return ArmTally(self.customers, self.authorized, {n: self.counts[n] for n in COUNTED})


@dataclass
class ExperimentHistory:
    """An experiment as of the checkpoint, from its events."""

    name: str
    definition: dict[str, Any]
    status: str = "DRAFT"
    started_at: datetime | None = None
    ended_at: datetime | None = None
    ended_reason: str | None = None
    winner: str | None = None
    stopped_arms: dict[str, Any] = field(default_factory=dict)

    def ran_in(self, month: Month) -> bool:
        if self.started_at is None or self.started_at >= month.end:
            return False
        return self.ended_at is None or self.ended_at >= month.start


def history_of(name: str, events: Sequence[tuple[str, dict[str, Any], datetime | None]]) -> (
    ExperimentHistory | None
):  # fmt: skip
    """(kind, state, recorded at) of an experiment's events, in order."""
    history: ExperimentHistory | None = None
    for kind, state, at in events:
        if kind == "Created":
            history = ExperimentHistory(name, state["definition"])
        elif history is None:
            continue
        elif kind == "Revised":
            history.definition = state["definition"]
        elif kind == "Started":
            history.status, history.started_at = "RUNNING", at
        elif kind == "ArmStopped":
            history.stopped_arms[state["arm"]] = {
                "at": None if at is None else iso(at),
                **{k: state.get(k) for k in ("guardrail", "count", "delivered", "rate", "max")},
            }
        elif kind in ("Stopped", "Concluded"):
            history.status = "STOPPED" if kind == "Stopped" else "CONCLUDED"
            history.ended_at, history.ended_reason = at, state.get("reason")
            history.winner = state.get("winner")
    return history


def section(
    month: Month,
    histories: Sequence[ExperimentHistory],
    arms: Mapping[tuple[str, str], ArmCounts],
    min_delivered: int,
) -> dict[str, Any]:
    rows = []
    for history in sorted(histories, key=lambda h: h.name):
        if not history.ran_in(month):
            continue
        tallies = {
            arm["name"]: arms.get((history.name, arm["name"]), ArmCounts()).tally()
            for arm in history.definition["arms"]
        }
        results = results_of(history.definition, history.stopped_arms, tallies, min_delivered)
        rows.append(
            {
                "name": history.name,
                "status": history.status,
                "started_at": None if history.started_at is None else iso(history.started_at),
                "ended_at": None if history.ended_at is None else iso(history.ended_at),
                "ended_reason": history.ended_reason,
                "winner": history.winner,
                "metric": history.definition["metric"],
                "min_sample_per_arm": history.definition["min_sample_per_arm"],
                **_without_floats(results),
            }
        )
    return {"available": True, "basis": BASIS, "experiments": rows}


def _without_floats(value: Any) -> Any:
    if isinstance(value, float):
        return f"{value:.6f}"
    if isinstance(value, dict):
        return {k: _without_floats(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_floats(v) for v in value]
    return value
