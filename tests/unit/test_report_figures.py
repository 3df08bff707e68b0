"""The monthly report's figures against hand-made histories (no database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from registry.reports import sections
from registry.reports.figures import MonthTally, frequency_group, rate
from registry.reports.months import parse_month
from registry.reports.reader import LogEvent
from registry.reports.sections import TemplateEvent, Thresholds

NOW = datetime(2026, 12, 15, tzinfo=UTC)
NOVEMBER = parse_month("2026-11", "Europe/Moscow", NOW)  # 2026-10-31T21:00Z .. 2026-11-30T21:00Z
THRESHOLDS = Thresholds(Decimal("0.005"), Decimal("0.02"), "test")
_index = iter(range(10**6))


def at(day: int, hour: int = 12, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


def _stamp(moment: datetime) -> dict[str, str]:
    return {"_type_": "datetime_iso", "_data_": moment.isoformat()}


def send(
    customer: str, moment: datetime, template: str = "sale", *, channel: str = "whatsapp",
    purpose: str = "promotions", version: int = 1,
) -> LogEvent:  # fmt: skip
    data = {
        "authorization_id": f"auth_{next(_index)}",
        "channel": channel,
        "template": {"name": template, "language": "ru", "version": version},
        "purpose": purpose,
        "authorized_at": _stamp(moment),
    }
    return LogEvent(next(_index), "Customer.SendAuthorized", moment, customer, data)


def opt_out(
    customer: str, moment: datetime, kind: str = "link", channel: str = "whatsapp"
) -> LogEvent:
    data = {"channel": channel, "purposes": ["promotions"], "source": {"kind": kind}}
    return LogEvent(next(_index), "Customer.ConsentWithdrawn", moment, customer, data)


def event(customer: str, moment: datetime, event_type: str) -> LogEvent:
    return LogEvent(next(_index), event_type, moment, customer, {})


def tally_of(*customers: list[LogEvent]) -> MonthTally:
    tally = MonthTally(month=NOVEMBER, attribution=timedelta(hours=72))
    for events in customers:
        tally.add_customer(iter(events))
    return tally


def channel_row(tally: MonthTally, channel: str) -> dict[str, Any]:
    return next(row for row in sections.channels(tally) if row["channel"] == channel)


def test_rates_are_decimal_text_rounded_half_even_and_null_without_a_denominator() -> None:
    assert rate(1, 3) == "0.333333"
    assert rate(2, 3) == "0.666667"
    assert rate(1, 8_000_000) == "0.000000"  # 0.000000125 rounds down (half-even below half)
    assert rate(0, 5) == "0.000000"
    assert rate(3, 0) is None
    assert rate(None, 5) is None


def test_frequency_groups_are_labelled_as_the_contract_says() -> None:
    labels = [frequency_group(n) for n in (1, 2, 3, 4, 5, 8, 9, 40)]
    assert labels == ["1", "2", "3-4", "3-4", "5-8", "5-8", "9+", "9+"]


def test_sends_are_counted_per_channel_and_template_in_the_month_they_were_authorized() -> None:
    tally = tally_of(
        [send("a", at(3)), send("a", at(4), "news"), send("a", at(5), channel="sms")],
        [send("b", at(3)), send("b", at(31, 22, month=10))],  # Oct 31 22:00Z is Nov 1 in Moscow
        [send("c", at(30, 22))],  # Nov 30 22:00Z is already December in Moscow
    )
    assert channel_row(tally, "whatsapp")["authorized"] == 4
    assert channel_row(tally, "sms")["authorized"] == 1
    by_template = {row["name"]: row["authorized"] for row in sections.templates(tally, {})}
    assert by_template == {"sale": 4, "news": 1}
    assert tally.customers_sent_to == 2


def test_an_opt_out_is_attributed_to_the_latest_send_on_its_channel_within_72_hours() -> None:
    tally = tally_of(
        [send("a", at(3), "first"), send("a", at(4), "second"), opt_out("a", at(6))],
        [send("b", at(3), "first"), opt_out("b", at(6, 13))],  # 73 h later: not attributed
        [send("c", at(3), "first"), opt_out("c", at(4), channel="sms")],  # other channel
    )
    rows = {row["name"]: row for row in sections.templates(tally, {})}
    assert rows["second"]["opted_out"] == 1
    assert rows["first"]["opted_out"] == 0
    assert channel_row(tally, "whatsapp")["opted_out"] == 1
    assert tally.opt_out_sources["link"] == 3


def test_a_send_is_counted_opted_out_once_however_many_opt_outs_follow() -> None:
    tally = tally_of(
        [send("a", at(3)), opt_out("a", at(3, 13)), opt_out("a", at(3, 14), "keyword")]
    )
    assert channel_row(tally, "whatsapp")["opted_out"] == 1
    satisfaction = sections.satisfaction(tally)
    assert satisfaction["opt_outs"]["total"] == 2
    assert satisfaction["opt_outs"]["customers"] == 1
    assert satisfaction["opt_outs"]["by_source"] == {
        "link": 1,
        "keyword": 1,
        "platform": 0,
        "api": 0,
    }


def test_an_opt_out_after_the_month_counts_with_the_months_send_but_not_in_its_satisfaction() -> (
    None
):
    tally = tally_of([send("a", at(30, 12)), opt_out("a", at(1, 12, month=12), "platform")])
    assert channel_row(tally, "whatsapp")["opted_out"] == 1
    assert sections.satisfaction(tally)["opt_outs"]["total"] == 0


def test_an_opt_out_in_the_month_attributed_to_an_earlier_months_send_counts_only_by_source() -> (
    None
):
    tally = tally_of([send("a", at(30, 12, month=10)), opt_out("a", at(1, 12), "api")])
    assert tally.channels.get("whatsapp") is None
    assert sections.satisfaction(tally)["opt_outs"]["by_source"]["api"] == 1


def test_suppressions_and_inbound_messages_of_the_month_are_counted() -> None:
    tally = tally_of(
        [
            event("a", at(2), "Customer.Suppressed"),
            event("a", at(2), "Customer.InboundReceived"),
            event("a", at(1, 12, month=12), "Customer.Suppressed"),  # December
        ]
    )
    satisfaction = sections.satisfaction(tally)
    assert (satisfaction["suppressions"], satisfaction["inbound_messages"]) == (1, 1)


def test_frequency_groups_count_customers_by_their_marketing_sends_only() -> None:
    many = [send("d", at(day)) for day in range(1, 11)]
    tally = tally_of(
        [send("a", at(2)), send("a", at(3), purpose="service")],
        [send("b", at(2)), send("b", at(3)), send("b", at(4)), opt_out("b", at(4, 13))],
        [send("c", at(2)), send("c", at(3))],
        many,
    )
    groups = {g["group"]: g for g in sections.frequency(tally, THRESHOLDS)["groups"]}
    assert [groups[label]["customers"] for label in ("1", "2", "3-4", "5-8", "9+")] == [
        1,
        1,
        1,
        0,
        1,
    ]
    assert groups["3-4"]["authorized"] == 3
    assert groups["3-4"]["opted_out"] == 1
    assert groups["9+"]["authorized"] == 10


def test_without_outcomes_rates_and_best_frequency_are_null_and_say_why() -> None:
    tally = tally_of([send("a", at(2)), opt_out("a", at(2, 13))])
    frequency = sections.frequency(tally, THRESHOLDS)
    assert frequency["best_frequency"] is None
    assert "not recorded" in frequency["best_frequency_reason"]
    row = channel_row(tally, "whatsapp")
    assert (
        row["delivered"] is None and row["opt_out_rate"] is None and row["complaint_rate"] is None
    )


def test_best_frequency_is_the_largest_group_under_both_thresholds() -> None:
    tally = MonthTally(month=NOVEMBER, attribution=timedelta(hours=72), outcomes=True)
    for label, delivered, opted_out, complained in (
        ("1", 1000, 5, 1),
        ("2", 1000, 10, 2),
        ("3-4", 1000, 30, 2),  # opt-out 3 % reaches 2 %
        ("5-8", 1000, 10, 4),
    ):
        group = tally.groups.setdefault(label, sections.Tally())
        group.add("delivered", delivered)
        group.add("opted_out", opted_out)
        group.add("complained", complained)
        tally.group_customers[label] = 10
    frequency = sections.frequency(tally, THRESHOLDS)
    assert frequency["best_frequency"] == "5-8"
    group = tally.groups["5-8"]
    group.add("complained", 1)  # 5/1000 = 0.005 reaches the complaint threshold
    assert sections.frequency(tally, THRESHOLDS)["best_frequency"] == "2"


def test_templates_rank_by_complaint_rate_worst_first_unmeasured_last() -> None:
    tally = MonthTally(month=NOVEMBER, attribution=timedelta(hours=72), outcomes=True)
    for name, delivered, complained in (("calm", 100, 0), ("loud", 100, 3), ("mild", 100, 1)):
        figures = tally.templates.setdefault((name, "ru"), sections.Tally())
        figures.add("authorized", 100)
        figures.add("delivered", delivered)
        figures.add("complained", complained)
    tally.templates[("new", "ru")] = sections.Tally()
    ranked = [(row["rank"], row["name"]) for row in sections.templates(tally, {})]
    assert ranked == [(1, "loud"), (2, "mild"), (3, "calm"), (4, "new")]


def test_template_quality_history_starts_from_the_rating_before_the_month() -> None:
    history = [
        TemplateEvent("QualityChanged", at(20, month=10), {"quality": "YELLOW"}),
        TemplateEvent("QualityChanged", at(5), {"quality": "RED"}),
        TemplateEvent("Paused", at(5), {"cause": "quality", "reason": "platform quality RED"}),
        TemplateEvent("QualityChanged", at(9), {"quality": "GREEN"}),
        TemplateEvent("QualityChanged", at(2, month=12), {"quality": "RED"}),
    ]
    rows = sections.templates(tally_of(), {("sale", "ru"): history})
    quality = rows[0]["quality"]
    assert quality["at_start"] == "YELLOW" and quality["at_end"] == "GREEN"
    assert [c["quality"] for c in quality["changes"]] == ["RED", "GREEN"]
    assert [p["cause"] for p in rows[0]["pauses"]] == ["quality"]


def test_daily_rows_run_to_today_in_a_running_month() -> None:
    december = parse_month("2026-12", "Europe/Moscow", NOW)
    tally = MonthTally(month=december, attribution=timedelta(hours=72))
    tally.add_customer(iter([send("a", datetime(2026, 12, 1, 22, tzinfo=UTC))]))  # Dec 2 local
    days = sections.daily(tally, NOW)
    assert [d["date"] for d in days][-1] == "2026-12-15"
    assert len(days) == 15
    assert {d["date"]: d["authorized"] for d in days if d["authorized"]} == {"2026-12-02": 1}


# ---- with outcomes (the event model the outcomes work published: each event names its send)


def _send_identity(sent: LogEvent) -> dict[str, Any]:
    keys = ("authorization_id", "channel", "template", "purpose", "authorized_at")
    return {key: sent.data[key] for key in keys}


def outcome(sent: LogEvent, status: str, moment: datetime) -> LogEvent:
    data = {**_send_identity(sent), "status": status, "at": _stamp(moment)}
    return LogEvent(next(_index), "Send.OutcomeRecorded", moment, sent.customer_id, data)


def attributed(sent: LogEvent, moment: datetime, kind: str = "opted_out") -> LogEvent:
    data = {**_send_identity(sent), "kind": kind, "at": _stamp(moment)}
    return LogEvent(next(_index), "Customer.FeedbackAttributed", moment, sent.customer_id, data)


def measured_tally(*customers: list[LogEvent]) -> MonthTally:
    tally = MonthTally(month=NOVEMBER, attribution=timedelta(hours=72), outcomes=True)
    for events in customers:
        tally.add_customer(iter(events))
    return tally


def test_outcomes_count_with_their_send_and_give_the_rates() -> None:
    first, second, third = send("a", at(3)), send("a", at(4)), send("a", at(5))
    tally = measured_tally(
        [
            first, second, third,
            outcome(first, "sent", at(3)), outcome(first, "delivered", at(3)),
            outcome(second, "sent", at(4)), outcome(second, "delivered", at(4)),
            outcome(second, "read", at(4)), outcome(third, "sent", at(5)),
            outcome(second, "complained", at(2, month=12)),  # recorded in December
        ]
    )  # fmt: skip
    row = channel_row(tally, "whatsapp")
    assert (row["sent"], row["delivered"], row["read"], row["complained"]) == (3, 2, 1, 1)
    assert row["delivery_rate"] == "0.666667"
    assert row["read_rate"] == "0.500000"
    assert row["complaint_rate"] == "0.500000"
    assert sections.satisfaction(tally)["complained"] == 1


def test_an_outcome_of_last_months_send_is_not_this_months() -> None:
    october = send("a", at(30, month=10))
    tally = measured_tally([october, outcome(october, "delivered", at(2))])
    assert tally.fold().channels == {}


def test_recorded_attributions_replace_the_reports_own_and_count_once_per_send() -> None:
    sent = send("a", at(3))
    tally = measured_tally(
        [sent, opt_out("a", at(3, 13)), attributed(sent, at(3, 13)), attributed(sent, at(3, 14))]
    )
    assert channel_row(tally, "whatsapp")["opted_out"] == 1
    assert sections.satisfaction(tally)["opt_outs"]["total"] == 1


def test_frequency_groups_measure_delivered_and_complaints_of_marketing_sends() -> None:
    service = send("a", at(2), purpose="service")
    quiet = send("a", at(3))
    busy = [send("b", at(day)) for day in (2, 3, 4)]
    tally = measured_tally(
        [service, quiet, outcome(service, "delivered", at(2)), outcome(quiet, "delivered", at(3))],
        [
            *busy,
            *(outcome(s, "delivered", at(5)) for s in busy),
            outcome(busy[0], "complained", at(6)),
        ],
    )
    groups = {g["group"]: g for g in sections.frequency(tally, THRESHOLDS)["groups"]}
    assert (groups["1"]["delivered"], groups["1"]["complaint_rate"]) == (1, "0.000000")
    assert (groups["3-4"]["delivered"], groups["3-4"]["complained"]) == (3, 1)
    frequency = sections.frequency(tally, THRESHOLDS)
    assert frequency["best_frequency"] == "1"  # 3-4 complains at 1/3, over 0.5 %


def test_a_channels_platform_limits_and_effective_limit_changes_of_the_month() -> None:
    history = [
        TemplateEvent("PlatformLimitRecorded", at(20, month=10), {"tier": "TIER_2K", "limit": 2000, "quality": "GREEN"}),
        TemplateEvent("PlatformLimitRecorded", at(10), {"tier": "TIER_10K", "limit": 10000, "quality": None}),
        TemplateEvent("Halved", at(12), {"complaint_rate": "0.001500", "threshold": "0.001"}),
        TemplateEvent("Restored", at(2, month=12), {"complaint_rate": "0.000100"}),
    ]  # fmt: skip
    (row,) = sections.channels(tally_of([send("a", at(3))]), {"whatsapp": history})
    assert row["platform"]["at_start"]["tier"] == "TIER_2K"
    assert [c["tier"] for c in row["platform"]["changes"]] == ["TIER_10K"]
    changes = row["effective_limit_changes"]["changes"]
    assert [(c["change"], c["complaint_rate"]) for c in changes] == [("halved", "0.001500")]


def test_a_pause_on_feedback_names_the_rate_that_reached_its_threshold() -> None:
    data = {"reason": "complaint_rate", "rate": "0.006000", "threshold": "0.005", "actor": "system"}
    history = [TemplateEvent("PausedForFeedback", at(7), {**data, "delivered": 500, "count": 3})]
    (row,) = sections.templates(tally_of(), {("sale", "ru"): history})
    (pause,) = row["pauses"]
    assert (pause["cause"], pause["actor"]) == ("complaint_rate", "system")
    assert pause["figures"]["delivered"] == 500
