"""How a send's recorded outcomes count (SPEC §11, R-OUTCOME): the one rule the template
stats, the feedback rules, the experiment tallies and the monthly review all count by.

Platforms drop and reorder statuses, so a send counts as `delivered` when its delivery was
reported or a later status shows it (read, clicked, replied, converted, complained), and as
`sent` when `sent` or any of those was recorded: every delivered send is in both sides of
`delivery_rate = delivered / sent`. Every other name counts its own status. A send counts
once per name, however many of its statuses imply it.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from functools import cache
from typing import Final

SHOWS_DELIVERY: Final = ("delivered", "read", "clicked", "replied", "converted", "complained")
SHOWS_SENT: Final = ("sent", *SHOWS_DELIVERY)
_IMPLIED: Final[Mapping[str, tuple[str, ...]]] = {
    "sent": SHOWS_SENT,
    "delivered": SHOWS_DELIVERY,
}


def shown_by(name: str) -> tuple[str, ...]:
    """The recorded statuses (or flags) any one of which makes a send count as `name`."""
    return _IMPLIED.get(name, (name,))


def counted_as(status: str, names: Collection[str]) -> tuple[str, ...]:
    """The names of `names` a send counts as once `status` is recorded for it."""
    return tuple(name for name in names if status in shown_by(name))


def send_counts(statuses: Collection[str], names: Collection[str]) -> set[str]:
    """The names of `names` a send with these recorded statuses counts as."""
    return {name for name in names if any(s in statuses for s in shown_by(name))}


@cache
def newly_counted(
    before: frozenset[str], added: frozenset[str], names: tuple[str, ...]
) -> tuple[str, ...]:
    """The names of `names` a send starts to count as when `added` join its `before`
    (cached: a batch's sends go through a handful of combinations)."""
    was = send_counts(before, names)
    now = send_counts(before | added, names)
    return tuple(name for name in names if name in now and name not in was)


def counts_with(
    counts: Mapping[str, int], changes: Iterable[tuple[frozenset[str], frozenset[str]]]
) -> dict[str, int]:
    """`counts` (per name) once each send's flags go from `before` to `before | added`
    (the `changes`): one more for each name a send starts to count as."""
    total = dict(counts)
    names = tuple(total)
    for before, added in changes:
        for name in newly_counted(before, added, names):
            total[name] += 1
    return total
