"""CPU spent per request by each side of a load: the app's workers, the PostgreSQL
backends serving its database, and the load generator (wrk). Read from /proc (utime +
stime, read-only), so a figure says where a route's time goes, not only how long it took.
"""

from __future__ import annotations

import os
import resource
from dataclasses import dataclass
from pathlib import Path

TICK_S = 1 / os.sysconf("SC_CLK_TCK")


def process_ticks(pid: int | str) -> int:
    """utime + stime of process `pid`, in clock ticks; 0 once it has exited."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])


def database_ticks(database: str) -> int:
    """utime + stime of every PostgreSQL backend connected to `database` (found by its
    process title, `postgres: … user database host(port) state`)."""
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            title = (entry / "cmdline").read_bytes()
            if not title.startswith(b"postgres: ") or f" {database} ".encode() not in title:
                continue
            total += process_ticks(entry.name)
        except (OSError, ValueError, IndexError):
            continue
    return total


def children_seconds() -> float:
    """CPU of this process's finished children (wrk, once it has exited)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@dataclass(frozen=True)
class Reading:
    app_ticks: int
    database_ticks: int
    client_seconds: float


def read(app_ticks: int, database: str | None) -> Reading:
    return Reading(app_ticks, database_ticks(database) if database else 0, children_seconds())


def per_request_us(before: Reading, after: Reading, requests: int) -> dict[str, float]:
    """µs of CPU per request on each side between two readings."""
    if requests <= 0:
        return {"app": 0.0, "database": 0.0, "client": 0.0}
    scale = 1e6 / requests
    return {
        "app": (after.app_ticks - before.app_ticks) * TICK_S * scale,
        "database": (after.database_ticks - before.database_ticks) * TICK_S * scale,
        "client": (after.client_seconds - before.client_seconds) * scale,
    }
