"""An experiment arm whose guardrail fails is stopped at once (SPEC §13, §19): judged in
the transaction of the outcome or attributed feedback that changes the arm's figures
(FeedbackRules.judge calls `judge`, as it pauses templates), so the next decision answers
`experiment_stopped` for that arm's customers.

The arm's figures are its committed tallies (registry_experiment_sends joined with
registry_sends) plus what the write adds, so they are what a recount of the log gives
once the write is in. Two concurrent writes that each stay under a maximum can together
pass it; the next write that touches the arm stops it (as for template pauses).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from registry.domain.base import RegistryAggregate, acting_as
from registry.domain.exceptions import NotFound
from registry.domain.experiment import Experiment, experiment_aggregate_id
from registry.domain.experiment_results import (
    ArmTally,
    empty_tally,
    first_breach,
    guardrail_gate,
)
from registry.domain.feedback import Feedback
from registry.domain.outcome_counts import SHOWS_SENT, counts_with
from registry.domain.send import FlagChange
from registry.domain.vocabulary import ACTOR_SYSTEM
from registry.projections.experiment_sends import arm_tallies, arms_of
from registry.store.sql import Sql

if TYPE_CHECKING:
    from registry.projections.reader import ViewReader
    from registry.store.writer import EventWriter

_MOVES_GUARDRAILS = frozenset({*SHOWS_SENT, "opted_out", "complained"})


class ArmGuardrails:
    def __init__(self, writer: EventWriter, views: ViewReader) -> None:
        self.writer = writer
        self.views = views

    def judge(
        self,
        tenant: str,
        sql: Sql,
        changes: Sequence[FlagChange],
        feedback: Feedback,
    ) -> list[RegistryAggregate]:
        """The experiments with an `ArmStopped` to save; `changes`: each touched send's
        committed flags and those the write sets that it had not."""
        moved: dict[str, tuple[frozenset[str], frozenset[str]]] = {}
        for change in changes:
            if change.added & _MOVES_GUARDRAILS:
                key = change.identity.authorization_id
                before, added = moved.get(key, (change.before, frozenset()))
                moved[key] = (before, added | change.added)
        arms = arms_of(sql, tenant, list(moved))
        if not arms:
            return []
        names = sorted({experiment for experiment, _ in arms.values()})
        docs, _ = self.views.read(tenant, [("experiment", name) for name in names])
        changed: list[RegistryAggregate] = []
        for name in names:
            doc = docs.get(("experiment", name))
            if doc is None or doc["status"] != "RUNNING":
                continue
            tallies = arm_tallies(sql, tenant, name)
            for authorization_id, (experiment, arm) in arms.items():
                if experiment == name:
                    tallies[arm] = _plus(tallies.get(arm), *moved[authorization_id])
            gate = guardrail_gate(int(doc["min_sample_per_arm"]), feedback.min_delivered)
            breaches = {
                arm: breach
                for arm in sorted({a for e, a in arms.values() if e == name})
                if arm not in doc.get("stopped_arms", {})
                and (
                    breach := first_breach(
                        tallies.get(arm) or empty_tally(), doc["guardrails"], gate
                    )
                )
                is not None
            }
            if breaches:
                changed += self._stop(tenant, name, breaches, gate)
        return changed

    def _stop(
        self, tenant: str, name: str, breaches: dict[str, Any], gate: int
    ) -> list[RegistryAggregate]:
        try:
            experiment: Experiment = self.writer.get(experiment_aggregate_id(tenant, name))
        except NotFound:
            return []
        with acting_as(ACTOR_SYSTEM):
            for arm, breach in breaches.items():
                experiment.stop_arm(arm, breach.event_fields(), gate)
        return [experiment] if experiment.pending_events else []


def _plus(tally: ArmTally | None, before: frozenset[str], added: frozenset[str]) -> ArmTally:
    """`tally` with one send's flags going from `before` to `before | added`."""
    tally = tally or empty_tally()
    return ArmTally(tally.assigned, tally.authorized, counts_with(tally.counts, [(before, added)]))
