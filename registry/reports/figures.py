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

from registry.domain.outcome_counts import counted_as
from registry.domain.vocabulary import NON_TRANSACTIONAL
from registry.reports.experiments import ArmCounts
from registry.reports.months import Month
from registry.reports.reader import LogEvent

SEND = "Customer.SendAuthorized"
OPT_OUT = "Customer.ConsentWithdrawn"
SUPPRESSED = "Customer.Suppressed"
INBOUND = "Customer.InboundReceived"
CUSTOMER_EVENT_TYPES = (SEND, OPT_OUT, SUPPRESSED, INBOUND)
# R-OUTCOME's events (NOTES.md, outcomes): each repeats its send's identity.
OUTCOME = "Send.OutcomeRecorded"
FEEDBACK = "Customer.FeedbackAttributed"
OUTCOME_EVENT_TYPES = (OUTCOME, FEEDBACK)

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
# status -> the counts a send with it counts as (registry/domain/outcome_counts.py: a
# `delivered` or `read` status makes a send count as sent, as the template stats count it)
_COUNTED_AS = {status: counted_as(status, OUTCOME_STATUSES) for status in OUTCOME_STATUSES}
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


# A send as a customer's events need it: (authorized at, channel, template, local day,
# marketing, in the month).
_Send = tuple[datetime, str, tuple[str, str], date | None, bool, bool]
_MARKETING = frozenset(NON_TRANSACTIONAL)


@dataclass
class MonthTally:
    """Sends are counted in the month they were authorized in (a cohort, as the template
    stats of R-OUTCOME select them), with what became of them: an opt-out attributed to
    a send counts with that send, whenever it was recorded. The satisfaction counts
    (opt-outs by source, suppressions, inbound messages) are those recorded in the month.

    Each event adds to one cell (metric, channel, template, day); `fold` sums the cells
    into the per-channel, per-template and per-day tallies the sections read."""

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
    cells: Counter[tuple[str, str, tuple[str, str], date | None]] = field(default_factory=Counter)
    used_versions: set[tuple[tuple[str, str], int]] = field(default_factory=set)
    arms: dict[tuple[str, str], ArmCounts] = field(default_factory=dict)  # (experiment, arm)

    def __post_init__(self) -> None:
        self._start, self._end = self.month.start, self.month.end
        self._days: dict[str, date | None] = {}  # `_day_of`'s memo, a month of minutes

    def add_customer(self, events: Iterable[LogEvent]) -> None:
        """One customer's events in log order."""
        sends: list[_Send] = []
        attributed: set[int] = set()  # sends (by number) with an attributed opt-out
        marketing_outcomes: Counter[str] = Counter()  # of the month's marketing sends
        counted: dict[str, set[str]] = {}  # authorization -> the counts it is in already
        feedback: set[str] = set()  # authorizations with an attributed opt-out
        opted_out = False
        in_arms: dict[str, set[str]] = {}  # the month's sends in an experiment arm: statuses
        arm_of: dict[str, tuple[str, str]] = {}
        start, end = self._start, self._end
        for event in events:
            kind = event.event_type
            if kind == OUTCOME:  # most of a month's events
                data = event.data
                status, authorization = str(data["status"]), str(data["authorization_id"])
                already = counted.setdefault(authorization, set())
                for name in _COUNTED_AS.get(status, (status,)):
                    if name not in already:
                        already.add(name)
                        self._counted_with_send(data, name, marketing_outcomes)
                if in_arms and authorization in in_arms:
                    in_arms[authorization].add(status)
                continue
            if kind == SEND:
                send = self._send(event.data, event.occurred_at)
                sends.append(send)
                experiment = event.data.get("experiment")
                if experiment and send[5]:
                    authorization = str(event.data["authorization_id"])
                    in_arms[authorization] = set()
                    arm_of[authorization] = (str(experiment["name"]), str(experiment["arm"]))
                continue
            if kind == FEEDBACK:
                authorization = str(event.data["authorization_id"])
                if event.data.get("kind") == "opted_out" and authorization not in feedback:
                    feedback.add(authorization)
                    self._counted_with_send(event.data, "opted_out", marketing_outcomes)
                    if authorization in in_arms:
                        in_arms[authorization].add("opted_out")
                continue
            recorded_in_month = start <= event.occurred_at < end
            if kind == OPT_OUT:
                if not self.outcomes:  # attributed here while the log has no attributions
                    self._attribute(event, sends, attributed)
                if recorded_in_month:
                    opted_out = True
                    source = event.data.get("source") or {}
                    self.opt_out_sources[str(source.get("kind", "unknown"))] += 1
            elif not recorded_in_month:
                continue
            elif kind == SUPPRESSED:
                self.suppressions += 1
            elif kind == INBOUND:
                self.inbound_messages += 1
        self.opt_out_customers += opted_out
        if in_arms:
            self._count_arms(in_arms, arm_of)
        in_month = [n for n, send in enumerate(sends) if send[5]]
        if in_month:
            self.customers_sent_to += 1
        marketing = [n for n in in_month if sends[n][4]]
        if marketing:
            group = frequency_group(len(marketing))
            self.group_customers[group] += 1
            tally = _tally(self.groups, group)
            tally.add("authorized", len(marketing))
            tally.add("opted_out", len(attributed.intersection(marketing)))
            tally.counts.update(marketing_outcomes)

    def _count_arms(self, in_arms: dict[str, set[str]], arm_of: dict[str, tuple[str, str]]) -> None:
        """One customer's month in experiment arms: each send with its statuses, and the
        customer once per arm."""
        for authorization, statuses in in_arms.items():
            key = arm_of[authorization]
            counts = self.arms.get(key)
            if counts is None:
                counts = self.arms[key] = ArmCounts()
            counts.add_send(statuses)
        for key in set(arm_of.values()):
            self.arms[key].customers += 1

    def _counted_with_send(
        self, data: dict[str, Any], metric: str, marketing: Counter[str]
    ) -> None:
        """An outcome or attributed opt-out, counted with its send (named in the event)
        when that send was authorized in the month."""
        day = self._day_of(data.get("authorized_at"))
        if day is None:
            return
        template = data["template"]
        self.cells[metric, data["channel"], (template["name"], template["language"]), day] += 1
        if data.get("purpose") in _MARKETING:
            marketing[metric] += 1

    def _day_of(self, stamp: Any) -> date | None:
        """The local day of a transcoded datetime in the month, None outside it (or
        without one). Memoised per minute of its text: the month's bounds and every
        zone's day boundaries fall on whole minutes, so a minute is all in or all out."""
        text = stamp.get("_data_") if isinstance(stamp, dict) else None
        if not isinstance(text, str):
            return None
        key = text[:16] + text[-6:]  # YYYY-MM-DDTHH:MM and the offset
        try:
            return self._days[key]
        except KeyError:
            pass
        at = datetime.fromisoformat(text)
        day = self.month.local_day(at) if self._start <= at < self._end else None
        if text[-6] in "+-":
            self._days[key] = day
        return day

    def _send(self, data: dict[str, Any], recorded_at: datetime) -> _Send:
        template = data["template"]
        key = (template["name"], template["language"])
        stamp = data.get("authorized_at")
        if self.outcomes and stamp is not None:  # no attribution here: the moment is unused
            day = self._day_of(stamp)
            at, in_month = recorded_at, day is not None
        else:
            at = _transcoded_time(stamp) or recorded_at
            in_month = self._start <= at < self._end
            day = self.month.local_day(at) if in_month else None
        if in_month:
            self.cells["authorized", data["channel"], key, day] += 1
            self.used_versions.add((key, int(template["version"])))
        return (at, data["channel"], key, day, data.get("purpose") in _MARKETING, in_month)

    def _attribute(self, event: LogEvent, sends: list[_Send], attributed: set[int]) -> None:
        """SPEC §11: to the most recent send on its channel within `attribution` before
        it, counted once per send, with that send."""
        channel = event.data.get("channel")
        for number in range(len(sends) - 1, -1, -1):
            at, send_channel, key, day, _, in_month = sends[number]
            if send_channel != channel or at > event.occurred_at:
                continue
            if event.occurred_at - at <= self.attribution and number not in attributed:
                attributed.add(number)
                if in_month:
                    self.cells["opted_out", send_channel, key, day] += 1
            return

    def fold(self) -> MonthTally:
        """Sums the cells into `channels`, `templates`, `days` and `versions` (once)."""
        for (metric, channel, key, day), count in self.cells.items():
            _tally(self.channels, channel).add(metric, count)
            _tally(self.templates, key).add(metric, count)
            if day is not None:
                _tally(self.days, day).add(metric, count)
        for key, version in self.used_versions:
            self.versions.setdefault(key, set()).add(version)
        self.cells.clear()
        self.used_versions.clear()
        return self


def _tally(tallies: dict[Any, Tally], key: Any) -> Tally:
    tally = tallies.get(key)
    if tally is None:
        tally = tallies[key] = Tally()
    return tally


def _transcoded_time(value: Any) -> datetime | None:
    """A datetime as eventsourcing stores it (`{"_type_": "datetime_iso", "_data_": …}`,
    always with its offset)."""
    if isinstance(value, dict) and isinstance(value.get("_data_"), str):
        return datetime.fromisoformat(value["_data_"])
    return None
