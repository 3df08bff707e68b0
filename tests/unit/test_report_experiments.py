"""Which experiments a month's report names (from their events as of the checkpoint), and
an arm's sends counted once per status, delivered when any status shows it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from registry.reports.experiments import ArmCounts, history_of
from registry.reports.months import parse_month

NOVEMBER = parse_month("2026-11", "UTC", datetime(2026, 12, 15, tzinfo=UTC))
DEFINITION: dict[str, Any] = {"arms": [{"name": "a"}, {"name": "b"}], "metric": "clicked"}


def at(month: int, day: int) -> datetime:
    return datetime(2026, month, day, 12, tzinfo=UTC)


def history(*events: tuple[str, dict[str, Any], datetime]) -> Any:
    return history_of("ab", [("Created", {"definition": DEFINITION}, at(10, 1)), *events])


def test_an_experiment_is_in_the_months_that_its_run_overlaps() -> None:
    concluded_in_october = history(
        ("Started", {}, at(10, 2)), ("Concluded", {"winner": "a"}, at(10, 30))
    )
    ended_in_november = history(
        ("Started", {}, at(10, 2)), ("Concluded", {"winner": "b", "reason": "ok"}, at(11, 3))
    )
    running = history(("Started", {}, at(11, 20)))
    starts_in_december = history(("Started", {}, at(12, 1)))
    assert not concluded_in_october.ran_in(NOVEMBER)
    assert ended_in_november.ran_in(NOVEMBER) and ended_in_november.winner == "b"
    assert ended_in_november.status == "CONCLUDED" and ended_in_november.ended_reason == "ok"
    assert running.ran_in(NOVEMBER) and running.status == "RUNNING"
    assert not starts_in_december.ran_in(NOVEMBER)
    assert not history().ran_in(NOVEMBER)  # a draft never ran


def test_an_arm_stopped_by_a_guardrail_keeps_its_figures() -> None:
    stopped = history(
        ("Started", {}, at(11, 2)),
        ("ArmStopped", {"arm": "b", "guardrail": "complaint_rate", "count": 2,
                        "delivered": 10, "rate": "0.200000", "max": "0.1"}, at(11, 5)),
    )  # fmt: skip
    assert stopped.stopped_arms["b"]["guardrail"] == "complaint_rate"
    assert stopped.stopped_arms["b"]["rate"] == "0.200000"


def test_a_send_counts_once_per_status_and_as_delivered_when_read() -> None:
    arm = ArmCounts()
    arm.add_send({"sent", "read"})
    arm.add_send({"sent", "failed"})
    arm.customers = 2
    tally = arm.tally()
    assert (tally.assigned, tally.authorized) == (2, 2)
    assert tally.counts["sent"] == 2 and tally.counts["delivered"] == 1
    assert tally.counts["read"] == 1 and tally.counts["failed"] == 1
