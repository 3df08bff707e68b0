"""An experiment's results (SPEC §13): per arm counts and rates with 95 % Wilson intervals
and its guardrails (each arm's `guardrails`: the definition's `guardrails` keeps the
maxima), Pearson's chi-squared p-value of the metric across arms (control excluded), and
the suggested winner or why there is none. Pure: the counts come in
(`ArmTally`, counted from the log's sends by registry/projections/experiment_sends.py).

The unit is a send (an authorization), as in R-OUTCOME's stats; `assigned` counts the
distinct customers authorized in the arm. A send counts as delivered when its delivery
was reported or a later status shows it, and as sent when that or `sent` was recorded
(registry/domain/outcome_counts.py, the rule every figure counts by), so every metric is a
proportion of the delivered (rate = count / delivered).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final, NamedTuple

from registry.domain.experiment_stats import pearson_chi_squared, wilson_interval
from registry.domain.feedback import rate_text
from registry.domain.outcome_counts import SHOWS_DELIVERY as SHOWS_DELIVERY

METRICS: Final = ("read", "replied", "clicked", "converted")
COUNTED: Final = ("sent", "delivered", *METRICS, "failed", "opted_out", "complained")
GUARDRAILS: Final = (("opt_out_rate", "max_opt_out_rate", "opted_out"),
                     ("complaint_rate", "max_complaint_rate", "complained"))  # fmt: skip
SIGNIFICANCE: Final = 0.05
SUGGESTION_REASONS: Final = ("best_rate", "insufficient_sample", "no_p_value", "not_significant",
                             "tied", "arm_stopped", "guardrail_failed")  # fmt: skip


class ArmTally(NamedTuple):
    assigned: int  # distinct customers authorized in the arm
    authorized: int
    counts: Mapping[str, int]  # every name of COUNTED


def empty_tally() -> ArmTally:
    return ArmTally(0, 0, dict.fromkeys(COUNTED, 0))


@dataclass(frozen=True)
class GuardrailFigures:
    name: str  # opt_out_rate | complaint_rate
    count: int
    delivered: int
    maximum: Decimal
    failed: bool

    def event_fields(self) -> dict[str, Any]:
        """The figures as an event records them (decimal text, no floats)."""
        return {
            "guardrail": self.name,
            "count": self.count,
            "delivered": self.delivered,
            "rate": rate_text(self.count, self.delivered),
            "max": str(self.maximum),
        }


def guardrail_gate(min_sample_per_arm: int, min_delivered: int) -> int:
    """Delivered sends an arm needs before its guardrails are judged: the lesser of the
    experiment's sample size and the policy's `feedback.min_delivered`, at least 1."""
    return max(1, min(min_sample_per_arm, min_delivered))


def judge_guardrails(
    tally: ArmTally, guardrails: Mapping[str, Any], gate: int
) -> list[GuardrailFigures]:
    """Each guardrail's figures; one fails when its rate is over its maximum (exactly, in
    decimals) with at least `gate` delivered."""
    delivered = tally.counts["delivered"]
    judged = delivered >= gate
    figures = []
    for name, field, flag in GUARDRAILS:
        maximum = Decimal(str(guardrails[field]))
        count = tally.counts[flag]
        failed = judged and Decimal(count) > maximum * Decimal(delivered)
        figures.append(GuardrailFigures(name, count, delivered, maximum, failed))
    return figures


def first_breach(
    tally: ArmTally, guardrails: Mapping[str, Any], gate: int
) -> GuardrailFigures | None:
    return next((f for f in judge_guardrails(tally, guardrails, gate) if f.failed), None)


def _rate(count: int, delivered: int) -> dict[str, Any]:
    interval = wilson_interval(count, delivered)
    return {
        "count": count,
        "rate": None if delivered <= 0 else count / delivered,
        "wilson_95": None if interval is None else {"low": interval[0], "high": interval[1]},
    }


class Suggestion(NamedTuple):
    winner: str | None
    reason: str  # one of SUGGESTION_REASONS
    detail: str


def suggest_winner(
    metric: str,
    min_sample: int,
    arms: Sequence[dict[str, Any]],
    p_value: float | None,
) -> Suggestion:
    """`arms` as `experiment_results` renders them."""
    short = [a for a in arms if a["delivered"] < min_sample]
    if short:
        named = ", ".join(f"{a['name']} ({a['delivered']})" for a in short)
        return Suggestion(
            None,
            "insufficient_sample",
            f"every arm needs {min_sample} delivered (min_sample_per_arm); {named} not yet",
        )
    if p_value is None:
        return Suggestion(
            None,
            "no_p_value",
            f"no delivered send has {metric}, or every one has: the test is undefined",
        )
    if p_value >= SIGNIFICANCE:
        return Suggestion(
            None, "not_significant", f"p_value {p_value:.4g} is not below {SIGNIFICANCE}"
        )
    best_rate = max(a["metrics"][metric]["rate"] for a in arms)
    best = [a for a in arms if a["metrics"][metric]["rate"] == best_rate]
    if len(best) > 1:
        return Suggestion(None, "tied", f"arms {', '.join(a['name'] for a in best)} tie")
    (arm,) = best
    if arm["stopped"] is not None:
        return Suggestion(None, "arm_stopped", f"the best arm, {arm['name']}, was stopped")
    if not arm["guardrails"]["passed"]:
        return Suggestion(
            None, "guardrail_failed", f"the best arm, {arm['name']}, fails its guardrails"
        )
    return Suggestion(
        arm["name"],
        "best_rate",
        f"{arm['name']} has the best {metric} rate ({best_rate:.4g}), p_value {p_value:.4g}",
    )


def experiment_results(
    definition: Mapping[str, Any],
    stopped_arms: Mapping[str, Any],
    tallies: Mapping[str, ArmTally],
    min_delivered: int,
) -> dict[str, Any]:
    """`definition` as the experiment records it; `stopped_arms` (arm → how it was
    stopped); `tallies` per arm name (an arm without sends may be missing);
    `min_delivered` the policy's `feedback.min_delivered`."""
    metric = definition["metric"]
    min_sample = int(definition["min_sample_per_arm"])
    gate = guardrail_gate(min_sample, min_delivered)
    arms: list[dict[str, Any]] = []
    for arm in definition["arms"]:
        tally = tallies.get(arm["name"]) or empty_tally()
        delivered = tally.counts["delivered"]
        figures = judge_guardrails(tally, definition["guardrails"], gate)
        arms.append(
            {
                **arm,
                "stopped": stopped_arms.get(arm["name"]),
                "assigned": tally.assigned,
                "authorized": tally.authorized,
                **{name: tally.counts[name] for name in COUNTED},
                "metrics": {m: _rate(tally.counts[m], delivered) for m in METRICS},
                "guardrails": {
                    "passed": not any(f.failed for f in figures),
                    "judged": delivered >= gate,
                    "min_delivered": gate,
                    **{
                        f.name: {**_rate(f.count, delivered), "max": float(f.maximum),
                                 "passed": not f.failed}
                        for f in figures
                    },
                },
            }
        )  # fmt: skip
    test = pearson_chi_squared([(a["metrics"][metric]["count"], a["delivered"]) for a in arms])
    p_value = None if test is None else test.p_value
    suggestion = suggest_winner(metric, min_sample, arms, p_value)
    return {
        "arms": arms,
        "p_value": p_value,
        "chi_squared": None
        if test is None
        else {"statistic": test.statistic, "degrees_of_freedom": test.degrees_of_freedom},
        "suggested_winner": suggestion.winner,
        "suggested_winner_reason": suggestion.reason,
        "suggested_winner_detail": suggestion.detail,
    }
