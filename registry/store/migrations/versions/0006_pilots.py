"""Pilots (SPEC §13): each template pilot's distinct customers, its CHECK-guarded count.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None


def _text(name: str, *, primary_key: bool = False) -> sa.Column[Any]:
    return sa.Column(name, sa.Text, nullable=False, primary_key=primary_key)


def upgrade() -> None:
    op.create_table(
        "registry_pilots",
        _text("tenant", primary_key=True),
        _text("template", primary_key=True),
        sa.Column("pilot", sa.Integer, primary_key=True),
        sa.Column("customers", sa.Integer, nullable=False),
        sa.Column("capacity", sa.Integer, nullable=False),
        sa.CheckConstraint(
            "customers <= capacity", name="registry_pilots_customers_within_capacity_check"
        ),
    )
    op.create_table(
        "registry_pilot_customers",
        _text("tenant", primary_key=True),
        _text("template", primary_key=True),
        _text("customer_id", primary_key=True),
        sa.Column("pilot", sa.Integer, primary_key=True),
        sa.Column("joined_at", sa.BigInteger, nullable=False),
    )
    op.create_index(
        "registry_pilot_customers_pilot",
        "registry_pilot_customers",
        ["tenant", "template", "pilot", "joined_at"],
    )


def downgrade() -> None:
    op.drop_index("registry_pilot_customers_pilot", table_name="registry_pilot_customers")
    op.drop_table("registry_pilot_customers")
    op.drop_table("registry_pilots")
