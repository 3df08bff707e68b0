"""TemplateService on the in-memory fakes (tests/services.py): submission with lint,
four-eyes review, pause."""

from __future__ import annotations

import pytest

from registry.domain.base import acting_as
from registry.domain.exceptions import FourEyesViolation
from tests.conftest import MARKETING_TEMPLATE
from tests.services import OnFakes, on_fakes

T = "acme"


@pytest.fixture
def on() -> OnFakes:
    return on_fakes()


def test_a_submitted_template_waits_for_review(on: OnFakes) -> None:
    with acting_as("alice"):
        answer = on.templates.submit_template(T, MARKETING_TEMPLATE)
    assert (answer["version"], answer["status"]) == (1, "PENDING")
    assert on.templates.template(T, "spring_sale", "ru")["status"] == "PENDING"


def test_the_submitter_cannot_approve_their_own_version(on: OnFakes) -> None:
    with acting_as("alice"):
        on.templates.submit_template(T, MARKETING_TEMPLATE)
        with pytest.raises(FourEyesViolation):
            on.templates.change_template(
                T, "spring_sale", "ru", "review", version=1, decision="approve", reason="ok"
            )
    assert on.templates.template(T, "spring_sale", "ru")["approved_version"] is None


def test_another_reviewers_approval_then_a_pause_are_recorded(on: OnFakes) -> None:
    with acting_as("alice"):
        on.templates.submit_template(T, MARKETING_TEMPLATE)
    with acting_as("bob"):
        approved = on.templates.change_template(
            T, "spring_sale", "ru", "review", version=1, decision="approve", reason="ok"
        )
        assert (approved["status"], approved["approved_version"]) == ("APPROVED", 1)
        on.templates.change_template(T, "spring_sale", "ru", "pause", reason="complaints")
    listed = on.templates.templates(T, status="PAUSED")["templates"]
    assert [t["name"] for t in listed] == ["spring_sale"]
