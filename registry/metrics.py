"""`/metrics`: one view of the whole server, whatever worker answers the scrape (SPEC §18).

Under gunicorn every worker writes its figures to files (prometheus-client's multiprocess
mode) and a scrape adds up every worker's files, so counters never jump between scrapes.
Plain `gunicorn wsgi:app -w N` needs no configuration file for it: the first thing a
worker does (`configure`, called by `create_app`) is to choose the directory
`var/metrics/<master pid>-<master start time>/`, the same for every worker of one master and
new for each master, and to set `PROMETHEUS_MULTIPROC_DIR` to it before any figure exists.
Directories of masters that are gone are removed then; a dead worker's counters stay in
its files (removing them would make the totals go backwards) and only its live gauges are
dropped (`mark_process_dead`). An operator who sets `PROMETHEUS_MULTIPROC_DIR` keeps
it (and then owns its cleanup, e.g. with gunicorn's `child_exit` hook). Outside gunicorn
(tests, one process) the figures live in the process as usual.

The registry's own figures are counters and histograms (see `Figures`); the log position
is read from the database at each scrape. Per-process families (`process_*`,
`python_gc_*`) are not aggregated in multiprocess mode.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections import Counter as Tally
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
    values,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = CONTENT_TYPE_LATEST
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


@dataclass(frozen=True)
class Figures:
    requests: Counter
    latency: Histogram
    decisions: Counter
    decision_reasons: Counter
    authorizations: Counter
    opt_outs: Counter
    webhook_changes: Counter
    # (method, route, status): that request's counter and latency histogram, looked up once
    request_children: dict[tuple[str, str, int], tuple[Any, Any]] = field(default_factory=dict)
    allowed_children: dict[bool, Any] = field(default_factory=dict)  # decisions by allowed

    def __post_init__(self) -> None:
        for allowed in (True, False):
            self.allowed_children[allowed] = self.decisions.labels("true" if allowed else "false")


@lru_cache(maxsize=1)
def figures() -> Figures:
    """The process's figures, made on first use (after `configure`)."""
    return Figures(
        requests=Counter("registry_http_requests", "HTTP requests", ["method", "route", "status"]),
        latency=Histogram(
            "registry_http_request_seconds",
            "HTTP request latency by route pattern",
            ["route"],
            buckets=LATENCY_BUCKETS,
        ),
        decisions=Counter(
            "registry_decisions", "Decisions answered (single and batch items)", ["allowed"]
        ),
        decision_reasons=Counter(
            "registry_decision_reasons", "Reasons given by refused decisions", ["reason"]
        ),
        authorizations=Counter(
            "registry_authorizations", "Sends authorized (Customer.SendAuthorized)", ["channel"]
        ),
        opt_outs=Counter(
            "registry_opt_outs",
            "Opt-outs recorded (Customer.ConsentWithdrawn) by source",
            ["source"],
        ),
        webhook_changes=Counter(
            "registry_webhook_changes",
            "Platform webhook changes by field and outcome",
            ["field", "outcome"],
        ),
    )


# ---- the domain figures ------------------------------------------------------------------


def count_decisions(answers: Iterable[dict[str, Any]]) -> None:
    """Decisions by allowed, and each reason of the refused ones (a batch is tallied first,
    so a thousand items cost a few increments)."""
    allowed: Tally[bool] = Tally()
    reasons: Tally[str] = Tally()
    for answer in answers:
        allowed[bool(answer.get("allowed"))] += 1
        reasons.update(answer.get("reasons") or ())
    if not allowed:
        return
    figure = figures()
    for value, count in allowed.items():
        figure.allowed_children[value].inc(count)
    for reason, count in reasons.items():
        figure.decision_reasons.labels(reason).inc(count)


def count_events(events: Sequence[Any]) -> None:
    """Authorizations and opt-outs, from the events just saved (every write path)."""
    for event in events:
        kind = type(event).__qualname__
        if kind == "Customer.ConsentWithdrawn":
            figures().opt_outs.labels(str(event.source.get("kind") or "unknown")).inc()
        elif kind == "Customer.SendAuthorized":
            figures().authorizations.labels(str(event.channel)).inc()


def count_webhook_change(field: str, outcome: str) -> None:
    figures().webhook_changes.labels(field, outcome).inc()


def observe_request(method: str, route: str, status: int, seconds: float | None) -> None:
    """Counts the request and its latency; route patterns are few, so each (method, route,
    status)'s children are looked up once per process (prometheus-client's `labels()`
    takes a lock and joins the values)."""
    figure = figures()
    key = (method, route, status)
    children = figure.request_children.get(key)
    if children is None:
        children = (
            figure.requests.labels(method, route, str(status)),
            figure.latency.labels(route),
        )
        figure.request_children[key] = children
    children[0].inc()
    if seconds is not None:
        children[1].observe(seconds)


# ---- one view of the whole server ----------------------------------------------------------


def _start_time(pid: int) -> str | None:
    """A process's start time (clock ticks since boot): a pid with another start time is
    another process."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _under_gunicorn() -> bool:
    return "gunicorn.arbiter" in sys.modules and "gunicorn.workers.base" in sys.modules


def _directory_name(pid: int) -> str:
    return f"{pid}-{_start_time(pid) or 'unknown'}"


def _remove_stale(root: Path, keep: Path) -> None:
    """Directories of masters that are gone, and the live gauges of dead workers in ours."""
    for entry in root.iterdir() if root.is_dir() else ():
        if entry == keep or not entry.is_dir():
            continue
        pid, _, _ = entry.name.partition("-")
        if not pid.isdigit() or _directory_name(int(pid)) != entry.name:
            shutil.rmtree(entry, ignore_errors=True)
    for worker in _worker_pids(keep):
        if not _alive(worker):
            multiprocess.mark_process_dead(worker, str(keep))  # type: ignore[no-untyped-call]


def _worker_pids(directory: Path) -> set[int]:
    pids = set()
    for path in directory.glob("*.db"):
        tail = path.stem.rsplit("_", 1)[-1]
        if tail.isdigit():
            pids.add(int(tail))
    return pids


def configure(
    var_dir: Path, *, under_gunicorn: Callable[[], bool] = _under_gunicorn
) -> Path | None:
    """Multiprocess mode for this process when served by gunicorn (see the module's
    docstring); the directory of the files, or None for in-process figures."""
    given = os.environ.get(MULTIPROC_ENV)
    if given:
        _use_files()
        return Path(given)
    if not under_gunicorn():
        return None
    root = var_dir / "metrics"
    directory = root / _directory_name(os.getppid())
    directory.mkdir(parents=True, exist_ok=True)
    _remove_stale(root, directory)
    os.environ[MULTIPROC_ENV] = str(directory)
    _use_files()
    return directory


def _use_files() -> None:
    if figures.cache_info().currsize:
        raise RuntimeError("metrics were made before multiprocess mode was configured")
    values.ValueClass = values.MultiProcessValue()  # type: ignore[no-untyped-call]


class PositionCollector(Collector):
    """The log position (the last event's global position), read at each scrape."""

    def __init__(self, read_position: Callable[[], int]) -> None:
        self.read_position = read_position

    def collect(self) -> Iterator[GaugeMetricFamily]:
        gauge = GaugeMetricFamily(
            "registry_log_position", "Global position of the last event in the log"
        )
        gauge.add_metric([], float(self.read_position()))
        yield gauge


def exposition(directory: Path | None, read_position: Callable[[], int]) -> bytes:
    """The text of one scrape: every worker's figures (or this process's) and the position."""
    figures()  # the families exist (with no samples) before the first request counts
    registry = CollectorRegistry()
    registry.register(PositionCollector(read_position))
    if directory is None:
        return generate_latest(REGISTRY) + generate_latest(registry)
    multiprocess.MultiProcessCollector(registry, path=str(directory))  # type: ignore[no-untyped-call]
    return generate_latest(registry)
