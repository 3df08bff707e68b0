"""Outcomes (SPEC §11-12): sends and their outcomes, message refs, the messaging window,
its guard, and outcomes naming no known send.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None

POSITION = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
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


def _text(name: str, *, nullable: bool = False, primary_key: bool = False) -> sa.Column[Any]:
    return sa.Column(name, sa.Text, nullable=nullable, primary_key=primary_key)


def upgrade() -> None:
    op.create_table(
        "registry_sends",
        _text("tenant", primary_key=True),
        _text("authorization_id", primary_key=True),
        _text("customer_id"),
        _text("channel"),
        _text("template_name"),
        _text("language"),
        sa.Column("version", sa.Integer, nullable=True),
        _text("purpose"),
        sa.Column("authorized_at", sa.BigInteger, nullable=False),
        _text("message_ref", nullable=True),
        sa.Column("send_version", sa.Integer, nullable=False, server_default="0"),
        *(sa.Column(flag, sa.Integer, nullable=False, server_default="0") for flag in FLAGS),
    )
    op.create_index(
        "registry_sends_template",
        "registry_sends",
        ["tenant", "template_name", "language", "authorized_at"],
    )
    op.create_index(
        "registry_sends_channel", "registry_sends", ["tenant", "channel", "authorized_at"]
    )
    op.create_table(
        "registry_message_refs",
        _text("tenant", primary_key=True),
        _text("message_ref", primary_key=True),
        _text("authorization_id"),
    )
    op.create_table(
        "registry_channel_window",
        _text("tenant", primary_key=True),
        _text("channel", primary_key=True),
        sa.Column("minute", sa.BigInteger, primary_key=True),
        sa.Column("customers", sa.Integer, nullable=False),
    )
    op.create_table(
        "registry_limit_guard",
        _text("tenant", primary_key=True),
        _text("channel", primary_key=True),
        sa.Column("excess", sa.Integer, nullable=False),
        sa.CheckConstraint("excess <= 0", name="registry_limit_guard_excess_not_positive_check"),
    )
    op.create_table(
        "registry_outcomes_unknown",
        sa.Column("id", POSITION, primary_key=True, autoincrement=True),
        _text("tenant"),
        _text("received_at"),
        _text("source"),
        _text("reason"),
        _text("item"),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "registry_outcomes_unknown_tenant", "registry_outcomes_unknown", ["tenant", "id"]
    )


def downgrade() -> None:
    op.drop_index("registry_outcomes_unknown_tenant", table_name="registry_outcomes_unknown")
    op.drop_table("registry_outcomes_unknown")
    op.drop_table("registry_limit_guard")
    op.drop_table("registry_channel_window")
    op.drop_table("registry_message_refs")
    op.drop_index("registry_sends_channel", table_name="registry_sends")
    op.drop_index("registry_sends_template", table_name="registry_sends")
    op.drop_table("registry_sends")
