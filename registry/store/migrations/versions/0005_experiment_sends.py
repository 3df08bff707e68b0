"""Experiments (SPEC §13): the arm of each authorization that came from an experiment.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "registry_experiment_sends",
        sa.Column("tenant", sa.Text, nullable=False, primary_key=True),
        sa.Column("authorization_id", sa.Text, nullable=False, primary_key=True),
        sa.Column("experiment", sa.Text, nullable=False),
        sa.Column("arm", sa.Text, nullable=False),
    )
    op.create_index(
        "registry_experiment_sends_arm",
        "registry_experiment_sends",
        ["tenant", "experiment", "arm"],
    )


def downgrade() -> None:
    op.drop_index("registry_experiment_sends_arm", table_name="registry_experiment_sends")
    op.drop_table("registry_experiment_sends")
