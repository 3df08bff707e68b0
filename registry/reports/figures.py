"""The month's figures, counted from its events: pure functions of the log (no database).

`MonthTally.add_customer` takes one customer's events of the month in log order (and
their sends of the `attribution` before it, which opt-outs may be attributed to); the
tallies are per channel, template, day and frequency group, so memory is bounded by
those, never by the number of customers or events. Rates are decimal strings with six
places: the signed report is serialised as R-AUDIT leaves are, without floats.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from fractions import Fraction
from typing import Any

from registry.domain.vocabulary import NON_TRANSACTIONAL
from registry.reports.months import Month
from registry.reports.reader import LogEvent
from registry.timefmt import parse_iso

SEND = "Customer.SendAuthorized"
OPT_OUT = "Customer.ConsentWithdrawn"
SUPPRESSED = "Customer.Suppressed"
INBOUND = "Customer.InboundReceived"
CUSTOMER_EVENT_TYPES = (SEND, OPT_OUT, SUPPRESSED, INBOUND)

OUTCOME_STATUSES = (
    "sent",
    "delivered",
    "read",
    "failed",
    "clicked",
    "replied",
    "converted",
    "complained",
)
COUNTS = ("authorized", *OUTCOME_STATUSES, "opted_out")
# R-OUTCOME's rates (SPEC §11, §19): name -> (numerator, denominator).
RATES = {
    "delivery_rate": ("delivered", "sent"),
    "read_rate": ("read", "delivered"),
    "reply_rate": ("replied", "delivered"),
    "click_rate": ("clicked", "delivered"),
    "conversion_rate": ("converted", "delivered"),
    "opt_out_rate": ("opted_out", "delivered"),
    "complaint_rate": ("complained", "delivered"),
}
FREQUENCY_GROUPS = ("1", "2", "3-4", "5-8", "9+")
OPT_OUT_SOURCES = ("link", "keyword", "platform", "api")
RATE_PLACES = 6


def rate(numerator: int | None, denominator: int | None) -> str | None:
    """numerator/denominator rounded half-even to six places, as text; None when the
    denominator is 0 or a count is not measured."""
    if numerator is None or not denominator:
        return None
    scaled = round(Fraction(numerator, denominator) * 10**RATE_PLACES)
    whole, part = divmod(scaled, 10**RATE_PLACES)
    return f"{whole}.{part:0{RATE_PLACES}d}"


def frequency_group(sends: int) -> str:
    if sends <= 2:
        return str(sends)
    if sends <= 4:
        return "3-4"
    if sends <= 8:
        return "5-8"
    return "9+"


@dataclass
class Tally:
    counts: Counter[str] = field(default_factory=Counter)

    def add(self, name: str, amount: int = 1) -> None:
        self.counts[name] += amount

    def figures(self, outcomes: bool) -> dict[str, Any]:
        """Every count and rate; outcome counts are None while outcomes are not recorded."""
        counts: dict[str, int | None] = {
            name: (self.counts[name] if outcomes or name not in OUTCOME_STATUSES else None)
            for name in COUNTS
        }
        rates = {name: rate(counts[top], counts[bottom]) for name, (top, bottom) in RATES.items()}
        return {**counts, **rates}


@dataclass
class _Send:
    at: datetime
    channel: str
    template: tuple[str, str]
    marketing: bool
    in_month: bool


@dataclass
class MonthTally:
    """Sends are counted in the month they were authorized in (a cohort, as the template
    stats of R-OUTCOME select them), with what became of them: an opt-out attributed to
    a send counts with that send, whenever it was recorded. The satisfaction counts
    (opt-outs by source, suppressions, inbound messages) are those recorded in the month."""

    month: Month
    attribution: timedelta
    outcomes: bool = False
    channels: dict[str, Tally] = field(default_factory=dict)
    templates: dict[tuple[str, str], Tally] = field(default_factory=dict)
    versions: dict[tuple[str, str], set[int]] = field(default_factory=dict)
    days: dict[date, Tally] = field(default_factory=dict)
    groups: dict[str, Tally] = field(default_factory=dict)
    group_customers: Counter[str] = field(default_factory=Counter)
    opt_out_sources: Counter[str] = field(default_factory=Counter)
    opt_out_customers: int = 0
    suppressions: int = 0
    inbound_messages: int = 0
    customers_sent_to: int = 0

    def add_customer(self, events: Iterable[LogEvent]) -> None:
        """One customer's events in log order."""
        sends: list[_Send] = []
        attributed: set[int] = set()  # sends (by number) with an attributed opt-out
        opted_out = False
        for event in events:
            recorded_in_month = self._in_month(event.occurred_at)
            if event.event_type == SEND:
                sends.append(self._send(event))
            elif event.event_type == OPT_OUT:
                self._attribute(event, sends, attributed)
                if recorded_in_month:
                    opted_out = True
                    source = event.data.get("source") or {}
                    self.opt_out_sources[str(source.get("kind", "unknown"))] += 1
            elif not recorded_in_month:
                continue
            elif event.event_type == SUPPRESSED:
                self.suppressions += 1
            elif event.event_type == INBOUND:
                self.inbound_messages += 1
        self.opt_out_customers += opted_out
        if any(send.in_month for send in sends):
            self.customers_sent_to += 1
        marketing = [n for n, send in enumerate(sends) if send.in_month and send.marketing]
        if marketing:
            group = frequency_group(len(marketing))
            self.group_customers[group] += 1
            tally = self.groups.setdefault(group, Tally())
            tally.add("authorized", len(marketing))
            tally.add("opted_out", len(attributed.intersection(marketing)))

    def _in_month(self, moment: datetime) -> bool:
        return self.month.start <= moment < self.month.end

    def _send(self, event: LogEvent) -> _Send:
        data = event.data
        template = (str(data["template"]["name"]), str(data["template"]["language"]))
        at = _transcoded_time(data.get("authorized_at")) or event.occurred_at
        send = _Send(
            at=at,
            channel=str(data["channel"]),
            template=template,
            marketing=data.get("purpose") in NON_TRANSACTIONAL,
            in_month=self._in_month(at),
        )
        if send.in_month:
            for tally in self._tallies(send):
                tally.add("authorized")
            self.versions.setdefault(template, set()).add(int(data["template"]["version"]))
        return send

    def _attribute(self, event: LogEvent, sends: list[_Send], attributed: set[int]) -> None:
        """SPEC §11: to the most recent send on its channel within `attribution` before
        it, counted once per send, with that send."""
        channel = event.data.get("channel")
        for number in range(len(sends) - 1, -1, -1):
            send = sends[number]
            if send.channel != channel or send.at > event.occurred_at:
                continue
            if event.occurred_at - send.at <= self.attribution and number not in attributed:
                attributed.add(number)
                if send.in_month:
                    for tally in self._tallies(send):
                        tally.add("opted_out")
            return

    def _tallies(self, send: _Send) -> list[Tally]:
        return [
            self.channels.setdefault(send.channel, Tally()),
            self.templates.setdefault(send.template, Tally()),
            self.days.setdefault(self.month.local_day(send.at), Tally()),
        ]


def _transcoded_time(value: Any) -> datetime | None:
    """A datetime as eventsourcing stores it (`{"_type_": "datetime_iso", "_data_": …}`)."""
    if isinstance(value, dict) and isinstance(value.get("_data_"), str):
        return parse_iso(value["_data_"])
    return None
