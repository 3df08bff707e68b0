"""A private PostgreSQL cluster for the fault tests, which stop and start their server.

The machine's own PostgreSQL is never touched: `initdb` makes a new cluster in a temporary
directory, `pg_ctl` starts it on a free loopback port with its socket in that directory, and
it is stopped through its own data directory (`pg_ctl -D DIR stop`, which signals the PID in
that directory's postmaster.pid) and removed afterwards.

The programs are found as Debian's cluster tools find them (PgCommon's get_program_path):
`/usr/lib/postgresql/<version>/bin`, the highest version first; otherwise on PATH.
PostgreSQL refuses to run as root, so under root the cluster runs as the `postgres` user.
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

DEBIAN_ROOT = Path("/usr/lib/postgresql")


def postgres_bin_dir(root: Path = DEBIAN_ROOT) -> Path | None:
    """The directory holding initdb and pg_ctl: the highest Debian version, else PATH's."""
    if root.is_dir():
        versions = [p for p in root.iterdir() if re.fullmatch(r"\d+(\.\d+)?", p.name)]
        for version in sorted(versions, key=lambda p: [int(n) for n in p.name.split(".")])[::-1]:
            bin_dir = version / "bin"
            if (bin_dir / "initdb").is_file() and (bin_dir / "pg_ctl").is_file():
                return bin_dir
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    if initdb and pg_ctl and Path(initdb).parent == Path(pg_ctl).parent:
        return Path(initdb).parent
    return None


def unavailable_reason() -> str | None:
    """Why a private cluster cannot be started here, or None when it can."""
    if postgres_bin_dir() is None:
        return (
            "initdb/pg_ctl not found (neither /usr/lib/postgresql/<version>/bin nor PATH); "
            "install the PostgreSQL server package"
        )
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and there is no `postgres` user to run initdb as"
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class PrivateCluster:
    bin_dir: Path
    base: Path
    port: int
    owner: tuple[int, int] | None  # (uid, gid) when run as root on someone's behalf

    @property
    def data(self) -> Path:
        return self.base / "data"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, program: str, *args: str, timeout: float = 120) -> None:
        command = [str(self.bin_dir / program), *args]
        if self.owner is not None:
            uid, gid = self.owner
            command = ["setpriv", f"--reuid={uid}", f"--regid={gid}", "--clear-groups", *command]
        result = subprocess.run(
            command,
            cwd=self.base,
            capture_output=True,
            text=True,
            timeout=timeout,
            start_new_session=True,  # a Ctrl-C of pytest reaches the teardown, not postgres
        )
        if result.returncode != 0:
            log = self.base / "server.log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise RuntimeError(
                f"{program} {' '.join(args)} failed ({result.returncode}):\n"
                f"{result.stdout}{result.stderr}{tail}"
            )

    def start(self) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.base}"
        options += " -c max_connections=60 -c fsync=off"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.base / "server.log"),
                  "-o", options, "-w", "-t", "60", "start")  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(self.url(), autocommit=True, connect_timeout=10) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


@contextmanager
def private_cluster() -> Iterator[PrivateCluster]:
    """A started private cluster (trust auth, user `postgres`), stopped and removed after."""
    reason = unavailable_reason()
    if reason is not None:
        raise RuntimeError(reason)
    bin_dir = postgres_bin_dir()
    assert bin_dir is not None
    owner = None
    if os.geteuid() == 0:
        entry = pwd.getpwnam("postgres")
        owner = (entry.pw_uid, entry.pw_gid)
    base = Path(tempfile.mkdtemp(prefix="registry-faults-pg-"))
    try:
        if owner is not None:
            os.chown(base, *owner)
        cluster = PrivateCluster(bin_dir, base, _free_port(), owner)
        cluster._run("initdb", "-D", str(cluster.data), "-U", "postgres", "--auth=trust",
                     "-E", "UTF8", "--no-locale", "--no-sync")  # fmt: skip
        cluster.start()
        try:
            yield cluster
        finally:
            if cluster.running():
                try:
                    cluster.stop("fast")
                except (RuntimeError, subprocess.TimeoutExpired):
                    cluster.stop("immediate")
    finally:
        for _ in range(3):
            shutil.rmtree(base, ignore_errors=True)
            if not base.exists():
                break
            time.sleep(0.5)
