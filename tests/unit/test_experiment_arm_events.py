"""The events that make experiment results recomputable (SPEC §13): SendAuthorized v2
names the arm (v1 events read back with none), an arm stopped by a guardrail, and
which sends count in the test."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from eventsourcing.application import Application

from registry.domain.base import acting_as
from registry.domain.customer import Customer
from registry.domain.exceptions import Conflict
from registry.domain.experiment import Experiment
from registry.domain.rules.assignment import assign_arm
from registry.domain.rules.experiment import choose_arm

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
FIGURES = {"guardrail": "complaint_rate", "count": 3, "delivered": 200, "rate": "0.015000",
           "max": "0.01"}  # fmt: skip


def authorized(customer: Customer, experiment: dict[str, str] | None) -> None:
    customer.authorize_send(
        authorization_id="auth_1",
        channel="whatsapp",
        template={"name": "t", "language": "en", "version": 1},
        purpose="promotions",
        authorized_at=T0,
        message_ref=None,
        experiment=experiment,
    )


def test_a_send_authorized_from_an_experiment_names_its_arm_in_the_log() -> None:
    app: Application[Any] = Application()
    customer = Customer.register("t", "c")
    authorized(customer, {"name": "spring_ab", "arm": "b"})
    app.save(customer)
    [*_, stored] = app.events.recorder.select_events(customer.id)
    event = app.mapper.to_domain_event(stored)
    assert isinstance(event, Customer.SendAuthorized)
    assert event.experiment == {"name": "spring_ab", "arm": "b"}
    assert b'"class_version":2' in stored.state.replace(b" ", b"")


def test_a_version_1_send_authorized_reads_back_with_no_experiment() -> None:
    app: Application[Any] = Application()
    customer = Customer.register("t", "c")
    authorized(customer, None)
    app.save(customer)
    [*_, stored] = app.events.recorder.select_events(customer.id)
    state = app.mapper.transcoder.decode(stored.state)
    del state["class_version"], state["experiment"]  # as version 1 wrote it
    old = stored.__class__(
        stored.originator_id, stored.originator_version, stored.topic,
        app.mapper.transcoder.encode(state),
    )  # fmt: skip
    event = app.mapper.to_domain_event(old)
    assert isinstance(event, Customer.SendAuthorized) and event.experiment is None


def running() -> Experiment:
    with acting_as("alice"):
        experiment = Experiment.create(
            "t",
            "spring_ab",
            {"arms": [{"name": "a"}, {"name": "b"}], "guardrails": {}, "min_sample_per_arm": 1},
        )
    with acting_as("bob"):
        experiment.start()
    return experiment


def test_stopping_an_arm_records_the_figures_and_the_system_actor() -> None:
    experiment = running()
    with acting_as("system"):
        experiment.stop_arm("b", FIGURES, 200)
    stopped = experiment.stopped_arms["b"]
    assert {k: stopped[k] for k in ("by", "guardrail", "rate", "max", "min_delivered")} == {
        "by": "system", "guardrail": "complaint_rate", "rate": "0.015000", "max": "0.01",
        "min_delivered": 200,
    }  # fmt: skip
    assert experiment.status == "RUNNING"


def test_an_arm_is_stopped_once() -> None:
    experiment = running()
    with acting_as("system"):
        experiment.stop_arm("b", FIGURES, 200)
        experiment.collect_events()
        experiment.stop_arm("b", FIGURES, 200)
    assert experiment.collect_events() == []


def test_the_last_arm_stopped_stops_the_experiment() -> None:
    experiment = running()
    with acting_as("system"):
        experiment.stop_arm("a", FIGURES, 200)
        experiment.stop_arm("b", FIGURES, 200)
    assert experiment.status == "STOPPED"
    assert experiment.ended is not None and experiment.ended["by"] == "system"


def test_a_stopped_arm_cannot_be_the_winner() -> None:
    experiment = running()
    with acting_as("system"):
        experiment.stop_arm("b", FIGURES, 200)
    with acting_as("bob"), pytest.raises(Conflict):
        experiment.conclude("b", None)


def experiment_doc(status: str = "RUNNING", **extra: Any) -> dict[str, Any]:
    return {
        "name": "spring_ab",
        "status": status,
        "arms": [{"name": "a", "template": {"name": "t_a", "language": "en"}, "weight": 50},
                 {"name": "b", "template": {"name": "t_b", "language": "en"}, "weight": 50}],
        "winner": None,
        **extra,
    }  # fmt: skip


def a_customer_in(arm: str) -> str:
    return next(
        c
        for c in (f"c{i}" for i in range(100))
        if assign_arm("t", "spring_ab", c, [("a", 50), ("b", 50)]) == arm
    )


def test_a_running_arms_send_is_in_the_test() -> None:
    choice = choose_arm("t", experiment_doc(), a_customer_in("b"))
    assert (choice.arm, choice.reason, choice.in_test) == ("b", None, True)


def test_a_stopped_arms_customer_gets_experiment_stopped() -> None:
    doc = experiment_doc(stopped_arms={"b": FIGURES})
    choice = choose_arm("t", doc, a_customer_in("b"))
    assert (choice.arm, choice.reason, choice.in_test) == ("b", "experiment_stopped", False)
    assert choose_arm("t", doc, a_customer_in("a")).reason is None


def test_the_winners_sends_after_conclusion_are_not_in_the_test() -> None:
    choice = choose_arm("t", experiment_doc("CONCLUDED", winner="a"), a_customer_in("b"))
    assert (choice.arm, choice.reason, choice.in_test) == ("a", None, False)
