"""A real `gunicorn wsgi:app -w N` for multi-process tests.

It starts from a throw-away working directory (R-WSGI: any working directory works;
the repository is found through `--pythonpath`, not the current directory), on a
free port, with a fresh database: a SQLite file in the temp dir or a PostgreSQL
database created here and dropped afterwards.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.conftest import PG_ADMIN, environment_for

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).with_name("gunicorn")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def fresh_database(backend: str, var_dir: Path) -> Iterator[str]:
    """A database URL for one server: a new SQLite file or a new PostgreSQL database."""
    if backend == "sqlite":
        yield f"sqlite:///{var_dir / 'registry.sqlite3'}"
        return
    import psycopg

    name = f"registry_gunicorn_{os.getpid()}_{secrets.token_hex(4)}"
    with psycopg.connect(**PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(**PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _wait_ready(base_url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{base_url}/readyz", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"gunicorn did not become ready:\n{log.read_text()}")


@contextmanager
def gunicorn_server(
    env: dict[str, str], workers: int = 3, extra_args: tuple[str, ...] = ()
) -> Iterator[str]:
    """Serve the registry with `workers` gunicorn workers; yields the base URL.

    `env` is the registry's configuration (see tests/conftest.py `environment_for`);
    the process runs in a new temporary working directory and its whole process
    group is stopped on exit."""
    with gunicorn_process(env, workers, extra_args) as (base_url, _master):
        yield base_url


@contextmanager
def gunicorn_process(
    env: dict[str, str], workers: int = 3, extra_args: tuple[str, ...] = ()
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """As gunicorn_server, and yields the master process too (its workers are its children)."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("REGISTRY_")}
    with tempfile.TemporaryDirectory(prefix="gunicorn-cwd-") as cwd:
        log = Path(cwd) / "gunicorn.log"
        with log.open("wb") as output:
            process = subprocess.Popen(
                [
                    str(GUNICORN),
                    "--pythonpath",
                    str(ROOT),
                    "wsgi:app",
                    "-w",
                    str(workers),
                    "-b",
                    f"127.0.0.1:{port}",
                    "--graceful-timeout",
                    "5",
                    *extra_args,
                ],
                cwd=cwd,
                env={**inherited, **env},
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            try:
                _wait_ready(base_url, process, log)
                yield base_url, process
            finally:
                if process.poll() is not None:  # the server died: its log says why
                    print(f"gunicorn exited with {process.returncode}; its log ends:")
                    print(log.read_text(errors="replace")[-4000:])
                _stop(process)


def children(pid: int) -> list[int]:
    """The live child processes of `pid` (a gunicorn master's workers), read from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(stat[1]) == pid and stat[0] != "Z":
            found.append(int(entry.name))
    return sorted(found)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=15)
    except ProcessLookupError:
        pass


@contextmanager
def registry_server(
    backend: str,
    workers: int = 3,
    extra_args: tuple[str, ...] = (),
    extra_env: dict[str, str] | None = None,
) -> Iterator[tuple[str, Path]]:
    """A gunicorn server on a fresh database; yields (base URL, var dir)."""
    with tempfile.TemporaryDirectory(prefix=f"registry-var-{backend}-") as var:
        var_dir = Path(var)
        with (
            fresh_database(backend, var_dir) as url,
            gunicorn_server(
                {**environment_for(url, var_dir), **(extra_env or {})}, workers, extra_args
            ) as base_url,
        ):
            yield base_url, var_dir
