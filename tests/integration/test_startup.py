"""R-CONFIG / R-WSGI: a wrong setting stops start-up with one line naming it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).with_name("gunicorn")


def start(env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("REGISTRY_")}
    return subprocess.run(
        [str(GUNICORN), "--pythonpath", str(ROOT), "wsgi:app", "-w", "2", "-b", "127.0.0.1:0"],
        cwd=tmp_path,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_missing_jwt_secret_stops_start_up_naming_the_variable(tmp_path: Path) -> None:
    result = start({}, tmp_path)
    assert result.returncode != 0
    assert "registry: REGISTRY_JWT_SECRET is required" in result.stderr


def test_unknown_database_scheme_stops_start_up_naming_the_variable(tmp_path: Path) -> None:
    result = start(
        {"REGISTRY_JWT_SECRET": "s" * 32, "REGISTRY_DATABASE_URL": "mysql://x/y"}, tmp_path
    )
    assert result.returncode != 0
    assert (
        "registry: REGISTRY_DATABASE_URL must start with sqlite:/// or postgresql://"
        in result.stderr
    )


def test_postgres_going_away_while_a_worker_starts_is_waited_out_not_fatal(
    pg_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server's first check of PostgreSQL passed, then a restart began: the worker
    must raise DatabaseUnreachable (wsgi.py exits 1 and gunicorn starts another), not an
    error that gunicorn takes for a failed boot and stops the whole server on."""
    import psycopg
    import sqlalchemy.exc

    from registry import bootstrap
    from registry.config import DatabaseUnreachable, load_settings
    from registry.store import migrate
    from tests.conftest import environment_for

    def shutting_down(*args: object, **kwargs: object) -> None:
        raise sqlalchemy.exc.OperationalError(
            "SELECT 1", {}, psycopg.OperationalError("the database system is shutting down")
        )

    monkeypatch.setattr(migrate, "is_at_head", lambda sql: False)
    monkeypatch.setattr(migrate, "alembic_config", shutting_down)
    url = f"postgresql://postgres@127.0.0.1:5432/{pg_database}"
    with pytest.raises(DatabaseUnreachable, match="went away while starting"):
        bootstrap.build_registry(load_settings(environment_for(url, tmp_path)))
