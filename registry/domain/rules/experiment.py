"""R-EXPERIMENT in a decision (SPEC §13, §19): which arm a customer is in, which template
that arm resolves to, and the experiment's own refusal (control, stopped)."""

from __future__ import annotations

from typing import Any, NamedTuple

from registry.domain.reasons import EXPERIMENT_CONTROL, EXPERIMENT_STOPPED
from registry.domain.rules.assignment import CONTROL, assign_arm


class ArmChoice(NamedTuple):
    arm: str
    template: dict[str, str]  # the template decided on (the first arm's for a refusal)
    reason: str | None  # experiment_control | experiment_stopped | None
    in_test: bool = False  # a running arm's send, counted in the results (not the winner's)


def choose_arm(tenant: str, experiment: dict[str, Any], customer_id: str) -> ArmChoice:
    """`experiment` is the experiment's view document."""
    templates = {arm["name"]: arm["template"] for arm in experiment["arms"]}
    first = experiment["arms"][0]["template"]
    if experiment["status"] == "CONCLUDED":
        return ArmChoice(experiment["winner"], templates[experiment["winner"]], None)
    weights = [(arm["name"], arm["weight"]) for arm in experiment["arms"]]
    arm = assign_arm(tenant, experiment["name"], customer_id, weights)
    if experiment["status"] != "RUNNING":  # stopped (or not yet started)
        return ArmChoice(arm, templates.get(arm, first), EXPERIMENT_STOPPED)
    if arm == CONTROL:
        return ArmChoice(CONTROL, first, EXPERIMENT_CONTROL)
    if arm in experiment.get("stopped_arms", {}):  # its guardrail failed
        return ArmChoice(arm, templates[arm], EXPERIMENT_STOPPED)
    return ArmChoice(arm, templates[arm], None, in_test=True)
