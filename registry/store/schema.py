"""Tables the registry keeps beside the event store, all written in the same
transaction as the events they derive from (see unit_of_work)."""

from __future__ import annotations

from registry.store.sql import Sql


def create_tables(sql: Sql) -> None:
    blob = sql.blob_type
    big = "BIGINT" if sql.dialect == "postgres" else "INTEGER"
    statements = [
        # Current state documents (customer, template, tenant), one row per aggregate.
        f"""CREATE TABLE IF NOT EXISTS registry_views (
            tenant TEXT NOT NULL, kind TEXT NOT NULL, key TEXT NOT NULL,
            version INTEGER NOT NULL, position {big} NOT NULL, doc TEXT NOT NULL,
            PRIMARY KEY (tenant, kind, key))""",
        # Customers found by a keyed hash of their phone or platform user id.
        """CREATE TABLE IF NOT EXISTS registry_customer_index (
            tenant TEXT NOT NULL, blind TEXT NOT NULL, customer_id TEXT NOT NULL,
            PRIMARY KEY (tenant, blind))""",
        # Per-customer data keys, wrapped under the master key; deleted on erasure.
        f"""CREATE TABLE IF NOT EXISTS registry_data_keys (
            tenant TEXT NOT NULL, customer_id TEXT NOT NULL, wrapped {blob} NOT NULL,
            PRIMARY KEY (tenant, customer_id))""",
        # R-IDEMPOTENCY: the first answer to a key, and a keyed hash of its request.
        f"""CREATE TABLE IF NOT EXISTS registry_idempotency (
            tenant TEXT NOT NULL, key TEXT NOT NULL, request_hash TEXT NOT NULL,
            status INTEGER NOT NULL, body TEXT NOT NULL, position {big},
            PRIMARY KEY (tenant, key))""",
        # Platform deliveries already recorded (redeliveries are recorded once).
        """CREATE TABLE IF NOT EXISTS registry_webhook_seen (
            tenant TEXT NOT NULL, dedupe_key TEXT NOT NULL,
            PRIMARY KEY (tenant, dedupe_key))""",
        # Payloads not understood, kept for inspection (sealed: may hold phone numbers).
        f"""CREATE TABLE IF NOT EXISTS registry_webhook_unprocessed (
            id {"BIGSERIAL" if sql.dialect == "postgres" else "INTEGER"} PRIMARY KEY
                {"" if sql.dialect == "postgres" else "AUTOINCREMENT"},
            tenant TEXT NOT NULL, received_at TEXT NOT NULL, reason TEXT NOT NULL,
            field TEXT, payload TEXT NOT NULL)""",
        "CREATE INDEX IF NOT EXISTS registry_webhook_unprocessed_tenant "
        "ON registry_webhook_unprocessed (tenant, id)",
    ]
    for statement in statements:
        sql.execute(statement)
