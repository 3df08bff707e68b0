"""A gunicorn server on a fresh SQLite file or a fresh PostgreSQL database."""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import requests

from bench.cpu import process_ticks

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN: dict[str, Any] = {
    "host": "127.0.0.1",
    "port": 5432,
    "user": "postgres",
    "dbname": "postgres",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Workers:
    """gunicorn's worker settings, the same for the registry and the floor."""

    count: int = 4
    kind: str = "sync"  # or "gthread"
    threads: int = 1  # gthread's threads per worker

    def arguments(self) -> list[str]:
        threads = ["--threads", str(self.threads)] if self.kind == "gthread" else []
        return ["-w", str(self.count), "-k", self.kind, *threads]

    def label(self) -> str:
        return f"{self.kind} x{self.threads}" if self.kind == "gthread" else self.kind


class Server:
    """`gunicorn wsgi:app -w N` with its own temp dir and database; removed on exit.

    With `database_url` (the floor, `bench/floor`) it serves `app` on that database
    instead, which it neither creates nor drops."""

    def __init__(
        self,
        backend: str,
        workers: Workers | None = None,
        *,
        app: str = "wsgi:app",
        database_url: str | None = None,
    ) -> None:
        self.backend = backend
        self.settings = workers or Workers()
        self.workers = self.settings.count
        self.app = app
        self.tmp = Path(tempfile.mkdtemp(prefix=f"bench-{backend}-"))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.pg_name: str | None = None
        if database_url is not None:
            db_url = database_url
        elif backend == "sqlite":
            db_url = f"sqlite:///{self.tmp / 'registry.sqlite3'}"
        else:
            import psycopg

            self.pg_name = f"registry_bench_{os.getpid()}_{secrets.token_hex(4)}"
            with psycopg.connect(**PG_ADMIN, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{self.pg_name}"')
            db_url = f"postgresql://postgres@127.0.0.1:5432/{self.pg_name}"
        self.secret = secrets.token_urlsafe(48)
        self.database_url = db_url
        self.env = {
            **os.environ,
            "REGISTRY_DATABASE_URL": db_url,
            "REGISTRY_JWT_SECRET": self.secret,
            "REGISTRY_VAR_DIR": str(self.tmp / "var"),
            "PYTHONPATH": str(ROOT),
        }
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        gunicorn = str(Path(sys.executable).parent / "gunicorn")
        self.log = open(self.tmp / "gunicorn.log", "wb")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [
                gunicorn, self.app, *self.settings.arguments(), "-b", f"127.0.0.1:{self.port}",
                # the default 30 s would kill a worker streaming a large audit export
                "--timeout", "600",
            ],
            cwd=self.tmp, env=self.env, stdout=self.log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited; see {self.tmp / 'gunicorn.log'}")
            try:
                healthy = requests.get(self.url + "/healthz", timeout=1).status_code == 200
                if healthy and len(self.worker_pids()) >= self.workers:  # every worker up
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise RuntimeError("gunicorn did not become healthy in 60 s")

    def worker_pids(self) -> list[int]:
        assert self.proc is not None
        pids = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            if ppid == self.proc.pid:
                pids.append(int(entry.name))
        return pids

    def cpu_ticks(self) -> int:
        return sum(process_ticks(pid) for pid in self.worker_pids())

    def wait_idle(self, timeout: float = 120.0) -> float:
        """Waits until the workers stop burning CPU (requests wrk gave up on still run)."""
        t0 = time.monotonic()
        last = self.cpu_ticks()
        while time.monotonic() - t0 < timeout:
            time.sleep(0.25)
            now = self.cpu_ticks()
            if now - last <= 2:
                break
            last = now
        return time.monotonic() - t0

    def worker_memory_kib(self) -> dict[int, dict[str, int]]:
        """VmRSS and VmHWM (peak RSS) of every worker, in KiB."""
        out: dict[int, dict[str, int]] = {}
        for pid in self.worker_pids():
            fields: dict[str, int] = {}
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    key, _, value = line.partition(":")
                    if key in ("VmRSS", "VmHWM"):
                        fields[key] = int(value.split()[0])
            except OSError:
                continue
            out[pid] = fields
        return out

    def reset_peak_memory(self) -> bool:
        """Start every worker's VmHWM afresh from its current RSS (Linux `clear_refs` 5,
        which needs the workers' owner or root), so that a later reading is the peak of
        what ran in between; False if any worker's could not be reset."""
        done = True
        for pid in self.worker_pids():
            try:
                Path(f"/proc/{pid}/clear_refs").write_text("5")
            except OSError:
                done = False
        return done

    def analyze(self) -> None:
        """PostgreSQL: `ANALYZE`, as autovacuum would after a bulk load (it is off on
        these machines; BENCHMARKS.md finding 1)."""
        if self.pg_name is None:
            return
        import psycopg

        with psycopg.connect(self.database_url, autocommit=True) as conn:
            conn.execute("ANALYZE")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.pg_name:
            import psycopg

            with psycopg.connect(**PG_ADMIN, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.pg_name}" WITH (FORCE)')
        shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self) -> Server:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
