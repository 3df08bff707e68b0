"""The registry's own tables, defined once (SQLAlchemy Core).

They live beside the event store (whose `stored_events`, snapshots and tracking tables
stay eventsourcing's) and are all written in the same transaction as the events they
derive from (see unit_of_work). Alembic migrations (registry/store/migrations) create
and change them; `tests/integration/test_migrations.py` checks that the migrations'
head is exactly this definition, on SQLite and PostgreSQL.

The hot paths keep hand-written SQL text but take table and column names from here
(`views.name`, `column_list(views)`), computed once at import.

To add a table: declare it below on `metadata`, then add an Alembic revision
(README, "Migrations").
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Table,
    Text,
    text,
)

from registry.store.sql import Sql

# Names PostgreSQL would have chosen for primary keys; named indexes and constraints let
# later migrations (and SQLite's batch mode) refer to them.
metadata = MetaData(
    naming_convention={
        "pk": "%(table_name)s_pkey",
        "ix": "%(table_name)s_%(column_0_N_name)s",
        "uq": "%(table_name)s_%(column_0_N_name)s_key",
        "ck": "%(table_name)s_%(constraint_name)s_check",
        "fk": "%(table_name)s_%(column_0_name)s_fkey",
    }
)

# A global position (notification id): BIGINT on PostgreSQL; on SQLite the integer is
# 64-bit whatever its declared name, and these tables have always declared INTEGER.
Position = BigInteger().with_variant(Integer(), "sqlite")


def _text(name: str, *, nullable: bool = False, primary_key: bool = False) -> Column[Any]:
    return Column(name, Text, nullable=nullable, primary_key=primary_key)


# Current state documents (customer, template, tenant), one row per aggregate.
views = Table(
    "registry_views",
    metadata,
    _text("tenant", primary_key=True),
    _text("kind", primary_key=True),
    _text("key", primary_key=True),
    Column("version", Integer, nullable=False),
    Column("position", Position, nullable=False),
    _text("doc"),
)

# Customers found by a keyed hash of their phone or platform user id.
customer_index = Table(
    "registry_customer_index",
    metadata,
    _text("tenant", primary_key=True),
    _text("blind", primary_key=True),
    _text("customer_id"),
)

# Per-customer data keys, wrapped under the master key; deleted on erasure.
data_keys = Table(
    "registry_data_keys",
    metadata,
    _text("tenant", primary_key=True),
    _text("customer_id", primary_key=True),
    Column("wrapped", LargeBinary, nullable=False),
)

# R-IDEMPOTENCY: the first answer to a key, and a keyed hash of its request.
idempotency = Table(
    "registry_idempotency",
    metadata,
    _text("tenant", primary_key=True),
    _text("key", primary_key=True),
    _text("request_hash"),
    Column("status", Integer, nullable=False),
    _text("body"),
    Column("position", Position, nullable=True),
)

# Platform deliveries already recorded (redeliveries are recorded once).
webhook_seen = Table(
    "registry_webhook_seen",
    metadata,
    _text("tenant", primary_key=True),
    _text("dedupe_key", primary_key=True),
)

# Payloads not understood, kept for inspection (sealed: may hold phone numbers).
webhook_unprocessed = Table(
    "registry_webhook_unprocessed",
    metadata,
    Column("id", Position, primary_key=True, autoincrement=True),
    _text("tenant"),
    _text("received_at"),
    _text("reason"),
    _text("field", nullable=True),
    _text("payload"),
    Index("registry_webhook_unprocessed_tenant", "tenant", "id"),
    sqlite_autoincrement=True,
)

# Each tenant's Merkle tree (audit/log.py): its size and the frontier of perfect
# subtrees a new leaf folds into.
audit_trees = Table(
    "audit_trees",
    metadata,
    _text("tenant", primary_key=True),
    Column("size", BigInteger, nullable=False),
    Column("frontier", LargeBinary, nullable=True),
)

# One row per event: its leaf hash and the labels filtered exports page by.
audit_leaves = Table(
    "audit_leaves",
    metadata,
    _text("tenant", primary_key=True),
    Column("leaf_index", BigInteger, primary_key=True),
    Column("position", BigInteger, nullable=False),
    Column("leaf_hash", LargeBinary, nullable=False),
    _text("event_type"),
    _text("occurred_at"),
    _text("occurred_key"),
    _text("actor"),
    _text("customer_id", nullable=True),
    _text("template", nullable=True),
    # The event's change-feed item without its position (registry.domain.feed_items),
    # JSON text, written with the leaf; NULL for an event the feed does not list.
    _text("change", nullable=True),
    Index("audit_leaves_position", "tenant", "position", unique=True),
    # GET /v1/changes reads the feed's events only (usecases/feed.py).
    Index(
        "audit_leaves_changes",
        "tenant",
        "position",
        sqlite_where=text("change IS NOT NULL"),
        postgresql_where=text("change IS NOT NULL"),
    ),
    Index("audit_leaves_customer", "tenant", "customer_id", "leaf_index"),
    Index("audit_leaves_template", "tenant", "template", "leaf_index"),
    # `python -m audit check` pages through leaves in global position order.
    Index("audit_leaves_global_position", "position"),
)

# Every complete perfect subtree of level ≥ 1 (level 0 is `audit_leaves.leaf_hash`).
audit_nodes = Table(
    "audit_nodes",
    metadata,
    _text("tenant", primary_key=True),
    Column("level", Integer, primary_key=True),
    Column("node_index", BigInteger, primary_key=True),
    Column("hash", LargeBinary, nullable=False),
)


# Console sessions that were signed out (registry/usecases/console.py), insert only: a kept
# copy of a signed-out session cookie then opens nothing.
console_signed_out = Table(
    "registry_console_signed_out",
    metadata,
    _text("session_id", primary_key=True),
    _text("tenant"),
    _text("actor"),
    _text("signed_out_at"),
)


# ---- outcomes (SPEC §11-12): derived from the log, rebuilt by `make rebuild` ---------------
# (registry/projections/sends.py writes them in the transaction of their events).


def _flag(name: str) -> Column[Any]:
    return Column(name, Integer, nullable=False, server_default="0")


SEND_FLAGS = (
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

# One row per authorization: its identity, its Send aggregate's version (0: none yet) and
# one 0/1 column per outcome status and attributed feedback. Times: microseconds since 1970.
sends = Table(
    "registry_sends",
    metadata,
    _text("tenant", primary_key=True),
    _text("authorization_id", primary_key=True),
    _text("customer_id"),
    _text("channel"),
    _text("template_name"),
    _text("language"),
    Column("version", Integer, nullable=True),
    _text("purpose"),
    Column("authorized_at", BigInteger, nullable=False),
    _text("message_ref", nullable=True),
    Column("send_version", Integer, nullable=False, server_default="0"),
    *(_flag(name) for name in SEND_FLAGS),
    Index("registry_sends_template", "tenant", "template_name", "language", "authorized_at"),
    Index("registry_sends_channel", "tenant", "channel", "authorized_at"),
)

# Per hour of authorization (authorized_at // 3,600,000,000), how many sends of a template
# version, and of a channel, count as each outcome; kept by triggers on registry_sends
# (registry/store/send_hours.py) and summed over the feedback rules' rolling windows.
version_hours = Table(
    "registry_version_hours",
    metadata,
    _text("tenant", primary_key=True),
    _text("template_name", primary_key=True),
    _text("language", primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("hour", BigInteger, primary_key=True),
    *(_flag(name) for name in SEND_FLAGS),
)

channel_hours = Table(
    "registry_channel_hours",
    metadata,
    _text("tenant", primary_key=True),
    _text("channel", primary_key=True),
    Column("hour", BigInteger, primary_key=True),
    *(_flag(name) for name in SEND_FLAGS),
)

# The platform's (or the sender's) message id of a send.
message_refs = Table(
    "registry_message_refs",
    metadata,
    _text("tenant", primary_key=True),
    _text("message_ref", primary_key=True),
    _text("authorization_id"),
)

# Distinct customers per minute of their latest marketing authorization on a channel.
channel_window = Table(
    "registry_channel_window",
    metadata,
    _text("tenant", primary_key=True),
    _text("channel", primary_key=True),
    Column("minute", BigInteger, primary_key=True),
    Column("customers", Integer, nullable=False),
)

# Written last in an authorization's transaction while a messaging limit is in force: the
# window's count minus the limit, which the CHECK keeps from being positive (never one over).
limit_guard = Table(
    "registry_limit_guard",
    metadata,
    _text("tenant", primary_key=True),
    _text("channel", primary_key=True),
    Column("excess", Integer, nullable=False),
    CheckConstraint("excess <= 0", name="excess_not_positive"),
)

# The experiment arm of each authorization that came from one (SPEC §13), from its
# Customer.SendAuthorized event; joined with registry_sends for the experiment's results.
experiment_sends = Table(
    "registry_experiment_sends",
    metadata,
    _text("tenant", primary_key=True),
    _text("authorization_id", primary_key=True),
    _text("experiment"),
    _text("arm"),
    Index("registry_experiment_sends_arm", "tenant", "experiment", "arm"),
)

# ---- pilots (SPEC §13): derived from `Customer.SendAuthorized` events that name a pilot ------

# Per template and pilot (numbered per template, registry.domain.rules.pilot), the distinct
# customers authorized in it. An authorization that adds a customer raises `customers` and
# sets `capacity` to the policy's `pilot.customers`; the CHECK fails the transaction (the
# writer retries, and the decision then refuses) rather than let a pilot go one over.
pilots = Table(
    "registry_pilots",
    metadata,
    _text("tenant", primary_key=True),
    _text("template", primary_key=True),  # name/language
    Column("pilot", Integer, primary_key=True),
    Column("customers", Integer, nullable=False),
    Column("capacity", Integer, nullable=False),
    CheckConstraint("customers <= capacity", name="customers_within_capacity"),
)

# The customers of each pilot, and when each was first authorized in it (microseconds).
pilot_customers = Table(
    "registry_pilot_customers",
    metadata,
    _text("tenant", primary_key=True),
    _text("template", primary_key=True),
    _text("customer_id", primary_key=True),
    Column("pilot", Integer, primary_key=True),
    Column("joined_at", BigInteger, nullable=False),
    Index("registry_pilot_customers_pilot", "tenant", "template", "pilot", "joined_at"),
)

# Outcomes naming no known authorization, kept (sealed) for inspection.
outcomes_unknown = Table(
    "registry_outcomes_unknown",
    metadata,
    Column("id", Position, primary_key=True, autoincrement=True),
    _text("tenant"),
    _text("received_at"),
    _text("source"),
    _text("reason"),
    _text("item"),
    Index("registry_outcomes_unknown_tenant", "tenant", "id"),
    sqlite_autoincrement=True,
)


def column_list(table: Table) -> str:
    """`a, b, c`: the table's columns in their declared order, for an INSERT's list."""
    return ", ".join(column.name for column in table.columns)


def key_list(table: Table) -> str:
    """`a, b`: the table's primary key columns, for an `ON CONFLICT (…)`."""
    return ", ".join(column.name for column in table.primary_key.columns)


def placeholders(table: Table) -> str:
    """`?, ?, ?`: one placeholder per column of the table."""
    return ", ".join("?" for _ in table.columns)


def create_all(sql: Sql) -> None:
    """The tables as declared here, on a bare connection: for tests' in-memory SQLite.
    A real database gets its tables from the migrations (registry.store.migrate)."""
    from sqlalchemy import create_mock_engine
    from sqlalchemy.schema import CreateIndex, CreateTable

    url = "postgresql+psycopg://" if sql.dialect == "postgres" else "sqlite://"
    dialect = create_mock_engine(url, executor=None).dialect
    for table in metadata.sorted_tables:
        sql.execute(str(CreateTable(table, if_not_exists=True).compile(dialect=dialect)))
        for index in sorted(table.indexes, key=lambda index: str(index.name)):
            sql.execute(str(CreateIndex(index, if_not_exists=True).compile(dialect=dialect)))
