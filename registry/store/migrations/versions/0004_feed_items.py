"""The change feed's items kept with the audit leaves (R-FEED): `audit_leaves.change`, the
feed item of the leaf's event without its position (registry.domain.feed_items), and the
partial index `audit_leaves_changes` (tenant, position) over the leaves that have one.

Leaves already logged get their item from their event, as the write path computes it;
the PostgreSQL function `audit_append` takes the items as a new last argument (the old
signature is dropped here; start-up defines the new one, audit.log.server_functions).

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

from registry.domain.feed_items import EVENT_KINDS, change_fragment

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None

_OLD_APPEND = (
    "DROP FUNCTION IF EXISTS audit_append("
    "TEXT, BIGINT[], BYTEA[], TEXT[], TEXT[], TEXT[], TEXT[], TEXT[], TEXT[])"
)
_BATCH = 5000
# The event store's table (eventsourcing names it after the application) and position.
_EVENTS = {
    "postgresql": ("registry_events", "notification_id"),
    "sqlite": ("stored_events", "rowid"),
}


def upgrade() -> None:
    bind = op.get_bind()
    postgres = bind.dialect.name == "postgresql"
    op.add_column("audit_leaves", sa.Column("change", sa.Text, nullable=True))
    if postgres:
        op.execute(_OLD_APPEND)
    _fill_changes(bind, *_EVENTS[bind.dialect.name])
    op.create_index(
        "audit_leaves_changes",
        "audit_leaves",
        ["tenant", "position"],
        sqlite_where=sa.text("change IS NOT NULL"),
        postgresql_where=sa.text("change IS NOT NULL"),
    )


def _fill_changes(bind: sa.Connection, events_table: str, position_column: str) -> None:
    """Every logged leaf of a type the feed lists gets its item, in batches of leaves."""
    if not sa.inspect(bind).has_table(events_table):
        return  # a new database: nothing logged yet
    types = sorted(EVENT_KINDS)
    select = sa.text(
        "SELECT l.position, l.tenant, l.leaf_index, l.event_type, l.occurred_at, l.customer_id, "
        f"l.template, e.state FROM audit_leaves l JOIN {events_table} e "
        f"ON e.{position_column} = l.position WHERE l.position > :after "
        "AND l.event_type IN :types ORDER BY l.position LIMIT :batch"
    ).bindparams(sa.bindparam("types", expanding=True))
    update = sa.text(
        "UPDATE audit_leaves SET change = :change "
        "WHERE tenant = :tenant AND leaf_index = :leaf_index"
    )
    after = 0
    while True:
        rows = bind.execute(select, {"after": after, "types": types, "batch": _BATCH}).all()
        if not rows:
            return
        bind.execute(
            update,
            [
                {
                    "tenant": tenant,
                    "leaf_index": leaf_index,
                    "change": change_fragment(
                        type_, occurred_at, customer_id, template, json.loads(bytes(state))
                    ),
                }
                for _, tenant, leaf_index, type_, occurred_at, customer_id, template, state in rows
            ],
        )
        after = int(rows[-1][0])


def downgrade() -> None:
    op.drop_index("audit_leaves_changes", table_name="audit_leaves")
    op.drop_column("audit_leaves", "change")
