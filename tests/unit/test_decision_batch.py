"""A batch decided in one pass (`decide_all` over one `DecisionFrame`) answers exactly what
deciding each customer alone (`decide`) answers: the frame's per-zone answers and kept
`next_allowed_at` never leak one customer's facts into another's decision."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from registry.domain.decision import (
    ChannelLimit,
    ConsentFact,
    CustomerFacts,
    DecisionFrame,
    TemplateFacts,
    decide,
    decide_all,
)
from registry.domain.policy import Policy, SendWindow

START = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)  # a Monday; 8 March (a holiday) follows
ZONES = (None, "Europe/Moscow", "Asia/Vladivostok", "America/New_York", "Not/AZone", "")
PURPOSES = ("service", "authentication", "promotions", "alerts", "reminders", "news")
CHANNELS = ("whatsapp", "sms")
DAY_SETS = (
    ("mon", "tue", "wed", "thu", "fri"),
    ("sat", "sun"),
    ("mon", "tue", "wed", "thu", "fri", "sat", "sun"),
)
WINDOWS = (None, SendWindow(time(9, 0), time(21, 0)), SendWindow(time(21, 0), time(9, 0)))

offsets = st.integers(-4 * 24 * 60, 4 * 24 * 60).map(lambda m: timedelta(minutes=m))


@st.composite
def moments(draw: st.DrawFn) -> datetime:
    return START + timedelta(minutes=draw(st.integers(0, 10 * 24 * 60)))


@st.composite
def policies(draw: st.DrawFn) -> Policy:
    return replace(
        Policy.default("tenant"),
        timezone=draw(st.sampled_from(("Europe/Moscow", "America/New_York"))),
        send_window=draw(st.sampled_from(WINDOWS)),
        send_days=draw(st.sampled_from(DAY_SETS)),
        holidays=draw(st.sampled_from(("RU", None))),
        marketing_daily_limit=draw(st.sampled_from((None, 0, 1, 2))),
        service_window_hours=draw(st.sampled_from((1, 24))),
    )


@st.composite
def consents(draw: st.DrawFn, at: datetime) -> ConsentFact:
    status = draw(st.sampled_from(("granted", "withdrawn", "pending")))
    granted = draw(st.sampled_from((None, at - timedelta(days=3))))
    expires = draw(st.sampled_from((None, at + draw(offsets))))
    confirm_by = draw(st.sampled_from((None, at + draw(offsets))))
    return ConsentFact(status, granted, None, expires, "r", 3, confirm_by)


@st.composite
def customers(draw: st.DrawFn, at: datetime, asked: str) -> CustomerFacts | None:
    """Mostly customers with a valid consent for the `asked` "channel:purpose", so that
    many refusals are the time rules' alone (those ask `next_allowed_at`)."""
    if draw(st.integers(0, 9)) == 0:
        return None  # never seen
    keys = [f"{c}:{p}" for c in CHANNELS for p in PURPOSES]
    chosen = draw(st.lists(st.sampled_from(keys), unique=True, max_size=3))
    valid = ConsentFact("granted", at - timedelta(days=3), None, None, "r", 2)
    channel_moments = st.dictionaries(
        st.sampled_from(CHANNELS), offsets.map(lambda o: at + o), max_size=2
    )
    return CustomerFacts(
        erased=draw(st.integers(0, 19)) == 0,
        suppressed=draw(st.integers(0, 19)) == 0,
        timezone=draw(st.sampled_from(ZONES)),
        consents={
            **{key: draw(consents(at)) for key in chosen},
            **({asked: valid} if draw(st.integers(0, 9)) < 7 else {}),
        },
        last_inbound_at=draw(channel_moments),
        recent_authorizations=tuple(
            sorted(at + o for o in draw(st.lists(offsets.filter(lambda o: o.days < 0), max_size=3)))
        ),
        holds=draw(channel_moments),
        marketing_at=draw(channel_moments),
    )


@st.composite
def templates(draw: st.DrawFn) -> TemplateFacts | None:
    if draw(st.integers(0, 19)) == 0:
        return None  # not found
    return TemplateFacts(
        name="sale",
        language="ru",
        status="APPROVED",
        approved_version=draw(st.sampled_from((None, 1, 1, 1, 1, 4))),
        purpose=draw(st.sampled_from(PURPOSES)),
        category="MARKETING",
        paused=draw(st.integers(0, 19)) == 0,
        disabled=draw(st.integers(0, 19)) == 0,
        platform_status=draw(st.sampled_from((None, "APPROVED", "APPROVED", "PAUSED"))),
        category_blocked=False,
        sms_deliverable=draw(st.integers(0, 4)) > 0,
    )


@st.composite
def channel_limits(draw: st.DrawFn, at: datetime) -> ChannelLimit | None:
    if draw(st.booleans()):
        return None
    return ChannelLimit(
        effective=draw(st.sampled_from((None, 0, 3))),
        customers_24h=draw(st.integers(0, 4)),
        window_start=at - timedelta(hours=24),
        frees_at=draw(st.sampled_from((None, at + timedelta(hours=5)))),
    )


@st.composite
def batches(draw: st.DrawFn) -> tuple[dict[str, object], list[CustomerFacts | None]]:
    at = draw(moments())
    requested = draw(st.integers(0, 5)) > 0
    template = draw(templates()) if requested else None
    channel = draw(st.sampled_from(CHANNELS))
    purpose = "promotions" if template is None else template.purpose
    arguments: dict[str, object] = {
        "template": template,
        "template_requested": requested,
        "channel": channel,
        "policy": draw(policies()),
        "at": at,
        "channel_limit": draw(channel_limits(at)),
    }
    return arguments, draw(st.lists(customers(at, f"{channel}:{purpose}"), min_size=1, max_size=25))


@settings(max_examples=300, deadline=None)
@given(batch=batches())
def test_a_batch_decided_in_one_pass_answers_as_each_customer_decided_alone(
    batch: tuple[dict[str, object], list[CustomerFacts | None]],
) -> None:
    arguments, group = batch
    one_pass = decide_all(DecisionFrame(**arguments), group)  # type: ignore[arg-type]
    alone = [decide(customer=customer, **arguments) for customer in group]  # type: ignore[arg-type]
    assert one_pass == alone


def test_customers_of_one_zone_with_and_without_full_days_keep_their_own_next_moment() -> None:
    """The frame keeps `next_allowed_at` per zone for customers without sends to count;
    one whose day is full is held to the next day all the same."""
    at = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)  # a Wednesday, 12:00 in Moscow
    consent = {
        "whatsapp:promotions": ConsentFact("granted", at - timedelta(days=1), None, None, "r", 2)
    }
    busy = CustomerFacts(consents=consent, recent_authorizations=(at - timedelta(hours=1),))
    idle = CustomerFacts(consents=consent)
    frame = DecisionFrame(
        template=TemplateFacts("sale", "ru", "APPROVED", 1, "promotions", "MARKETING",
                               False, False, None, False, True),
        template_requested=True,
        channel="whatsapp",
        policy=replace(Policy.default("tenant"), marketing_daily_limit=1),
        at=at,
    )  # fmt: skip
    busy_decision, idle_decision = decide_all(frame, [busy, idle])
    assert busy_decision.reasons == ["daily_limit_reached"]
    assert busy_decision.next_allowed_at == datetime(2026, 3, 5, 6, 0, tzinfo=UTC)
    assert idle_decision.allowed
    assert busy_decision.local_time.date() == idle_decision.local_time.date() == date(2026, 3, 4)


CLEAN_TEMPLATE = TemplateFacts(
    "sale", "ru", "APPROVED", 1, "promotions", "MARKETING", False, False, None, False, True
)


@st.composite
def clock_bound_customers(draw: st.DrawFn, at: datetime) -> CustomerFacts:
    """Customers whom only the time rules (and the limits) can refuse."""
    consent = ConsentFact("granted", at - timedelta(days=3), None, None, "r", 2)
    recent = draw(st.lists(offsets.filter(lambda o: o.days < 0), max_size=2))
    return CustomerFacts(
        timezone=draw(st.sampled_from(ZONES)),
        consents={"whatsapp:promotions": consent},
        recent_authorizations=tuple(sorted(at + o for o in recent)),
        holds=draw(st.dictionaries(st.just("whatsapp"), offsets.map(lambda o: at + o))),
    )


@settings(max_examples=300, deadline=None)
@given(at=moments(), policy=policies(), data=st.data())
def test_customers_refused_by_the_clock_get_their_own_next_allowed_moment(
    at: datetime, policy: Policy, data: st.DataObject
) -> None:
    group = data.draw(st.lists(clock_bound_customers(at), min_size=2, max_size=25))
    limit = data.draw(channel_limits(at))
    arguments = {
        "template": CLEAN_TEMPLATE,
        "template_requested": True,
        "channel": "whatsapp",
        "policy": policy,
        "at": at,
        "channel_limit": limit,
    }
    one_pass = decide_all(DecisionFrame(**arguments), group)  # type: ignore[arg-type]
    alone = [decide(customer=customer, **arguments) for customer in group]  # type: ignore[arg-type]
    assert one_pass == alone
