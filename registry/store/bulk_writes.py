"""The unit of work of a bulk import: a `WriteSet` whose new customers come as
`PreparedEvent`s (leaves serialised with the events) and prepared view rows, written
in the same transaction as the events (see recorders.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from eventsourcing.persistence import StoredEvent

from audit.log import LeafEntry
from registry.store.new_customers import PreparedEvent
from registry.store.schema import column_list, placeholders, views
from registry.store.sql import Sql
from registry.store.unit_of_work import WriteSet

# New customers' views: their events' INSERT has just proved that no other writer has
# recorded these customers, so their rows are inserted, not upserted (COPY on
# PostgreSQL when the recorder gives a `BulkSql`); a row there all the same fails the whole transaction.
INSERT_VIEW = f"INSERT INTO {views.name} ({column_list(views)}) VALUES ({placeholders(views)})"


@dataclass
class PreparedView:
    key: str  # the customer id
    last_event: int  # index in the stored events of the customer's last event
    version: int
    document: str


@dataclass
class BulkWriteSet(WriteSet):
    new_views: list[PreparedView] = field(default_factory=list)  # of new customers

    def __call__(self, sql: Sql, stored: Sequence[StoredEvent], positions: Sequence[int]) -> None:
        super().__call__(sql, stored, positions)
        sql.executemany(
            INSERT_VIEW,
            [
                (self.tenant, "customer", v.key, v.version, positions[v.last_event], v.document)
                for v in self.new_views
            ],
        )

    def _leaf_entry(self, event: StoredEvent, position: int) -> LeafEntry:
        if isinstance(event, PreparedEvent):
            return event.leaf_entry(position)
        return super()._leaf_entry(event, position)
