"""Baseline: the registry's tables as main@48ac32d created them, on both dialects.

A database made before migrations existed has these tables and no `alembic_version`:
this revision then creates only what it lacks (a table, the frontier column of
`audit_trees`, an index) and keeps every row, so it is upgraded in place. A new
database gets every table.

The columns are written out here rather than taken from registry/store/schema.py:
a revision is history and must not change when the schema moves on.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

POSITION = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _text(name: str, *, nullable: bool = False, primary_key: bool = False) -> sa.Column[Any]:
    return sa.Column(name, sa.Text, nullable=nullable, primary_key=primary_key)


def _tables() -> list[tuple[str, list[sa.Column[Any]], dict[str, Any]]]:
    return [
        (
            "registry_views",
            [
                _text("tenant", primary_key=True),
                _text("kind", primary_key=True),
                _text("key", primary_key=True),
                sa.Column("version", sa.Integer, nullable=False),
                sa.Column("position", POSITION, nullable=False),
                _text("doc"),
            ],
            {},
        ),
        (
            "registry_customer_index",
            [
                _text("tenant", primary_key=True),
                _text("blind", primary_key=True),
                _text("customer_id"),
            ],
            {},
        ),
        (
            "registry_data_keys",
            [
                _text("tenant", primary_key=True),
                _text("customer_id", primary_key=True),
                sa.Column("wrapped", sa.LargeBinary, nullable=False),
            ],
            {},
        ),
        (
            "registry_idempotency",
            [
                _text("tenant", primary_key=True),
                _text("key", primary_key=True),
                _text("request_hash"),
                sa.Column("status", sa.Integer, nullable=False),
                _text("body"),
                sa.Column("position", POSITION, nullable=True),
            ],
            {},
        ),
        (
            "registry_webhook_seen",
            [_text("tenant", primary_key=True), _text("dedupe_key", primary_key=True)],
            {},
        ),
        (
            "registry_webhook_unprocessed",
            [
                sa.Column("id", POSITION, primary_key=True, autoincrement=True),
                _text("tenant"),
                _text("received_at"),
                _text("reason"),
                _text("field", nullable=True),
                _text("payload"),
            ],
            {"sqlite_autoincrement": True},
        ),
        (
            "audit_trees",
            [
                _text("tenant", primary_key=True),
                sa.Column("size", sa.BigInteger, nullable=False),
                sa.Column("frontier", sa.LargeBinary, nullable=True),
            ],
            {},
        ),
        (
            "audit_leaves",
            [
                _text("tenant", primary_key=True),
                sa.Column("leaf_index", sa.BigInteger, primary_key=True),
                sa.Column("position", sa.BigInteger, nullable=False),
                sa.Column("leaf_hash", sa.LargeBinary, nullable=False),
                _text("event_type"),
                _text("occurred_at"),
                _text("occurred_key"),
                _text("actor"),
                _text("customer_id", nullable=True),
                _text("template", nullable=True),
            ],
            {},
        ),
        (
            "audit_nodes",
            [
                _text("tenant", primary_key=True),
                sa.Column("level", sa.Integer, primary_key=True),
                sa.Column("node_index", sa.BigInteger, primary_key=True),
                sa.Column("hash", sa.LargeBinary, nullable=False),
            ],
            {},
        ),
    ]


# (name, table, columns, unique)
INDEXES = [
    (
        "registry_webhook_unprocessed_tenant",
        "registry_webhook_unprocessed",
        ["tenant", "id"],
        False,
    ),
    ("audit_leaves_position", "audit_leaves", ["tenant", "position"], True),
    ("audit_leaves_customer", "audit_leaves", ["tenant", "customer_id", "leaf_index"], False),
    ("audit_leaves_template", "audit_leaves", ["tenant", "template", "leaf_index"], False),
    ("audit_leaves_global_position", "audit_leaves", ["position"], False),
]


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    existing = set(inspector.get_table_names())
    for name, columns, options in _tables():
        if name not in existing:
            op.create_table(name, *columns, **options)
    # Trees made before the frontier was kept: the column, empty until the next append
    # (which then reads the frontier from the stored nodes once).
    if "audit_trees" in existing:
        tree_columns = {column["name"] for column in inspector.get_columns("audit_trees")}
        if "frontier" not in tree_columns:
            op.add_column("audit_trees", sa.Column("frontier", sa.LargeBinary, nullable=True))
    for index, table, index_columns, unique in INDEXES:
        present = (
            {found["name"] for found in inspector.get_indexes(table)}
            if table in existing
            else set()
        )
        if index not in present:
            op.create_index(index, table, index_columns, unique=unique)


def downgrade() -> None:
    for index, table, _columns, _unique in reversed(INDEXES):
        op.drop_index(index, table_name=table)
    for name, _columns, _options in reversed(_tables()):
        op.drop_table(name)
