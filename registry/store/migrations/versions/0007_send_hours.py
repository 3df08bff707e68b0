"""Hourly outcome counts per template version and per channel, kept by triggers on
registry_sends (registry/store/send_hours.py), counted from the sends already there.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

from registry.store.send_hours import drop_ddl, recount_statements, trigger_ddl

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | None = None
depends_on: str | None = None

# The flags and counting rule as of this revision (registry/domain/outcome_counts.py).
FLAGS = (
    "sent",
    "delivered",
    "read",
    "failed",
    "clicked",
    "replied",
    "converted",
    "complained",
    "opted_out",
    "suppressed",
)
SHOWS_DELIVERY = ("delivered", "read", "clicked", "replied", "converted", "complained")
_SHOWN_BY = {"sent": ("sent", *SHOWS_DELIVERY), "delivered": SHOWS_DELIVERY}


def shown_by(name: str) -> tuple[str, ...]:
    return _SHOWN_BY.get(name, (name,))


def _text(name: str) -> sa.Column[Any]:
    return sa.Column(name, sa.Text, nullable=False, primary_key=True)


def _counts() -> list[sa.Column[Any]]:
    return [sa.Column(flag, sa.Integer, nullable=False, server_default="0") for flag in FLAGS]


def upgrade() -> None:
    op.create_table(
        "registry_version_hours",
        _text("tenant"),
        _text("template_name"),
        _text("language"),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("hour", sa.BigInteger, primary_key=True),
        *_counts(),
    )
    op.create_table(
        "registry_channel_hours",
        _text("tenant"),
        _text("channel"),
        sa.Column("hour", sa.BigInteger, primary_key=True),
        *_counts(),
    )
    dialect = "postgres" if op.get_bind().dialect.name == "postgresql" else "sqlite"
    if dialect == "postgres":
        # Every batch of statuses updates its hours' rows: with room left on each page
        # the new row versions stay on it (HOT updates) and PostgreSQL prunes the old
        # ones as it reads the page, so the tables stay small even without autovacuum.
        for table in ("registry_version_hours", "registry_channel_hours"):
            op.execute(f"ALTER TABLE {table} SET (fillfactor = 50)")
    for statement in [*trigger_ddl(dialect, FLAGS, shown_by), *recount_statements(FLAGS, shown_by)]:
        op.execute(statement)


def downgrade() -> None:
    dialect = "postgres" if op.get_bind().dialect.name == "postgresql" else "sqlite"
    for statement in drop_ddl(dialect):
        op.execute(statement)
    op.drop_table("registry_channel_hours")
    op.drop_table("registry_version_hours")
