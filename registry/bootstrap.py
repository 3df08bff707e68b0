"""The composition root: builds the application, its tables and keys."""

from __future__ import annotations

import contextlib
import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from audit import log as audit_log
from registry.application import Registry
from registry.clock import SYSTEM_CLOCK, Clock
from registry.config import ConfigError, DatabaseUnreachable, Settings
from registry.keys import load_keyring
from registry.store import liveness, migrate
from registry.store.database import Database
from registry.usecases.audit import AuditService
from registry.usecases.authorizing import EventPositions
from registry.usecases.confirmations import ConfirmationService
from registry.usecases.consent_records import ConsentRecordService
from registry.usecases.consents import ConsentService
from registry.usecases.container import Parts, Services
from registry.usecases.decisions import DecisionService
from registry.usecases.experiments import ExperimentService
from registry.usecases.feed import ChangeFeed
from registry.usecases.imports import ImportService
from registry.usecases.limits import LimitService
from registry.usecases.outcomes import OutcomeService
from registry.usecases.pilots import PilotJudge
from registry.usecases.position_watch import PositionWatch
from registry.usecases.receipts import Receipts
from registry.usecases.reports import ReportService
from registry.usecases.templates import TemplateService
from registry.usecases.tokens import TokenService
from registry.usecases.webhooks import WebhookService

INIT_LOCK_ID = 7_305_019_282
# Connection failures that a wrong REGISTRY_DATABASE_URL causes; any other (refused,
# timed out, starting up, shutting down) is the database being away for now.
SETTING_ERRORS = (
    "authentication failed",
    "could not translate host name",
    "does not exist",
    "invalid",
    "no password supplied",
)


def eventsourcing_env(settings: Settings) -> dict[str, str]:
    env = {
        "AGGREGATE_CACHE_MAXSIZE": "20000",
        "AGGREGATE_CACHE_FASTFORWARD": "y",
        "IS_SNAPSHOTTING_ENABLED": "y",
    }
    db = settings.database
    if db.dialect == "sqlite":
        env.update(
            PERSISTENCE_MODULE="registry.store.sqlite:WaitingSQLiteFactory",
            SQLITE_DBNAME=db.sqlite_path,
            SQLITE_LOCK_TIMEOUT=str(settings.sqlite_lock_timeout),
            APPLICATION_RECORDER_TOPIC="registry.store.recorders:SQLiteRegistryRecorder",
        )
    else:
        env.update(
            PERSISTENCE_MODULE="eventsourcing.postgres",
            POSTGRES_DBNAME=db.name,
            POSTGRES_HOST=db.host,
            POSTGRES_PORT=str(db.port),
            POSTGRES_USER=db.user,
            POSTGRES_PASSWORD=db.password,
            POSTGRES_POOL_SIZE=str(settings.postgres_pool_size),
            POSTGRES_MAX_OVERFLOW=str(settings.postgres_max_overflow),
            POSTGRES_CONN_MAX_AGE="",
            POSTGRES_PRE_PING="y",
            POSTGRES_LOCK_TIMEOUT="30",
            POSTGRES_CONNECT_TIMEOUT="5",
            APPLICATION_RECORDER_TOPIC="registry.store.recorders:PostgresRegistryRecorder",
        )
    return env


@contextmanager
def _initialisation_lock(settings: Settings) -> Iterator[None]:
    """Several workers start at once; one of them creates the tables."""
    db = settings.database
    if db.dialect == "sqlite":
        path = Path(db.sqlite_path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path.parent / f".{path.name}.init.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)
        return

    _ensure_postgres_database(settings)
    with _pg_connect(settings, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (INIT_LOCK_ID,))
        try:
            yield
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (INIT_LOCK_ID,))


@contextmanager
def _database_away_is_unreachable(settings: Settings) -> Iterator[None]:
    """PostgreSQL going away after the first connection succeeded (a restart that begins
    while a worker starts) is `DatabaseUnreachable`, which the worker waits out (wsgi.py),
    not an error that would stop the whole server."""
    if settings.database.dialect != "postgres":
        yield
        return
    import psycopg
    from eventsourcing import persistence

    try:
        yield
    except (
        psycopg.OperationalError,
        persistence.OperationalError,
        persistence.InterfaceError,
    ) as error:
        db = settings.database
        raise DatabaseUnreachable(
            f"PostgreSQL at {db.host}:{db.port} went away while starting "
            f"({_first_line(error, 'gone away')})"
        ) from None


def _first_line(error: Exception, otherwise: str) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else otherwise


def _ensure_postgres_database(settings: Settings) -> None:
    import psycopg
    from psycopg import sql

    db = settings.database
    try:
        with _pg_connect(settings, dbname="postgres", autocommit=True, connect_timeout=10) as conn:
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (db.name,)
            ).fetchone()
            if not exists:
                with contextlib.suppress(psycopg.errors.DuplicateDatabase):
                    conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(db.name)))
    except psycopg.OperationalError as error:
        first = _first_line(error, "unreachable")
        if any(sign in first for sign in SETTING_ERRORS):
            raise ConfigError(
                f"REGISTRY_DATABASE_URL: cannot connect to PostgreSQL ({first})"
            ) from None
        raise DatabaseUnreachable(
            f"PostgreSQL at {db.host}:{db.port} does not answer ({first})"
        ) from None


def _pg_connect(settings: Settings, **options: Any) -> Any:
    """A direct connection (outside the pool) to the configured PostgreSQL server."""
    import psycopg

    db = settings.database
    options.setdefault("dbname", db.name)
    return psycopg.connect(
        host=db.host, port=db.port, user=db.user, password=db.password or None, **options
    )


def build_registry(settings: Settings) -> Registry:
    keyring = load_keyring(settings)
    with _database_away_is_unreachable(settings), _initialisation_lock(settings):
        registry = Registry(env=eventsourcing_env(settings))
        db = Database(registry.recorder, settings.database.dialect)  # type: ignore[arg-type]
        _migrate(settings, db)
        db.refresh_statistics(unless_present=True)
    if settings.database.dialect == "postgres":
        liveness.install(registry.recorder.datastore.pool)  # type: ignore[attr-defined]
    registry.configure(keyring, db, settings.public_url, settings.public_host)
    install_outcomes(registry)
    return registry


def build_services(
    registry: Registry, clock: Clock = SYSTEM_CLOCK, settings: Settings | None = None
) -> Services:
    """Every area's service, each built once on the shared parts (`settings` tune the
    feed's long poll; absent, its defaults)."""
    registry.writer.clock = clock
    parts = Parts(
        writer=registry.writer,
        views=registry.views,
        keys=registry,
        db=registry.db,
        keyring=registry.keyring,
        clock=clock,
        public_url=registry.public_url,
        origin_host=registry.origin_host,
    )
    consents = ConsentService(
        parts.writer,
        parts.views,
        parts.keys,
        registry.policies,
        parts.keyring,
        parts.public_url,
        parts.clock,
    )
    outcomes = install_outcomes(registry, parts.clock)
    return Services(
        parts=parts,
        consents=consents,
        imports=ImportService(
            parts.writer, parts.views, parts.keys, consents, parts.db, parts.clock
        ),
        decisions=DecisionService(
            parts.views,
            registry.policies,
            parts.writer,
            Receipts(EventPositions(parts.db), parts.keyring, parts.origin_host),
            LimitService(parts.writer, parts.views, registry.policies, parts.db, parts.clock),
            parts.clock,
            PilotJudge(parts.writer, parts.views, registry.policies, parts.db),
        ),
        templates=TemplateService(parts.writer, parts.views, registry.policies),
        policies=registry.policies,
        audit=AuditService(parts.db, registry, registry.policies, parts.keyring, parts.origin_host),
        webhooks=WebhookService(
            parts.writer, parts.views, consents, outcomes, parts.db, parts.keyring, parts.clock
        ),
        idempotency=registry.idempotency,
        feed=build_feed(parts.db, settings),
        confirmations=ConfirmationService(
            parts.writer, parts.views, parts.keys, parts.keyring, parts.clock
        ),
        reports=ReportService(parts.db, parts.keyring, parts.origin_host, parts.clock),
        tokens=TokenService(parts.writer, parts.db),
        consent_records=ConsentRecordService(
            parts.db,
            parts.views,
            parts.keys,
            parts.keyring,
            parts.clock,
            parts.origin_host,
            registry.policies,
        ),
        outcomes=outcomes,
        experiments=ExperimentService(parts.writer, parts.views, parts.db),
    )


def migrate_database(settings: Settings) -> None:
    """`make migrate`: the registry's tables to the migrations' head, under the same lock
    as a starting worker (which would otherwise do it)."""
    with _database_away_is_unreachable(settings), _initialisation_lock(settings):
        _migrate(settings, None)


def _migrate(settings: Settings, db: Database | None) -> None:
    """Alembic's upgrade (registry/store/migrations), then the server functions that the
    write path calls. A database already at head costs one query on `db`'s connection."""
    dialect = settings.database.dialect
    functions = audit_log.server_functions(dialect)
    if db is not None:
        with db.transaction(commit=True) as sql:
            if migrate.is_at_head(sql):
                for statement in functions:
                    sql.execute(statement)
                return
    migrate.upgrade(settings.database, then_run=functions)


def build_feed(db: Database, settings: Settings | None) -> ChangeFeed:
    """The change feed (R-FEED), with this process's watch of the log position."""

    def log_position() -> int:
        with db.single_statement() as sql:
            return db.max_position(sql)

    if settings is None:
        return ChangeFeed(db, PositionWatch(log_position))
    watch = PositionWatch(log_position, interval=settings.feed_poll_seconds)
    return ChangeFeed(db, watch, max_waits=settings.feed_max_waits)


def outcome_service(registry: Registry, clock: Clock = SYSTEM_CLOCK) -> OutcomeService:
    """The outcomes service on the registry's shared parts."""
    return OutcomeService(
        registry.writer,
        registry.views,
        registry,
        registry.policies,
        registry.db,
        registry.keyring,
        clock,
    )


def install_outcomes(registry: Registry, clock: Clock = SYSTEM_CLOCK) -> OutcomeService:
    """Outcomes (SPEC §11-12): the service, and the writer's hook that attributes feedback
    and saves the automatic pauses and throttles with it (build_services installs it again
    with the services' clock)."""
    outcomes = outcome_service(registry, clock)
    registry.writer.companions = outcomes.feedback.companions
    return outcomes


def readiness(registry: Registry, settings: Settings) -> dict[str, Any]:
    """Database reachable (checked on a fresh connection with a short timeout, so a
    database outage answers at once rather than waiting on the pool) and projections
    caught up (views commit with their events, so they always are)."""
    db = settings.database
    if db.dialect == "postgres":
        with _pg_connect(settings, connect_timeout=2) as conn:
            conn.execute("SELECT 1")
    with registry.db.transaction() as sql:
        position = registry.db.max_position(sql)
    return {"database": "ok", "position": position, "projections": "in step (same transaction)"}
