"""The Template aggregate: review, pause, platform reports."""

from __future__ import annotations

import pytest

from registry.domain.base import acting_as
from registry.domain.exceptions import FourEyesViolation, TemplateStateConflict, VersionNotPending
from registry.domain.template import Template


def submitted(lint: list[dict[str, str]] | None = None) -> Template:
    with acting_as("author"):
        template = Template.register("t", "sale", "ru")
        template.submit(
            category="MARKETING",
            purpose="promotions",
            components=[],
            parameter_format=None,
            lint=lint or [],
        )
    return template


def approved() -> Template:
    template = submitted()
    with acting_as("reviewer"):
        template.review(version=1, decision="approve", reason=None)
    return template


def test_lint_error_rejects_the_version_at_once() -> None:
    template = submitted([{"code": "not_personalised", "severity": "error", "message": "x"}])
    assert template.status == "REJECTED"


def test_submitter_cannot_approve_own_version() -> None:
    template = submitted()
    with acting_as("author"), pytest.raises(FourEyesViolation):
        template.review(version=1, decision="approve", reason=None)


def test_reviewing_an_approved_version_again_is_a_conflict() -> None:
    template = approved()
    with acting_as("reviewer"), pytest.raises(VersionNotPending):
        template.review(version=1, decision="reject", reason=None)


def test_earlier_approved_version_serves_until_the_next_is_approved() -> None:
    template = approved()
    with acting_as("author"):
        template.submit(
            category="MARKETING",
            purpose="promotions",
            components=[],
            parameter_format=None,
            lint=[],
        )
    assert template.approved_version == 1
    with acting_as("reviewer"):
        template.review(version=2, decision="approve", reason=None)
    assert template.approved_version == 2
    assert template.versions[0]["status"] == "SUPERSEDED"


def test_red_quality_pauses_the_template() -> None:
    template = approved()
    template.record_quality("RED")
    assert (template.status, template.pause_cause) == ("PAUSED", "quality")


def test_category_change_that_no_longer_fits_blocks_until_a_new_approval() -> None:
    template = approved()
    template.record_category_change("AUTHENTICATION")
    assert template.category_blocked is True
    with acting_as("author"):
        template.submit(
            category="MARKETING",
            purpose="promotions",
            components=[],
            parameter_format=None,
            lint=[],
        )
    with acting_as("reviewer"):
        template.review(version=2, decision="approve", reason=None)
    assert template.category_blocked is False


def test_disabled_template_cannot_be_resumed() -> None:
    template = approved()
    template.disable("abuse")
    with pytest.raises(TemplateStateConflict):
        template.resume("try")
