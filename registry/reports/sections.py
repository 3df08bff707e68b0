"""The report's sections (SPEC §14) from a month's tally and its templates' histories."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from registry.reports.figures import FREQUENCY_GROUPS, OPT_OUT_SOURCES, MonthTally, Tally
from registry.reports.months import Month
from registry.timefmt import iso

OUTCOMES_MISSING = (
    "send outcomes (R-OUTCOME: sent, delivered, read, replied, clicked, converted, "
    "complained) are not recorded by this registry version, so every figure that needs "
    "them is null, not 0"
)


@dataclass(frozen=True)
class Thresholds:
    complaint_rate: Decimal
    opt_out_rate: Decimal
    source: str

    def document(self) -> dict[str, str]:
        return {
            "template_pause_complaint_rate": str(self.complaint_rate),
            "template_pause_opt_out_rate": str(self.opt_out_rate),
            "source": self.source,
        }


@dataclass(frozen=True)
class TemplateEvent:
    """A template's event: `kind` is its class name (`QualityChanged`, `Paused`, …)."""

    kind: str
    at: datetime
    data: dict[str, Any]


_LIMIT_CHANGES = {
    "Halved": "halved",
    "RecoveryStarted": "recovery_started",
    "RecoveryInterrupted": "recovery_interrupted",
    "Restored": "restored",
}


def channels(
    tally: MonthTally, histories: Mapping[str, Sequence[TemplateEvent]] | None = None
) -> list[dict[str, Any]]:
    """Per channel: the month's sends and rates; with `histories` (each channel's events,
    R-THROTTLE: `PlatformLimitRecorded`, `Halved`, …), the platform's rating and limit
    over the month and the effective limit's changes. `None`: not recorded by this
    registry version."""
    tally.fold()
    month = tally.month
    names = set(tally.channels)
    if histories is not None:
        names |= {c for c, events in histories.items() if any(_in(month, e.at) for e in events)}
    rows = []
    for channel in sorted(names):
        row = {"channel": channel, **tally.channels.get(channel, Tally()).figures(tally.outcomes)}
        if histories is None:
            row["platform"] = _unavailable(
                "the platform's quality rating and messaging limit per channel "
                "(phone_number_quality_update, R-THROTTLE) are not recorded by this "
                "registry version"
            )
            row["effective_limit_changes"] = _unavailable(
                "effective messaging limits (R-THROTTLE) are not built in this registry version"
            )
        else:
            row.update(_channel_history(month, histories.get(channel, ())))
        rows.append(row)
    return rows


def _channel_history(month: Month, history: Sequence[TemplateEvent]) -> dict[str, Any]:
    at_start: dict[str, Any] | None = None
    platform, limits = [], []
    for event in history:
        if event.kind == "PlatformLimitRecorded":
            state = {k: event.data.get(k) for k in ("tier", "limit", "quality", "event")}
            if event.at < month.start:
                at_start = state
            elif event.at < month.end:
                platform.append({"at": iso(event.at), **state})
        elif event.kind in _LIMIT_CHANGES and _in(month, event.at):
            figures = ("complaint_rate", "complained", "delivered", "threshold", "window_days")
            limits.append(
                {
                    "at": iso(event.at),
                    "change": _LIMIT_CHANGES[event.kind],
                    **{k: event.data.get(k) for k in figures},
                }
            )
    return {
        "platform": {"available": True, "at_start": at_start, "changes": platform},
        "effective_limit_changes": {"available": True, "changes": limits},
    }


def templates(
    tally: MonthTally, histories: Mapping[tuple[str, str], Sequence[TemplateEvent]]
) -> list[dict[str, Any]]:
    """Every template sent in the month or with a platform or review event in it,
    ranked by complaint rate, worst first (unmeasured last), then by opt-out rate,
    sends and name."""
    tally.fold()
    month = tally.month
    keys = set(tally.templates) | {
        key for key, events in histories.items() if any(_in(month, e.at) for e in events)
    }
    rows = []
    for key in keys:
        history = histories.get(key, ())
        rows.append(
            {
                "name": key[0],
                "language": key[1],
                "versions_used": sorted(tally.versions.get(key, ())),
                **tally.templates.get(key, Tally()).figures(tally.outcomes),
                "quality": _quality(month, history),
                "pauses": [_pause(e) for e in history if e.kind in _PAUSES and _in(month, e.at)],
                "resumes": [
                    {"at": iso(e.at), "reason": e.data.get("reason"), "actor": e.data.get("actor")}
                    for e in history
                    if e.kind == "Resumed" and _in(month, e.at)
                ],
                "platform_status_changes": [
                    {
                        "at": iso(e.at),
                        "status": e.data.get("status"),
                        "reason": e.data.get("reason"),
                    }
                    for e in history
                    if e.kind == "PlatformStatusChanged" and _in(month, e.at)
                ],
                "pilot": _unavailable(
                    "pilots (R-EXPERIMENT) are not built in this registry version"
                ),
            }
        )
    rows.sort(key=_ranking)
    for rank, row in enumerate(rows, start=1):
        row["rank"] = rank
    return rows


_PAUSES = frozenset({"Paused", "PausedForFeedback"})
_PAUSE_FIGURES = ("version", "rate", "count", "delivered", "threshold", "window_days")


def _pause(event: TemplateEvent) -> dict[str, Any]:
    """A review or quality pause (`cause`, free `reason`), or the registry's own pause on
    feedback (R-THROTTLE: `cause` is the rate that reached its threshold, with figures)."""
    data = event.data
    if event.kind == "PausedForFeedback":
        return {
            "at": iso(event.at),
            "cause": data.get("reason"),
            "reason": f"{data.get('reason')} {data.get('rate')} reached {data.get('threshold')}",
            "actor": data.get("actor"),
            "figures": {k: data.get(k) for k in _PAUSE_FIGURES},
        }
    return {
        "at": iso(event.at),
        "cause": data.get("cause"),
        "reason": data.get("reason"),
        "actor": data.get("actor"),
        "figures": None,
    }


def _ranking(row: dict[str, Any]) -> tuple[Any, ...]:
    def worst_first(value: str | None) -> tuple[int, Decimal]:
        return (1, Decimal(0)) if value is None else (0, -Decimal(value))

    return (
        worst_first(row["complaint_rate"]),
        worst_first(row["opt_out_rate"]),
        -row["authorized"],
        row["name"],
        row["language"],
    )


def _quality(month: Month, history: Sequence[TemplateEvent]) -> dict[str, Any]:
    at_start = "UNKNOWN"
    changes = []
    for event in history:
        if event.kind != "QualityChanged":
            continue
        if event.at < month.start:
            at_start = str(event.data.get("quality"))
        elif event.at < month.end:
            changes.append({"at": iso(event.at), "quality": event.data.get("quality")})
    at_end = changes[-1]["quality"] if changes else at_start
    return {"at_start": at_start, "at_end": at_end, "changes": changes}


def frequency(tally: MonthTally, thresholds: Thresholds) -> dict[str, Any]:
    """Customers by their marketing sends in the month, and `best_frequency`: the
    largest group whose opt-out and complaint rates stay under the pause thresholds."""
    groups = []
    for label in FREQUENCY_GROUPS:
        figures = tally.groups.get(label, Tally()).figures(tally.outcomes)
        groups.append(
            {
                "group": label,
                "customers": tally.group_customers[label],
                "authorized": figures["authorized"],
                "delivered": figures["delivered"],
                "opted_out": figures["opted_out"],
                "complained": figures["complained"],
                "opt_out_rate": figures["opt_out_rate"],
                "complaint_rate": figures["complaint_rate"],
            }
        )
    best, reason = _best(groups, thresholds, tally.outcomes)
    return {
        "basis": "customers grouped by the marketing (non-transactional) sends authorized "
        "to them in the month; rates per delivered message, as in R-OUTCOME",
        "groups": groups,
        "best_frequency": best,
        "best_frequency_reason": reason,
        "thresholds": thresholds.document(),
    }


def _best(
    groups: list[dict[str, Any]], thresholds: Thresholds, outcomes: bool
) -> tuple[str | None, str]:
    if not outcomes:
        return None, OUTCOMES_MISSING
    measured = [g for g in groups if g["opt_out_rate"] is not None]
    if not measured:
        return None, "no group has delivered messages to measure its rates"
    under = [
        g
        for g in measured
        if Decimal(g["opt_out_rate"]) < thresholds.opt_out_rate
        and Decimal(g["complaint_rate"]) < thresholds.complaint_rate
    ]
    if not under:
        return None, "every measured group reaches a pause threshold"
    return under[-1]["group"], "the largest group whose rates stay under both thresholds"


def satisfaction(tally: MonthTally) -> dict[str, Any]:
    tally.fold()
    total = Tally()
    for channel in tally.channels.values():
        total.counts.update(channel.counts)
    measured = total.figures(tally.outcomes)
    sources = {kind: tally.opt_out_sources[kind] for kind in OPT_OUT_SOURCES}
    sources.update({k: n for k, n in sorted(tally.opt_out_sources.items()) if k not in sources})
    return {
        "replied": measured["replied"],
        "converted": measured["converted"],
        "complained": measured["complained"],
        "opt_outs": {
            "total": sum(tally.opt_out_sources.values()),
            "customers": tally.opt_out_customers,
            "attributed_to_the_months_sends": total.counts["opted_out"],
            "by_source": sources,
        },
        "suppressions": tally.suppressions,
        "inbound_messages": tally.inbound_messages,
    }


def daily(tally: MonthTally, now: datetime) -> list[dict[str, Any]]:
    """One row per local day of the month that has begun by `now`."""
    tally.fold()
    today = tally.month.local_day(now)
    return [
        {"date": day.isoformat(), **tally.days.get(day, Tally()).figures(tally.outcomes)}
        for day in tally.month.days
        if day <= today
    ]


def _unavailable(reason: str) -> dict[str, Any]:
    return {"available": False, "reason": reason}


def _in(month: Month, moment: datetime) -> bool:
    return month.start <= moment < month.end
