"""The registry's tables under Alembic: the migrations' head is the one definition
(registry/store/schema.py), on SQLite and PostgreSQL, and applying them is idempotent
and safe with several workers starting at once."""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import inspect

from registry.config import Database, load_settings
from registry.store import migrate
from registry.store.migrations import HEAD, SCRIPT_LOCATION
from registry.store.schema import metadata
from tests.conftest import environment_for
from tests.integration.databases import differences, fresh_database_url, revision_of


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with fresh_database_url(request.param, tmp_path) as url:
        yield url


def database_of(url: str, tmp_path: Path) -> Database:
    return load_settings(environment_for(url, tmp_path)).database


def test_head_constant_is_the_newest_revision() -> None:
    assert migrate.head_revision() == HEAD


def test_revisions_form_one_chain_with_distinct_ids() -> None:
    """Two helpers who each added revision N in parallel: git merges both files without
    a conflict, and Alembic would only warn and keep one. The second to merge renumbers
    its revision and revises the first's (NOTES.md, README "Migrations")."""
    versions = SCRIPT_LOCATION / "versions"
    declared: dict[str, tuple[str, str | None]] = {}
    for path in sorted(versions.glob("*.py")):
        namespace: dict[str, object] = {}
        exec(compile(path.read_text(encoding="utf-8"), str(path), "exec"), namespace)
        revision, parent = namespace["revision"], namespace["down_revision"]
        assert isinstance(revision, str)
        assert revision not in declared, (
            f"revision {revision} in {path.name} and {declared[revision][0]}"
        )
        declared[revision] = (path.name, parent if isinstance(parent, str) else None)
    parents = [parent for _, parent in declared.values()]
    twice = {parent for parent in parents if parents.count(parent) > 1}
    assert not twice, f"several revisions revise {twice}: renumber the later one"
    chain, revision = [], HEAD
    while revision is not None:
        chain.append(revision)
        revision = declared[revision][1]
    assert sorted(chain) == sorted(declared), "a revision is not on the chain from HEAD"


def test_a_new_database_migrated_to_head_has_exactly_the_declared_tables(
    database_url: str, tmp_path: Path
) -> None:
    database = database_of(database_url, tmp_path)
    migrate.upgrade(database)
    assert revision_of(database) == HEAD
    assert differences(database) == []


def test_migrating_a_database_already_at_head_changes_nothing(
    database_url: str, tmp_path: Path
) -> None:
    database = database_of(database_url, tmp_path)
    migrate.upgrade(database)
    engine = migrate.engine_for(database)
    try:
        with engine.connect() as connection:
            before = {t: inspect(connection).get_columns(t) for t in metadata.tables}
    finally:
        engine.dispose()
    migrate.upgrade(database)
    engine = migrate.engine_for(database)
    try:
        with engine.connect() as connection:
            after = {t: inspect(connection).get_columns(t) for t in metadata.tables}
    finally:
        engine.dispose()
    assert revision_of(database) == HEAD
    assert [str(a) for a in after.values()] == [str(b) for b in before.values()]


def _start_worker(url: str, var_dir: str) -> None:
    from registry.bootstrap import migrate_database

    migrate_database(load_settings(environment_for(url, Path(var_dir))))


def test_workers_migrating_at_once_all_succeed_and_leave_one_head(
    database_url: str, tmp_path: Path
) -> None:
    context = multiprocessing.get_context("spawn")
    workers = [
        context.Process(target=_start_worker, args=(database_url, str(tmp_path))) for _ in range(3)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert [worker.exitcode for worker in workers] == [0, 0, 0]
    database = database_of(database_url, tmp_path)
    assert revision_of(database) == HEAD
    assert differences(database) == []


def test_is_at_head_reads_the_version_on_the_stores_own_connection(
    database_url: str, tmp_path: Path
) -> None:
    from registry.bootstrap import build_registry

    settings = load_settings(environment_for(database_url, tmp_path))
    registry = build_registry(settings)
    try:
        with registry.db.transaction() as sql:
            assert migrate.is_at_head(sql)
            sql.execute("UPDATE alembic_version SET version_num = 'older'")
            assert not migrate.is_at_head(sql)
    finally:
        registry.recorder.datastore.close()


def test_a_database_at_a_revision_this_code_does_not_know_is_refused_naming_it(
    database_url: str, tmp_path: Path
) -> None:
    from registry.bootstrap import migrate_database
    from registry.config import ConfigError

    settings = load_settings(environment_for(database_url, tmp_path))
    migrate.upgrade(settings.database)
    engine = migrate.engine_for(settings.database)
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql("UPDATE alembic_version SET version_num = '9999'")
    finally:
        engine.dispose()
    with pytest.raises(ConfigError, match=r"cannot migrate the registry's tables.*'9999'"):
        migrate_database(settings)


def test_python_m_registry_migrate_brings_a_new_database_to_head(
    database_url: str, tmp_path: Path
) -> None:
    import os
    import subprocess
    import sys

    base = {k: v for k, v in os.environ.items() if not k.startswith("REGISTRY_")}
    result = subprocess.run(
        [sys.executable, "-m", "registry.migrate"],
        cwd=Path(__file__).resolve().parents[2],
        env={**base, **environment_for(database_url, tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert f"registry tables at revision {HEAD}" in result.stdout
    database = database_of(database_url, tmp_path)
    assert revision_of(database) == HEAD
    assert differences(database) == []
