"""A decision, batch or authorization naming an experiment reads its views in one
statement, the experiment's document with the customer's and its arms' templates (on the
fakes, which count the reads); only an experiment whose arms are not known yet, or changed,
takes another read, and it then decides on the arms as read."""

from __future__ import annotations

from typing import Any

import pytest

from registry.domain.base import acting_as
from registry.domain.experiment import Experiment, experiment_aggregate_id
from tests.services import OnFakes, on_fakes
from tests.unit.services.test_decisions import TEMPLATE, T, granted, sendable


@pytest.fixture
def on() -> OnFakes:
    return on_fakes()


def definition(*templates: dict[str, str]) -> dict[str, Any]:
    weight = 100 // len(templates)
    return {
        "channel": "whatsapp",
        "purpose": "promotions",
        "arms": [
            {"name": f"arm{i}", "template": ref, "weight": weight}
            for i, ref in enumerate(templates)
        ],
        "control_weight": 100 - weight * len(templates),
        "metric": "clicked",
        "min_sample_per_arm": 1000,
        "guardrails": {"max_opt_out_rate": 0.02, "max_complaint_rate": 0.001},
    }


def experiment(on: OnFakes, *templates: dict[str, str], start: bool = True) -> None:
    with acting_as("alice"):
        on.writer.write(
            T,
            experiment_aggregate_id(T, "ab"),
            lambda: Experiment.create(T, "ab", definition(*templates)),
            lambda e: None,
        )
    if start:
        with acting_as("bob"):
            on.writer.write(T, experiment_aggregate_id(T, "ab"), None, lambda e: e.start())


def reads_of(on: OnFakes, call: Any) -> tuple[Any, int]:
    before = on.views.reads
    answer = call()
    return answer, on.views.reads - before


def test_an_experiment_decision_reads_once_when_its_arms_are_known(on: OnFakes) -> None:
    sendable(on)
    granted(on)
    experiment(on, TEMPLATE, TEMPLATE)
    ask = {"customer_id": "anna", "experiment": "ab"}
    first, _ = reads_of(on, lambda: on.decisions.decide(T, ask))
    second, reads = reads_of(on, lambda: on.decisions.decide(T, ask))
    assert reads == 1
    assert second == first
    assert (second["allowed"], second["experiment"], second["template"]["name"]) == (
        True,
        "ab",
        "spring_sale",
    )


def test_a_batch_and_an_authorization_naming_an_experiment_read_once(on: OnFakes) -> None:
    sendable(on)
    granted(on)
    experiment(on, TEMPLATE, TEMPLATE)
    on.decisions.decide(T, {"customer_id": "anna", "experiment": "ab"})  # its arms now known
    items = [{"customer_id": c, "experiment": "ab"} for c in ("anna", "nobody")]
    batch, reads = reads_of(on, lambda: on.decisions.decide_batch(T, items))
    assert reads == 1
    assert [r["reasons"] for r in batch["results"]] == [[], ["no_consent"]]
    with acting_as("alice"):
        (allowed, body), reads = reads_of(
            on, lambda: on.decisions.authorize(T, {"customer_id": "anna", "experiment": "ab"})
        )
    assert reads == 1
    assert allowed and body["arm"] in ("arm0", "arm1") and body["receipt"]


def test_an_experiment_whose_arms_changed_is_decided_on_the_arms_as_read(on: OnFakes) -> None:
    sendable(on)
    granted(on)
    missing = {"name": "not_there", "language": "ru"}
    experiment(on, missing, missing, start=False)
    ask = {"customer_id": "anna", "experiment": "ab"}
    stopped = on.decisions.decide(T, ask)
    assert stopped["reasons"] == ["experiment_stopped", "template_not_found"]
    with acting_as("alice"):  # the draft redefined: both arms now send spring_sale
        on.writer.write(
            T,
            experiment_aggregate_id(T, "ab"),
            None,
            lambda e: e.revise(definition(TEMPLATE, TEMPLATE)),
        )
    with acting_as("bob"):
        on.writer.write(T, experiment_aggregate_id(T, "ab"), None, lambda e: e.start())
    answer, reads = reads_of(on, lambda: on.decisions.decide(T, ask))
    assert reads == 2  # the kept arms named another template: read again with the new one
    assert (answer["allowed"], answer["template"]["name"]) == (True, "spring_sale")
