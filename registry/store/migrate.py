"""Bringing the registry's tables to the migrations' head (Alembic).

`upgrade` runs at start-up, inside bootstrap's initialisation lock (PostgreSQL advisory
lock, SQLite lock file), so of several workers starting at once one migrates and the
others find the database at head. `python -m registry.migrate` (`make migrate`) runs
the same under the same lock.

The migrations are package data (registry/store/migrations); no alembic.ini is needed.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import URL, Connection, Engine, create_engine, event, exc
from sqlalchemy.pool import NullPool

from registry.config import ConfigError, Database
from registry.store.migrations import HEAD, SCRIPT_LOCATION
from registry.store.sql import Sql

VERSION_TABLE = "alembic_version"


def engine_for(database: Database) -> Engine:
    """An engine of one short-lived connection at a time (no pool kept open)."""
    if database.dialect == "sqlite":
        engine = create_engine(f"sqlite:///{database.sqlite_path}", poolclass=NullPool)
        _transactional_sqlite_ddl(engine)
        return engine
    url = URL.create(
        "postgresql+psycopg",
        username=database.user or None,
        password=database.password or None,
        host=database.host,
        port=database.port,
        database=database.name,
    )
    return create_engine(url, poolclass=NullPool, connect_args={"connect_timeout": 10})


def _transactional_sqlite_ddl(engine: Engine) -> None:
    """Python's sqlite3 opens no transaction before DDL, so a migration that fails half
    way would leave half its changes; with the driver's own handling off and an explicit
    `BEGIN IMMEDIATE`, a migration commits whole or not at all (SQLAlchemy's recipe)."""

    @event.listens_for(engine, "connect")
    def _no_driver_transactions(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def _begin_immediate(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def alembic_config(connection: Connection | None = None) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(SCRIPT_LOCATION))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "registry/store/migrations has no revision"
    return head


def current_revision(connection: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


def is_at_head(sql: Sql) -> bool:
    """Whether the database's revision is `HEAD`, read on a connection already open and
    without importing Alembic: a worker starting on a migrated database (the usual case)
    spends one query here instead of Alembic's import and a second connection."""
    if sql.dialect == "postgres":
        present = sql.scalar("SELECT to_regclass(?) IS NOT NULL", [VERSION_TABLE])
    else:
        present = sql.scalar(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", [VERSION_TABLE]
        )
    if not present:
        return False
    versions = [str(v) for (v,) in sql.query(f"SELECT version_num FROM {VERSION_TABLE}")]
    return versions == [HEAD]


def differences(database: Database) -> list[Any]:
    """What Alembic's autogenerate would change to make the database's registry tables
    the declaration in registry/store/schema.py: `[]` when they are the same.

    On SQLite a lone `INTEGER PRIMARY KEY` is the rowid, never null whether or not it is
    declared `NOT NULL` (main@48ac32d's `registry_webhook_unprocessed.id` is not, a new
    table's is), so that one nullability difference is no difference."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from registry.store.schema import metadata

    def ours(name: str | None, type_: str, parent_names: Any) -> bool:
        return name in metadata.tables if type_ == "table" else True

    with _connected(database) as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_name": ours}
        )
        found = list(compare_metadata(context, metadata))
    if database.dialect != "sqlite":
        return found
    return [d for d in found if not (isinstance(d, list) and all(map(_is_rowid_nullability, d)))]


def _is_rowid_nullability(difference: Any) -> bool:
    from registry.store.schema import metadata

    if not (isinstance(difference, tuple) and difference[0] == "modify_nullable"):
        return False
    table = metadata.tables[difference[2]]
    key = list(table.primary_key.columns)
    return len(key) == 1 and key[0].name == difference[3] and key[0].type.python_type is int


def upgrade(database: Database, revision: str = "head", *, then_run: Sequence[str] = ()) -> None:
    """Apply every migration up to `revision`, then the statements `then_run` (server
    functions the tables' users need), in one transaction. A database made before
    migrations existed (the tables, no `alembic_version`) is upgraded in place: the
    baseline creates only what is missing and keeps every row."""
    from alembic import command
    from alembic.util.exc import CommandError

    try:
        with _connection_errors_as_driver_errors(), _in_transaction(database) as connection:
            command.upgrade(alembic_config(connection), revision)
            for statement in then_run:
                connection.exec_driver_sql(statement)
    except CommandError as error:
        # Typically a database migrated by newer code than this one (a rollback).
        raise ConfigError(
            f"REGISTRY_DATABASE_URL: cannot migrate the registry's tables to {revision} "
            f"(this code's head is {HEAD}): {error}"
        ) from None


@contextmanager
def _connected(database: Database) -> Iterator[Connection]:
    engine = engine_for(database)
    try:
        with engine.connect() as connection:
            yield connection
    finally:
        engine.dispose()


@contextmanager
def _in_transaction(database: Database) -> Iterator[Connection]:
    engine = engine_for(database)
    try:
        with engine.begin() as connection:
            yield connection
    finally:
        engine.dispose()


@contextmanager
def _connection_errors_as_driver_errors() -> Iterator[None]:
    """SQLAlchemy wraps the driver's errors; the start-up path tells a database going
    away (psycopg.OperationalError, which a booting worker waits out) from a real
    failure by the driver's own classes, so those are raised as they came."""
    try:
        yield
    except (exc.OperationalError, exc.InterfaceError) as error:
        if isinstance(error.orig, Exception):
            raise error.orig from error
        raise
