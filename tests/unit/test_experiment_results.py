"""R-EXPERIMENT results (SPEC §13) from per-arm tallies: rates with Wilson intervals, the
p-value, guardrails per arm and the suggested winner or the reason there is none."""

from __future__ import annotations

from typing import Any

import pytest

from registry.domain.experiment_results import (
    COUNTED,
    ArmTally,
    experiment_results,
    first_breach,
    guardrail_gate,
)
from registry.domain.experiment_stats import pearson_chi_squared, wilson_interval


def definition(min_sample: int = 100, **guardrails: str) -> dict[str, Any]:
    return {
        "arms": [
            {"name": "a", "template": {"name": "t_a", "language": "ru"}, "weight": 45},
            {"name": "b", "template": {"name": "t_b", "language": "ru"}, "weight": 45},
        ],
        "control_weight": 10,
        "metric": "clicked",
        "min_sample_per_arm": min_sample,
        "guardrails": {"max_opt_out_rate": "0.02", "max_complaint_rate": "0.01", **guardrails},
    }


def tally(delivered: int, clicked: int, *, opted_out: int = 0, complained: int = 0) -> ArmTally:
    counts = dict.fromkeys(COUNTED, 0)
    counts.update(sent=delivered, delivered=delivered, clicked=clicked, read=clicked,
                  opted_out=opted_out, complained=complained)  # fmt: skip
    return ArmTally(assigned=delivered, authorized=delivered, counts=counts)


def arm_named(results: dict[str, Any], name: str) -> dict[str, Any]:
    (arm,) = [a for a in results["arms"] if a["name"] == name]
    return arm


def test_each_arm_has_its_counts_and_rates_with_wilson_intervals() -> None:
    results = experiment_results(definition(), {}, {"a": tally(263, 81), "b": tally(0, 0)}, 200)
    a, b = results["arms"]
    assert (a["name"], a["assigned"], a["authorized"], a["delivered"]) == ("a", 263, 263, 263)
    assert a["metrics"]["clicked"]["count"] == 81
    assert a["metrics"]["clicked"]["rate"] == pytest.approx(81 / 263)
    low, high = wilson_interval(81, 263) or (0, 0)
    assert a["metrics"]["clicked"]["wilson_95"] == {"low": low, "high": high}
    assert set(a["metrics"]) == {"read", "replied", "clicked", "converted"}
    assert b["metrics"]["clicked"] == {"count": 0, "rate": None, "wilson_95": None}


def test_an_arm_without_sends_counts_zero() -> None:
    results = experiment_results(definition(), {}, {}, 200)
    assert [(a["name"], a["authorized"], a["delivered"]) for a in results["arms"]] == [
        ("a", 0, 0), ("b", 0, 0),
    ]  # fmt: skip
    assert results["p_value"] is None
    assert results["suggested_winner_reason"] == "insufficient_sample"


def test_p_value_is_pearsons_across_the_arms() -> None:
    results = experiment_results(definition(), {}, {"a": tally(400, 40), "b": tally(400, 70)}, 200)
    expected = pearson_chi_squared([(40, 400), (70, 400)])
    assert expected is not None
    assert results["p_value"] == expected.p_value
    assert results["chi_squared"] == {"statistic": expected.statistic, "degrees_of_freedom": 1}


def test_the_best_significant_arm_is_suggested() -> None:
    results = experiment_results(definition(), {}, {"a": tally(400, 40), "b": tally(400, 70)}, 200)
    assert results["p_value"] < 0.05
    assert (results["suggested_winner"], results["suggested_winner_reason"]) == ("b", "best_rate")


def test_no_winner_below_the_sample_size() -> None:
    tallies = {"a": tally(400, 40), "b": tally(99, 40)}
    results = experiment_results(definition(min_sample=100), {}, tallies, 200)
    assert results["p_value"] < 0.05
    assert (results["suggested_winner"], results["suggested_winner_reason"]) == (
        None, "insufficient_sample",
    )  # fmt: skip
    assert "b (99)" in results["suggested_winner_detail"]


def test_no_winner_when_the_difference_is_not_significant() -> None:
    results = experiment_results(definition(), {}, {"a": tally(400, 40), "b": tally(400, 45)}, 200)
    assert results["p_value"] >= 0.05
    assert (results["suggested_winner"], results["suggested_winner_reason"]) == (
        None, "not_significant",
    )  # fmt: skip


def test_no_winner_without_any_variation() -> None:
    results = experiment_results(definition(), {}, {"a": tally(400, 0), "b": tally(400, 0)}, 200)
    assert (results["p_value"], results["suggested_winner_reason"]) == (None, "no_p_value")


def test_no_winner_when_the_best_arm_fails_a_guardrail() -> None:
    tallies = {"a": tally(400, 40), "b": tally(400, 70, complained=5)}  # 1.25 % > 1 %
    results = experiment_results(definition(), {}, tallies, 200)
    assert arm_named(results, "b")["guardrails"]["passed"] is False
    assert arm_named(results, "b")["guardrails"]["complaint_rate"]["passed"] is False
    assert arm_named(results, "b")["guardrails"]["opt_out_rate"]["passed"] is True
    assert (results["suggested_winner"], results["suggested_winner_reason"]) == (
        None, "guardrail_failed",
    )  # fmt: skip


def test_no_winner_when_the_best_arm_was_stopped() -> None:
    tallies = {"a": tally(400, 40), "b": tally(400, 70)}
    stopped = {"b": {"by": "system", "guardrail": "complaint_rate"}}
    results = experiment_results(definition(), stopped, tallies, 200)
    assert results["arms"][1]["stopped"] == stopped["b"]
    assert results["suggested_winner_reason"] == "arm_stopped"


def test_tied_best_arms_suggest_no_winner() -> None:
    d = definition()
    d["arms"].append({"name": "c", "template": {"name": "t_c", "language": "ru"}, "weight": 0})
    tallies = {"a": tally(400, 40), "b": tally(400, 70), "c": tally(400, 70)}
    results = experiment_results(d, {}, tallies, 200)
    assert (results["suggested_winner"], results["suggested_winner_reason"]) == (None, "tied")


def test_guardrail_figures_are_counts_rates_and_maximum() -> None:
    results = experiment_results(definition(), {}, {"a": tally(250, 10, opted_out=5)}, 200)
    figures = arm_named(results, "a")["guardrails"]["opt_out_rate"]
    assert (figures["count"], figures["rate"], figures["max"], figures["passed"]) == (
        5, 0.02, 0.02, True,
    )  # fmt: skip
    assert figures["wilson_95"] is not None


def test_a_guardrail_fails_only_over_its_maximum() -> None:
    d = definition()["guardrails"]
    assert first_breach(tally(250, 0, opted_out=5), d, 200) is None  # exactly 2 %
    breach = first_breach(tally(250, 0, opted_out=6), d, 200)
    assert breach is not None
    assert breach.event_fields() == {
        "guardrail": "opt_out_rate", "count": 6, "delivered": 250, "rate": "0.024000",
        "max": "0.02",
    }  # fmt: skip


def test_guardrails_are_judged_only_past_the_gate() -> None:
    d = definition()["guardrails"]
    assert first_breach(tally(199, 0, complained=50), d, 200) is None
    assert first_breach(tally(200, 0, complained=50), d, 200) is not None
    tallies = {"a": tally(199, 0, complained=50)}
    results = experiment_results(definition(min_sample=1000), {}, tallies, 200)
    assert (arm_named(results, "a")["guardrails"]["passed"], arm_named(results, "a")["guardrails"]["judged"]) == (
        True, False,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("min_sample", "min_delivered", "gate"), [(1000, 200, 200), (50, 200, 50), (10, 0, 1)]
)
def test_the_gate_is_the_lesser_of_sample_size_and_min_delivered(
    min_sample: int, min_delivered: int, gate: int
) -> None:
    assert guardrail_gate(min_sample, min_delivered) == gate
