"""R-DECIDE as a pure function of (customer facts, template facts, policy, moment).

Live decisions, batches, authorizations and audit replay all call `decide_all` (`decide`
is a batch of one), so what an auditor replays is exactly what was decided.

A decision is taken in two steps. `DecisionFrame` holds what depends only on the template,
the channel, the policy and the moment: the template's own rules, and per time zone the
local time and the window, day and holiday rules (asked once per zone however many
customers live there). `decide_all` then asks each customer's own rules: erased or
suppressed, consent, the messaging limits, the daily limit and the service window.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from types import MappingProxyType
from typing import NamedTuple
from zoneinfo import ZoneInfo

from registry.domain.policy import Policy
from registry.domain.reasons import DAILY_LIMIT_REACHED, TIME_REASONS, in_order
from registry.domain.rules.consent import consent_reasons
from registry.domain.rules.customer import customer_reasons
from registry.domain.rules.daily_limit import DayIsFull, day_is_full_for, limit_reached
from registry.domain.rules.messaging_limit import feedback_reasons, held_until
from registry.domain.rules.pilot import PilotFacts, held_pilot, pilot_reasons
from registry.domain.rules.schedule import failing_time_rules, next_allowed_at
from registry.domain.rules.service_window import service_window_reasons
from registry.domain.rules.template import template_reasons
from registry.domain.vocabulary import NON_TRANSACTIONAL


# The facts and the decision are immutable values. They are NamedTuples rather than frozen
# dataclasses because a batch builds three of them per item, and a frozen dataclass
# takes 1.1 µs to build where a NamedTuple takes 0.7 µs.
class ConsentFact(NamedTuple):
    status: str  # granted | withdrawn | pending
    granted_at: datetime | None
    withdrawn_at: datetime | None
    expires_at: datetime | None
    receipt_id: str | None
    event_version: int
    confirm_by: datetime | None = None  # a pending consent (R-CONFIRM) expires then


class CustomerFacts(NamedTuple):
    erased: bool = False
    suppressed: bool = False
    timezone: str | None = None
    consents: Mapping[str, ConsentFact] = MappingProxyType({})
    last_inbound_at: Mapping[str, datetime] = MappingProxyType({})
    recent_authorizations: tuple[datetime, ...] = ()
    holds: Mapping[str, datetime] = MappingProxyType({})  # channel → platform cap until
    marketing_at: Mapping[str, datetime] = MappingProxyType({})  # channel → latest marketing send


class ChannelLimit(NamedTuple):
    """The channel's effective messaging limit (distinct customers per rolling 24 h, see
    registry.domain.limits) and how many it counts now; `frees_at` is when the oldest
    counted send leaves the window (known when the count is at the limit)."""

    effective: int | None
    customers_24h: int
    window_start: datetime  # a customer whose latest marketing send is at or after it counts
    frees_at: datetime | None = None


class TemplateFacts(NamedTuple):
    name: str
    language: str
    status: str  # effective: PENDING | APPROVED | REJECTED | PAUSED | DISABLED
    approved_version: int | None
    purpose: str | None
    category: str | None
    paused: bool
    disabled: bool
    platform_status: str | None
    category_blocked: bool
    sms_deliverable: bool
    # The approved version's pilot (registry.domain.rules.pilot): its number, when its
    # first version was approved, and whether it has cleared.
    pilot: int | None = None
    pilot_started_at: datetime | None = None
    pilot_cleared: bool = False


class Decision(NamedTuple):
    allowed: bool
    reasons: list[str]
    template_version: int | None
    next_allowed_at: datetime | None
    purpose: str | None
    consent: ConsentFact | None
    local_time: datetime
    pilot: int | None = None  # the pilot an authorization counts in


class ZoneAnswers(NamedTuple):
    """The time rules at the frame's moment in one zone, for a customer whose day is not
    full (the daily limit is asked per customer, from these)."""

    zone: ZoneInfo
    local_time: datetime
    day: date
    failing: list[str]  # outside_send_window, outside_send_days, holiday (and a 0 limit)


def _never_full(_: date) -> bool:
    return False


class DecisionFrame:
    """What a decision needs that does not depend on the customer, computed once for every
    customer decided with the same template, channel, policy, moment and channel limit."""

    __slots__ = (
        "_next_at",
        "_zones",
        "at",
        "channel",
        "channel_limit",
        "gated",
        "policy",
        "purpose",
        "template",
        "template_failing",
        "template_requested",
    )

    def __init__(
        self,
        *,
        template: TemplateFacts | None,
        template_requested: bool,
        channel: str,
        policy: Policy,
        at: datetime,
        channel_limit: ChannelLimit | None = None,
    ) -> None:
        self.template = template
        self.template_requested = template_requested
        self.channel = channel
        self.policy = policy
        self.at = at
        self.channel_limit = channel_limit
        self.purpose = None if template is None else template.purpose
        # Send window, days, holidays and the limits hold back non-transactional templates.
        self.gated = template_requested and self.purpose in NON_TRANSACTIONAL
        self.template_failing = template_reasons(template, channel) if template_requested else []
        self._zones: dict[str | None, ZoneAnswers] = {}
        self._next_at: dict[tuple[str | None, datetime], datetime | None] = {}

    def zone_answers(self, timezone: str | None) -> ZoneAnswers:
        """The answers for a customer's zone name (None or an unknown name: the policy's)."""
        answers = self._zones.get(timezone)
        if answers is None:
            zone = _zone_of(timezone, self.policy)
            failing = (
                failing_time_rules(self.at, zone, self.policy, day_is_full=_never_full)
                if self.gated
                else []
            )
            local_time = self.at.astimezone(zone)
            answers = ZoneAnswers(zone, local_time, local_time.date(), failing)
            self._zones[timezone] = answers
        return answers

    def next_allowed(
        self, timezone: str | None, zone: ZoneInfo, start: datetime, day_is_full: DayIsFull | None
    ) -> datetime | None:
        """`next_allowed_at` from `start`; kept per zone for customers whose days are never
        full (`day_is_full` None), asked afresh for the others."""
        if day_is_full is not None:
            return next_allowed_at(start, zone, self.policy, day_is_full=day_is_full)
        key = (timezone, start)
        if key not in self._next_at:
            self._next_at[key] = next_allowed_at(start, zone, self.policy, day_is_full=_never_full)
        return self._next_at[key]


def _zone_of(timezone: str | None, policy: Policy) -> ZoneInfo:
    if timezone:
        try:
            return ZoneInfo(timezone)
        except (KeyError, ValueError):
            pass
    return policy.zone


def decide_all(
    frame: DecisionFrame,
    customers: Iterable[CustomerFacts | None],
    pilots: Iterable[PilotFacts | None] | None = None,
) -> list[Decision]:
    """The decision for each customer (None: a customer never seen), in their order;
    `pilots`, when given, holds each customer's place in the template's pilot."""
    if pilots is None:
        return [_decide_one(frame, customer, None) for customer in customers]
    return [
        _decide_one(frame, customer, pilot)
        for customer, pilot in zip(customers, pilots, strict=True)
    ]


def decide(
    *,
    customer: CustomerFacts | None,
    template: TemplateFacts | None,
    template_requested: bool,
    channel: str,
    policy: Policy,
    at: datetime,
    channel_limit: ChannelLimit | None = None,
    pilot: PilotFacts | None = None,
) -> Decision:
    """One customer's decision: a batch of one."""
    frame = DecisionFrame(
        template=template,
        template_requested=template_requested,
        channel=channel,
        policy=policy,
        at=at,
        channel_limit=channel_limit,
    )
    [decision] = decide_all(frame, [customer], [pilot])
    return decision


def _decide_one(
    frame: DecisionFrame, customer: CustomerFacts | None, pilot: PilotFacts | None
) -> Decision:
    at, channel, purpose = frame.at, frame.channel, frame.purpose
    timezone = None if customer is None else customer.timezone
    zone = frame.zone_answers(timezone)
    # Each rule's codes are added in R-DECIDE's order; `in_order` sorts whatever a rule
    # added out of it, and drops repeats.
    reasons = customer_reasons(customer, purpose)
    consent: ConsentFact | None = None
    day_is_full: DayIsFull | None = None
    piloted: int | None = None
    if frame.template_requested:
        reasons += frame.template_failing
        if purpose is not None:
            consent_failing, consent = consent_reasons(customer, channel, purpose, at)
            reasons += consent_failing
        if frame.gated:
            if pilot is not None:
                piloted = held_pilot(frame.template, frame.policy.pilot, pilot)
                reasons += pilot_reasons(frame.template, frame.policy.pilot, pilot)
            reasons += feedback_reasons(customer, channel, frame.channel_limit, at)
            reasons += zone.failing
            day_is_full = _day_is_full(customer, zone.zone, frame.policy)
            limit = frame.policy.marketing_daily_limit
            if day_is_full is not None and limit_reached(zone.day, limit, day_is_full):
                reasons.append(DAILY_LIMIT_REACHED)
    else:
        reasons += service_window_reasons(customer, channel, frame.policy.service_window_hours, at)

    ordered = in_order(reasons) if len(reasons) > 1 else reasons
    next_at = None
    if ordered and TIME_REASONS.issuperset(ordered):
        start = held_until(customer, channel, frame.channel_limit, ordered, at)
        if start is not None:
            next_at = frame.next_allowed(timezone, zone.zone, start, day_is_full)
    template = frame.template
    return Decision(
        allowed=not ordered,
        reasons=ordered,
        template_version=None if template is None else template.approved_version,
        next_allowed_at=next_at,
        purpose=purpose,
        consent=consent,
        local_time=zone.local_time,
        pilot=piloted,
    )


def _day_is_full(
    customer: CustomerFacts | None, zone: ZoneInfo, policy: Policy
) -> DayIsFull | None:
    """The customer's daily-limit count, or None when no day of theirs can be full: no
    positive limit (a 0 limit is a zone answer), or no recent send to count."""
    limit = policy.marketing_daily_limit
    if not limit or customer is None or not customer.recent_authorizations:
        return None
    return day_is_full_for(customer.recent_authorizations, zone, limit)
