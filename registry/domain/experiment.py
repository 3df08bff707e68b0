"""An A/B test of templates (R-EXPERIMENT, SPEC §13): DRAFT → RUNNING → STOPPED | CONCLUDED.

Every change is an event carrying its actor and request id (RegistryAggregate)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from registry.domain.base import RegistryAggregate, current_actor, natural_id
from registry.domain.exceptions import Conflict, FourEyesViolation, InvalidRequest

STATUSES = ("DRAFT", "RUNNING", "STOPPED", "CONCLUDED")


def experiment_aggregate_id(tenant: str, name: str) -> UUID:
    return natural_id(tenant, "experiment", name)


class ExperimentStateConflict(Conflict):
    code = "experiment_state_conflict"


class Experiment(RegistryAggregate):
    class Created(RegistryAggregate.Created):
        name: str
        definition: dict[str, Any]

    class Revised(RegistryAggregate.Event):
        definition: dict[str, Any]

        def apply(self, experiment: Experiment) -> None:
            experiment.definition = self.definition
            experiment.created_by = self.actor

    class Started(RegistryAggregate.Event):
        def apply(self, experiment: Experiment) -> None:
            experiment.status = "RUNNING"
            experiment.started_by = self.actor
            experiment.started_at = self.timestamp

    class Stopped(RegistryAggregate.Event):
        reason: str | None

        def apply(self, experiment: Experiment) -> None:
            experiment.status = "STOPPED"
            experiment.ended = {"by": self.actor, "at": self.timestamp, "reason": self.reason}

    class ArmStopped(RegistryAggregate.Event):
        """An arm whose guardrail failed (SPEC §13), stopped by the registry (actor
        `system`) in the transaction of the outcome or feedback that made it fail, with
        the figures it was judged on (rates as decimal text: no floats in events)."""

        arm: str
        guardrail: str  # opt_out_rate | complaint_rate
        count: int
        delivered: int
        rate: str | None
        max: str
        min_delivered: int

        def apply(self, experiment: Experiment) -> None:
            experiment.stopped_arms[self.arm] = {
                "by": self.actor,
                "at": self.timestamp,
                "guardrail": self.guardrail,
                "count": self.count,
                "delivered": self.delivered,
                "rate": self.rate,
                "max": self.max,
                "min_delivered": self.min_delivered,
            }

    class Concluded(RegistryAggregate.Event):
        winner: str
        reason: str | None

        def apply(self, experiment: Experiment) -> None:
            experiment.status = "CONCLUDED"
            experiment.winner = self.winner
            experiment.ended = {"by": self.actor, "at": self.timestamp, "reason": self.reason}

    def __init__(
        self, tenant: str, name: str, definition: dict[str, Any], actor: str = "system"
    ) -> None:
        self.tenant = tenant
        self.name = name
        self.definition = definition
        self.status = "DRAFT"
        self.created_by = actor  # the Created event's actor (also when read back)
        self.started_by: str | None = None
        self.started_at: Any = None
        self.winner: str | None = None
        self.ended: dict[str, Any] | None = None
        self.stopped_arms: dict[str, dict[str, Any]] = {}

    @classmethod
    def create(cls, tenant: str, name: str, definition: dict[str, Any]) -> Experiment:
        created: Experiment = cls._create(
            cls.Created,
            id=experiment_aggregate_id(tenant, name),
            tenant=tenant,
            name=name,
            definition=definition,
        )
        return created

    def revise(self, definition: dict[str, Any]) -> None:
        """A DRAFT may be redefined; a started experiment's arms never change."""
        if self.status != "DRAFT":
            raise ExperimentStateConflict(
                f"experiment {self.name} is {self.status}: its arms cannot change; "
                "create a new experiment"
            )
        if definition != self.definition:
            self.trigger_event(self.Revised, definition=definition)

    def start(self) -> None:
        if self.status != "DRAFT":
            raise ExperimentStateConflict(f"experiment {self.name} is {self.status}, not DRAFT")
        if current_actor() == self.created_by:
            raise FourEyesViolation("an experiment is started by someone other than its creator")
        self.trigger_event(self.Started)

    def stop(self, reason: str | None) -> None:
        if self.status != "RUNNING":
            raise ExperimentStateConflict(f"experiment {self.name} is {self.status}, not RUNNING")
        self.trigger_event(self.Stopped, reason=reason)

    def stop_arm(self, arm: str, figures: dict[str, Any], min_delivered: int) -> None:
        """Stops `arm` of a RUNNING experiment (nothing when it is stopped already); when
        no arm is left, the experiment stops too."""
        if self.status != "RUNNING" or arm in self.stopped_arms:
            return
        self.trigger_event(self.ArmStopped, arm=arm, min_delivered=min_delivered, **figures)
        if all(a["name"] in self.stopped_arms for a in self.definition["arms"]):
            self.trigger_event(self.Stopped, reason="every arm failed a guardrail")

    def conclude(self, winner: str, reason: str | None) -> None:
        arms = [arm["name"] for arm in self.definition["arms"]]
        if winner not in arms:
            raise InvalidRequest(
                f"winner {winner!r} is not an arm of experiment {self.name}",
                winner=[f"not one of {', '.join(arms)}"],
            )
        if self.status not in ("RUNNING", "STOPPED"):
            raise ExperimentStateConflict(
                f"experiment {self.name} is {self.status}, not RUNNING or STOPPED"
            )
        if winner in self.stopped_arms:
            raise ExperimentStateConflict(
                f"arm {winner} was stopped by its {self.stopped_arms[winner]['guardrail']} "
                "guardrail: it cannot win"
            )
        self.trigger_event(self.Concluded, winner=winner, reason=reason)
