"""SPEC §13's pilot as a pure rule: `pilot_in_progress`, which versions it holds, and
the verdict that clears or breaches it (registry.domain.rules.pilot)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from registry.domain.decision import ConsentFact, CustomerFacts, Decision, TemplateFacts, decide
from registry.domain.feedback import Feedback
from registry.domain.pilot import Pilot
from registry.domain.policy import Policy
from registry.domain.rules.pilot import (
    PilotFacts,
    PilotFigures,
    body_text,
    pilot_for,
    pilot_verdict,
)

NOON = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)  # a Wednesday, 12:00 in Moscow
TURNED_ON = NOON - timedelta(days=2)
APPROVED = NOON - timedelta(days=1)
PILOT_OF_3 = replace(Policy.default("t"), pilot=Pilot(customers=3))


def template(**changes: object) -> TemplateFacts:
    base: dict[str, object] = dict(
        name="sale",
        language="ru",
        status="APPROVED",
        approved_version=2,
        purpose="promotions",
        category="MARKETING",
        paused=False,
        disabled=False,
        platform_status=None,
        category_blocked=False,
        sms_deliverable=True,
        pilot=2,
        pilot_started_at=APPROVED,
        pilot_cleared=False,
    )
    base.update(changes)
    return TemplateFacts(**base)  # type: ignore[arg-type]


def customer(*purposes: str) -> CustomerFacts:
    grant = ConsentFact("granted", NOON - timedelta(days=3), None, None, "r", 2)
    return CustomerFacts(consents={f"whatsapp:{p}": grant for p in purposes or ["promotions"]})


def run(
    t: TemplateFacts,
    facts: PilotFacts | None,
    policy: Policy = PILOT_OF_3,
) -> Decision:
    return decide(
        customer=customer(t.purpose or ""),
        template=t,
        template_requested=True,
        channel="whatsapp",
        policy=policy,
        at=NOON,
        pilot=facts,
    )


def test_a_full_pilot_refuses_a_new_customer() -> None:
    decision = run(template(), PilotFacts(TURNED_ON, customers=3))

    assert (decision.allowed, decision.reasons) == (False, ["pilot_in_progress"])
    assert decision.next_allowed_at is None  # the pilot is no time rule


def test_a_pilot_with_room_allows_and_names_the_pilot_the_send_counts_in() -> None:
    decision = run(template(), PilotFacts(TURNED_ON, customers=2))

    assert (decision.allowed, decision.pilot) == (True, 2)


def test_a_customer_already_in_a_full_pilot_may_be_sent_to_again() -> None:
    decision = run(template(), PilotFacts(TURNED_ON, customers=3, includes_customer=True))

    assert decision.allowed


def test_a_cleared_pilot_holds_nothing_back() -> None:
    decision = run(template(pilot_cleared=True), PilotFacts(TURNED_ON, customers=3))

    assert (decision.allowed, decision.pilot) == (True, None)


def test_a_version_approved_before_pilots_were_turned_on_is_not_held() -> None:
    decision = run(
        template(pilot_started_at=TURNED_ON - timedelta(seconds=1)), PilotFacts(TURNED_ON, 3)
    )

    assert (decision.allowed, decision.pilot) == (True, None)


def test_no_pilot_in_the_policy_holds_nothing_back() -> None:
    decision = run(template(), PilotFacts(None, customers=3), policy=Policy.default("t"))

    assert decision.allowed


def test_a_category_outside_the_pilot_is_not_held() -> None:
    decision = run(
        template(category="UTILITY", purpose="alerts"), PilotFacts(TURNED_ON, customers=3)
    )

    assert decision.allowed


def test_a_transactional_template_of_a_piloted_category_is_not_held() -> None:
    policy = replace(Policy.default("t"), pilot=Pilot(3, ("MARKETING", "UTILITY")))
    piloted = template(category="UTILITY", purpose="alerts")
    held = run(piloted, PilotFacts(TURNED_ON, customers=3), policy)
    decision = run(
        template(category="UTILITY", purpose="service"), PilotFacts(TURNED_ON, 3), policy
    )

    assert held.reasons == ["pilot_in_progress"]

    assert decision.allowed


def test_pilot_in_progress_comes_after_the_consent_rules_and_before_the_time_rules() -> None:
    decision = decide(
        customer=CustomerFacts(),
        template=template(),
        template_requested=True,
        channel="whatsapp",
        policy=PILOT_OF_3,
        at=NOON + timedelta(hours=12),
        pilot=PilotFacts(TURNED_ON, customers=3),
    )

    assert decision.reasons == ["no_consent", "pilot_in_progress", "outside_send_window"]


def versions(*bodies: str) -> list[dict[str, object]]:
    return [
        {"version": n, "components": [{"type": "BODY", "text": body}]}
        for n, body in enumerate(bodies, start=1)
    ]


def test_a_first_approval_starts_the_first_pilot() -> None:
    assert pilot_for(versions("Sale!"), None, 1, started=0) == 1


def test_a_version_with_the_same_body_stays_in_the_superseded_versions_pilot() -> None:
    kept = versions("Sale!", "Sale!")
    kept[0]["pilot"] = 1

    assert pilot_for(kept, 1, 2, started=1) == 1


def test_a_version_with_a_changed_body_starts_the_next_pilot() -> None:
    kept = versions("Sale!", "Sale today!")
    kept[0]["pilot"] = 1

    assert pilot_for(kept, 1, 2, started=1) == 2


def test_body_text_ignores_the_other_components() -> None:
    components = [{"type": "HEADER", "text": "Hi"}, {"type": "BODY", "text": "Sale!"}]

    assert body_text(components) == "Sale!"
    assert body_text([{"type": "HEADER", "text": "Hi"}]) is None


FEEDBACK = Feedback(min_delivered=100)


def figures(**changes: object) -> PilotFigures:
    base: dict[str, object] = dict(
        customers=3, delivered=100, complained=0, opted_out=0, latest_send_at=NOON
    )
    base.update(changes)
    return PilotFigures(**base)  # type: ignore[arg-type]


def test_a_pilot_under_both_thresholds_at_min_delivered_clears() -> None:
    assert pilot_verdict(figures(), Pilot(3), FEEDBACK, NOON) == ("cleared", None)


def test_a_pilot_below_min_delivered_keeps_running() -> None:
    assert pilot_verdict(figures(delivered=99), Pilot(3), FEEDBACK, NOON) is None


def test_a_full_pilot_whose_latest_send_is_a_day_old_is_judged_below_min_delivered() -> None:
    old = figures(delivered=3, latest_send_at=NOON - timedelta(hours=24))

    assert pilot_verdict(old, Pilot(3), FEEDBACK, NOON) == ("cleared", None)


def test_a_pilot_that_is_not_full_is_not_judged_by_age() -> None:
    old = figures(customers=2, delivered=2, latest_send_at=NOON - timedelta(days=3))

    assert pilot_verdict(old, Pilot(3), FEEDBACK, NOON) is None


def test_a_pilot_with_nothing_delivered_is_never_cleared() -> None:
    old = figures(delivered=0, latest_send_at=NOON - timedelta(days=3))

    assert pilot_verdict(old, Pilot(3), FEEDBACK, NOON) is None


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"complained": 1}, "complaint_rate"),  # 1 % ≥ 0.5 %
        ({"opted_out": 2}, "opt_out_rate"),  # 2 % ≥ 2 %
        ({"complained": 1, "opted_out": 5}, "complaint_rate"),
    ],
)
def test_a_pilot_at_a_pause_threshold_breaches(changes: dict[str, int], reason: str) -> None:
    assert pilot_verdict(figures(**changes), Pilot(3), FEEDBACK, NOON) == ("breached", reason)


def test_rates_just_under_the_thresholds_clear() -> None:
    feedback = replace(FEEDBACK, template_pause_opt_out_rate=Decimal("0.02"))
    just_under = figures(delivered=1000, complained=4, opted_out=19)

    assert pilot_verdict(just_under, Pilot(3), feedback, NOON) == ("cleared", None)
