"""The Template aggregate's pilots (SPEC §13): numbered per template, kept by a version
with an unchanged BODY, cleared once, and read back from v2 snapshots."""

from __future__ import annotations

from typing import Any

from registry.domain.base import acting_as
from registry.domain.template import Template


def body(text: str) -> list[dict[str, Any]]:
    return [{"type": "HEADER", "format": "TEXT", "text": "Hi"}, {"type": "BODY", "text": text}]


def submit(template: Template, text: str) -> int:
    with acting_as("author"):
        return template.submit(
            category="MARKETING",
            purpose="promotions",
            components=body(text),
            parameter_format=None,
            lint=[],
        )


def approve(template: Template, version: int) -> None:
    with acting_as("reviewer"):
        template.review(version=version, decision="approve", reason=None)


def with_versions(*texts: str) -> Template:
    with acting_as("author"):
        template = Template.register("t", "sale", "ru")
    for text in texts:
        approve(template, submit(template, text))
    return template


def clear(template: Template, pilot: int) -> None:
    with acting_as("system"):
        template.clear_pilot(
            pilot=pilot,
            version=template.approved_version,
            customers=3,
            delivered=3,
            complained=0,
            opted_out=0,
            complaint_rate="0.000000",
            opt_out_rate="0.000000",
            complaint_threshold="0.005",
            opt_out_threshold="0.02",
            min_delivered=200,
            latest_send_at=None,
            at=template.versions[0]["submitted_at"],
        )


def test_a_template_has_no_pilot_before_its_first_approval() -> None:
    with acting_as("author"):
        template = Template.register("t", "sale", "ru")
    submit(template, "Sale!")

    assert template.pilot is None


def test_the_first_approval_starts_pilot_one() -> None:
    template = with_versions("Sale!")

    assert template.pilot is not None
    assert (template.pilot["number"], template.pilot["first_version"]) == (1, 1)
    assert template.pilot["started_at"] == template.versions[0]["review"]["reviewed_at"]
    assert template.pilot["cleared"] is None


def test_an_unchanged_body_keeps_the_pilot_and_its_start() -> None:
    template = with_versions("Sale!", "Sale!")

    assert template.pilot is not None
    assert (template.pilot["number"], template.pilot["first_version"]) == (1, 1)


def test_a_changed_body_starts_the_next_pilot() -> None:
    template = with_versions("Sale!", "Sale today!")

    assert template.pilot is not None
    assert (template.pilot["number"], template.pilot["first_version"]) == (2, 2)


def test_a_cleared_pilot_stays_cleared_for_a_later_version_with_the_same_body() -> None:
    template = with_versions("Sale!")
    clear(template, 1)
    approve(template, submit(template, "Sale!"))

    assert template.pilot is not None
    assert template.pilot["cleared"] is not None


def test_a_cleared_pilot_does_not_clear_a_later_version_with_another_body() -> None:
    template = with_versions("Sale!")
    clear(template, 1)
    approve(template, submit(template, "Sale, now!"))

    assert template.pilot is not None
    assert (template.pilot["number"], template.pilot["cleared"]) == (2, None)


def test_going_back_to_an_earlier_body_is_a_new_pilot() -> None:
    template = with_versions("Sale!")
    clear(template, 1)
    approve(template, submit(template, "Other"))
    approve(template, submit(template, "Sale!"))

    assert template.pilot is not None
    assert (template.pilot["number"], template.pilot["cleared"]) == (3, None)


def test_an_older_pending_version_approved_last_starts_the_latest_pilot() -> None:
    with acting_as("author"):
        template = Template.register("t", "sale", "ru")
    older = submit(template, "A")
    approve(template, submit(template, "B"))
    approve(template, older)

    assert template.pilot is not None
    assert (template.pilot["number"], template.pilot["first_version"]) == (2, 1)


def test_clearing_is_recorded_once_with_actor_system() -> None:
    template = with_versions("Sale!")
    clear(template, 1)
    clear(template, 1)

    cleared = [e for e in template.collect_events() if isinstance(e, Template.PilotCleared)]
    assert [(e.pilot, e.actor) for e in cleared] == [(1, "system")]


def test_a_v2_snapshot_reads_back_with_each_version_its_own_pilot() -> None:
    state: dict[str, Any] = {"versions": [{"version": 1}, {"version": 2}]}

    Template.upcast_v2_v3(state)

    assert (state["pilots_cleared"], state["pilots_started"]) == ({}, 2)
