"""The pure decision function (R-DECIDE)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from registry.domain.decision import (
    ConsentFact,
    CustomerFacts,
    TemplateFacts,
    decide,
)
from registry.domain.policy import Policy
from registry.domain.reasons import REASON_ORDER

# A Wednesday, 12:00 in Moscow.
NOON = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)
POLICY = Policy.default("tenant")


def template(purpose: str = "promotions", **changes: object) -> TemplateFacts:
    base = dict(
        name="sale",
        language="ru",
        status="APPROVED",
        approved_version=1,
        purpose=purpose,
        category="MARKETING",
        paused=False,
        disabled=False,
        platform_status=None,
        category_blocked=False,
        sms_deliverable=True,
    )
    base.update(changes)
    return TemplateFacts(**base)  # type: ignore[arg-type]


def customer(*purposes: str, **changes: object) -> CustomerFacts:
    consents = {
        f"whatsapp:{p}": ConsentFact("granted", NOON - timedelta(days=1), None, None, "r", 2)
        for p in purposes
    }
    return CustomerFacts(consents=consents, **changes)  # type: ignore[arg-type]


def run(
    c: CustomerFacts | None,
    t: TemplateFacts | None,
    at: datetime = NOON,
    channel: str = "whatsapp",
    requested: bool = True,
):  # type: ignore[no-untyped-def]
    return decide(
        customer=c, template=t, template_requested=requested, channel=channel, policy=POLICY, at=at
    )


def test_granted_customer_at_noon_on_a_weekday_is_allowed() -> None:
    decision = run(customer("promotions"), template())
    assert (decision.allowed, decision.reasons, decision.next_allowed_at) == (True, [], None)


def test_reasons_come_in_the_spec_order() -> None:
    decision = run(
        customer(suppressed=True, erased=True),
        template(paused=True, approved_version=None),
        at=NOON + timedelta(hours=12),
    )
    assert decision.reasons == [
        "customer_erased",
        "customer_suppressed",
        "template_not_approved",
        "template_paused",
        "no_consent",
        "outside_send_window",
    ]
    assert decision.next_allowed_at is None


def test_evening_send_is_held_until_nine_next_morning() -> None:
    decision = run(customer("promotions"), template(), at=NOON + timedelta(hours=10))
    assert decision.reasons == ["outside_send_window"]
    assert decision.next_allowed_at == datetime(2026, 3, 5, 6, 0, tzinfo=UTC)


def test_service_templates_are_never_held_back_by_time_rules() -> None:
    decision = run(
        customer("service"), template("service", category="UTILITY"), at=NOON + timedelta(hours=12)
    )
    assert decision.allowed is True


def test_suppressed_customer_still_gets_authentication_messages() -> None:
    auth = template("authentication", category="AUTHENTICATION")
    assert run(customer("authentication", suppressed=True), auth).allowed is True


def test_expired_consent_is_refused() -> None:
    consent = ConsentFact(
        "granted", NOON - timedelta(days=9), None, NOON - timedelta(seconds=1), "r", 2
    )
    decision = run(CustomerFacts(consents={"whatsapp:promotions": consent}), template())
    assert decision.reasons == ["consent_expired"]


def test_platform_pause_blocks_whatever_our_review_said() -> None:
    assert run(customer("promotions"), template(platform_status="PAUSED")).reasons == [
        "platform_blocked"
    ]


def test_media_template_is_not_supported_on_sms() -> None:
    facts = CustomerFacts(
        consents={"sms:promotions": ConsentFact("granted", NOON, None, None, "r", 2)}
    )
    assert run(facts, template(sms_deliverable=False), channel="sms").reasons == [
        "channel_not_supported"
    ]


def test_daily_limit_counts_todays_authorizations_in_local_time() -> None:
    facts = customer(
        "promotions", recent_authorizations=(NOON - timedelta(hours=1), NOON - timedelta(hours=2))
    )
    decision = run(facts, template())
    assert decision.reasons == ["daily_limit_reached"]
    assert decision.next_allowed_at == datetime(2026, 3, 5, 6, 0, tzinfo=UTC)


def test_session_message_inside_the_service_window_is_allowed() -> None:
    facts = CustomerFacts(last_inbound_at={"whatsapp": NOON - timedelta(hours=23)})
    assert run(facts, None, requested=False).allowed is True


def test_session_message_after_the_service_window_is_refused() -> None:
    facts = CustomerFacts(last_inbound_at={"whatsapp": NOON - timedelta(hours=25)})
    assert run(facts, None, requested=False).reasons == ["outside_service_window"]


@settings(max_examples=150, deadline=None)
@given(
    erased=st.booleans(),
    suppressed=st.booleans(),
    paused=st.booleans(),
    disabled=st.booleans(),
    granted=st.booleans(),
    minutes=st.integers(0, 60 * 24 * 14),
    purpose=st.sampled_from(["service", "authentication", "promotions", "alerts", "reminders"]),
)
def test_decision_is_deterministic_and_reasons_are_ordered(
    erased: bool,
    suppressed: bool,
    paused: bool,
    disabled: bool,
    granted: bool,
    minutes: int,
    purpose: str,
) -> None:
    facts = customer(*([purpose] if granted else []), erased=erased, suppressed=suppressed)
    facts_template = template(purpose, paused=paused, disabled=disabled)
    at = NOON + timedelta(minutes=minutes)
    first, second = run(facts, facts_template, at), run(facts, facts_template, at)
    assert first == second
    assert first.reasons == sorted(first.reasons, key=REASON_ORDER.index)
    assert first.allowed == (first.reasons == [])
    if first.next_allowed_at is not None:
        assert run(facts, facts_template, first.next_allowed_at).allowed
