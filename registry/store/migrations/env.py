"""Alembic's environment: migrations run on the connection `registry.store.migrate`
hands over (inside the start-up lock), or, for Alembic's own command line
(`alembic -c registry/store/migrations/alembic.ini …`), on REGISTRY_DATABASE_URL."""

from __future__ import annotations

import os
from typing import Any

from alembic import context
from sqlalchemy import Connection

from registry.config import parse_database_url
from registry.store.schema import metadata


def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
    """Only the registry's own tables: eventsourcing's (stored events, snapshots,
    tracking) and the version table are not ours to compare or change."""
    if type_ == "table":
        return name in metadata.tables
    return True


def run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        include_name=include_name,
        compare_type=True,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def run_from_command_line() -> None:
    from registry.store.migrate import engine_for

    url = os.environ.get("REGISTRY_DATABASE_URL", "").strip() or "sqlite:///var/registry.sqlite3"
    engine = engine_for(parse_database_url(url))
    try:
        with engine.begin() as connection:
            run_migrations(connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("registry migrations run on a live database only (no --sql mode)")
given = context.config.attributes.get("connection")
if given is None:
    run_from_command_line()
else:
    run_migrations(given)
