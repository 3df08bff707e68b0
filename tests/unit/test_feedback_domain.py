"""SPEC §11-12 in the domain: attribution windows, the channel's halving and restore, the
effective limit, the minute window, and the 131049 hold, on plain values."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from registry.domain.channel import Channel, RateFigures, next_step
from registry.domain.customer import Customer
from registry.domain.decision import ChannelLimit, CustomerFacts, decide
from registry.domain.feedback import rate_text, reaches
from registry.domain.limits import effective_limit, frees_at, minute_of, moment_of_minute
from registry.domain.policy import Policy
from registry.domain.rules.messaging_limit import feedback_reasons
from registry.domain.send import Send, SendIdentity

T0 = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
TEMPLATE = {"name": "spring_sale", "language": "ru", "version": 1}


def customer_with_send(at: datetime, channel: str = "whatsapp") -> Customer:
    customer = Customer.register("acme", "anna")
    customer.authorize_send(
        authorization_id="auth_1",
        channel=channel,
        template=TEMPLATE,
        purpose="promotions",
        authorized_at=at,
        message_ref=None,
    )
    return customer


def attribute(customer: Customer, at: datetime, channel: str | None = "whatsapp") -> object:
    return customer.attribute_feedback(
        kind="opted_out",
        cause="Customer.ConsentWithdrawn",
        at=at,
        source_kind="link",
        purposes=["promotions"],
        channel=channel,
        within=timedelta(hours=72),
    )


def test_an_opt_out_within_the_attribution_hours_is_attributed_to_the_last_send() -> None:
    customer = customer_with_send(T0)
    send = attribute(customer, T0 + timedelta(hours=72))
    assert send is not None
    event = customer.pending_events[-1]
    assert isinstance(event, Customer.FeedbackAttributed)
    assert (event.authorization_id, event.template, event.channel) == (
        "auth_1",
        TEMPLATE,
        "whatsapp",
    )


def test_an_opt_out_after_the_attribution_hours_is_not_attributed() -> None:
    customer = customer_with_send(T0)
    assert attribute(customer, T0 + timedelta(hours=72, seconds=1)) is None
    assert not any(isinstance(e, Customer.FeedbackAttributed) for e in customer.pending_events)


def test_an_opt_out_on_another_channel_is_not_attributed_to_this_send() -> None:
    customer = customer_with_send(T0)
    assert attribute(customer, T0 + timedelta(hours=1), channel="sms") is None


def test_a_suppression_is_attributed_to_the_latest_send_on_any_channel() -> None:
    customer = customer_with_send(T0)
    customer.authorize_send(
        authorization_id="auth_2",
        channel="sms",
        template=TEMPLATE,
        purpose="promotions",
        authorized_at=T0 + timedelta(hours=1),
        message_ref=None,
    )
    send = attribute(customer, T0 + timedelta(hours=2), channel=None)
    assert send is not None and send["authorization_id"] == "auth_2"


def test_an_outcome_with_error_131049_holds_for_24_hours_from_its_own_time() -> None:
    identity = SendIdentity("auth_1", "anna", "whatsapp", TEMPLATE, "promotions", T0)
    send = Send.open("acme", identity, None)
    assert send.record_outcome(
        status="failed", at=T0, error_code="131049", detail=None, source="whatsapp"
    )
    assert send.hold_until == T0 + timedelta(hours=24)


def test_the_same_status_of_a_send_is_recorded_once() -> None:
    identity = SendIdentity("auth_1", "anna", "whatsapp", TEMPLATE, "promotions", T0)
    send = Send.open("acme", identity, None)
    assert send.record_outcome(
        status="delivered", at=T0, error_code=None, detail=None, source="api"
    )
    assert not send.record_outcome(
        status="delivered", at=T0, error_code=None, detail=None, source="api"
    )


def test_a_platform_user_cap_does_not_hold_session_messages() -> None:
    facts = CustomerFacts(holds={"whatsapp": T0 + timedelta(hours=24)})
    policy = Policy.from_document(
        {
            "send_window": None,
            "send_days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
            "holidays": None,
        },
        tenant="acme",
    )
    decision = decide(
        customer=facts,
        template=None,
        template_requested=False,
        channel="whatsapp",
        policy=policy,
        at=T0,
    )
    assert "platform_user_cap" not in decision.reasons


@pytest.mark.parametrize(
    ("configured", "platform", "halved", "effective", "reasons"),
    [
        (None, None, False, None, ["no_limit"]),
        (None, None, True, None, ["no_limit"]),
        (1000, 250, False, 250, ["platform"]),
        (100, 250, True, 50, ["configured", "halved_for_complaints"]),
        (250, 250, False, 250, ["configured", "platform"]),
        (1, None, True, 1, ["configured", "halved_for_complaints"]),
        (0, None, True, 0, ["configured", "halved_for_complaints"]),
    ],
)
def test_the_effective_limit_is_the_lower_setting_halved_while_warned(
    configured: int | None,
    platform: int | None,
    halved: bool,
    effective: int | None,
    reasons: list[str],
) -> None:
    limit = effective_limit(configured, platform, halved)
    assert (limit.effective, limit.reasons) == (effective, reasons)


def test_a_full_window_frees_a_place_when_its_oldest_minute_leaves() -> None:
    oldest = minute_of(T0)
    buckets = [(oldest + 5, 2), (oldest, 1), (oldest + 10, 2)]
    assert frees_at(buckets, count=5, effective=5) == moment_of_minute(oldest + 1441)
    assert frees_at(buckets, count=5, effective=4) == moment_of_minute(oldest + 5 + 1441)
    assert frees_at(buckets, count=5, effective=0) is None


def test_rates_are_judged_exactly_and_written_without_floats() -> None:
    assert reaches(1, 200, Decimal("0.005"))
    assert not reaches(1, 201, Decimal("0.005"))
    assert rate_text(1, 3) == "0.333333"
    assert rate_text(0, 0) is None


FIGURES = RateFigures(1, 100, "0.010000", "0.001", 7, 10)


@pytest.mark.parametrize(
    ("halved", "recovering", "above", "after", "step"),
    [
        (False, None, True, timedelta(0), "halve"),
        (False, None, False, timedelta(0), None),
        (True, None, True, timedelta(0), None),
        (True, None, False, timedelta(0), "start_recovery"),
        (True, T0, True, timedelta(days=3), "interrupt"),
        (True, T0, False, timedelta(days=6, hours=23), None),
        (True, T0, False, timedelta(days=7), "restore"),
    ],
)
def test_one_evaluation_of_the_channel_changes_what_the_rule_says(
    halved: bool, recovering: datetime | None, above: bool, after: timedelta, step: str | None
) -> None:
    assert next_step(halved, recovering, above, T0 + after) == step


def test_a_channel_is_restored_after_seven_consecutive_days_below_the_warning() -> None:
    channel = Channel.register("acme", "whatsapp")
    channel.evaluate(FIGURES, at_or_above=True, at=T0)
    channel.evaluate(FIGURES, at_or_above=False, at=T0 + timedelta(days=1))
    channel.evaluate(FIGURES, at_or_above=True, at=T0 + timedelta(days=2))  # interrupted
    channel.evaluate(FIGURES, at_or_above=False, at=T0 + timedelta(days=3))  # starts again
    channel.evaluate(FIGURES, at_or_above=False, at=T0 + timedelta(days=9, hours=23))
    assert channel.halved
    channel.evaluate(FIGURES, at_or_above=False, at=T0 + timedelta(days=10))
    assert not channel.halved
    kinds = [type(e).__name__ for e in channel.pending_events[1:]]
    assert kinds == [
        "Halved",
        "RecoveryStarted",
        "RecoveryInterrupted",
        "RecoveryStarted",
        "Restored",
    ]


def test_a_customer_already_counted_in_the_window_is_not_refused_by_a_full_window() -> None:
    limit = ChannelLimit(effective=2, customers_24h=2, window_start=T0 - timedelta(hours=24))
    counted = CustomerFacts(marketing_at={"whatsapp": T0 - timedelta(hours=1)})
    assert feedback_reasons(counted, "whatsapp", limit, T0) == []
    assert feedback_reasons(CustomerFacts(), "whatsapp", limit, T0) == ["messaging_limit_reached"]
