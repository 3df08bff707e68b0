"""`python -m registry.projections.rebuild`: rebuild every view from the event log.

Reads the aggregates named in the log, re-projects each one's state document and
replaces the view rows. Safe to run while the server runs: each row is written with
the version it reflects, and a newer row is never overwritten by an older one.
"""

from __future__ import annotations

import sys
from uuid import UUID

from registry.application import RegistryCore
from registry.bootstrap import build_registry
from registry.config import ConfigError, load_settings
from registry.domain.base import RegistryAggregate
from registry.store.unit_of_work import UPSERT_VIEW, view_row

BATCH = 1000


def rebuild(registry: RegistryCore) -> int:
    """Returns the number of views written."""
    seen: set[UUID] = set()
    written = 0
    start = 0
    while True:
        notifications = registry.recorder.select_notifications(
            start, BATCH, inclusive_of_start=False
        )
        if not notifications:
            return written
        for notification in notifications:
            aggregate_id = notification.originator_id
            if isinstance(aggregate_id, UUID) and aggregate_id not in seen:
                seen.add(aggregate_id)
                aggregate: object = registry.repository.get(aggregate_id)
                if isinstance(aggregate, RegistryAggregate):
                    _write_view(registry, aggregate)
                    written += 1
        start = notifications[-1].id


def _write_view(registry: RegistryCore, aggregate: RegistryAggregate) -> None:
    view = registry._view_of(aggregate)
    with registry.db.transaction(commit=True) as sql:
        position = max(
            registry.db.positions_of(sql, view.aggregate_id, [view.version]).values(), default=0
        )
        sql.execute(UPSERT_VIEW, view_row(aggregate.tenant, view, position))


def main() -> int:
    try:
        registry = build_registry(load_settings())
    except ConfigError as error:
        print(f"registry: {error}", file=sys.stderr)
        return 2
    count = rebuild(registry)
    print(f"rebuilt {count} views")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
