"""The console's signed-out sessions (SPEC §15: sign-out ends the session).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "registry_console_signed_out",
        sa.Column("session_id", sa.Text, nullable=False),
        sa.Column("tenant", sa.Text, nullable=False),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("signed_out_at", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("session_id", name="registry_console_signed_out_pkey"),
    )


def downgrade() -> None:
    op.drop_table("registry_console_signed_out")
