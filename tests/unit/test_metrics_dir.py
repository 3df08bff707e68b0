"""registry.metrics keeps one directory of figures per gunicorn master under var/metrics:
a gone master's directory is removed, a dead worker's counters stay (totals never go
backwards) and only its live gauges are dropped."""

from __future__ import annotations

import os
from pathlib import Path

from registry.metrics import _directory_name, _remove_stale, configure

DEAD_PID = 2**22 + 12345  # above Linux's default pid_max: no such process


def test_the_directory_of_a_master_that_is_gone_is_removed(tmp_path: Path) -> None:
    ours = tmp_path / _directory_name(os.getppid())
    gone = tmp_path / f"{DEAD_PID}-100"
    reused = tmp_path / f"{os.getpid()}-1"  # our pid, but another process's start time
    for directory in (ours, gone, reused):
        directory.mkdir()
    _remove_stale(tmp_path, ours)
    assert sorted(p.name for p in tmp_path.iterdir()) == [ours.name]


def test_a_living_masters_directory_stays(tmp_path: Path) -> None:
    ours = tmp_path / _directory_name(os.getppid())
    other = tmp_path / _directory_name(os.getpid())
    ours.mkdir()
    other.mkdir()
    _remove_stale(tmp_path, ours)
    assert other.is_dir()


def test_a_dead_workers_counters_stay_and_its_live_gauges_go(tmp_path: Path) -> None:
    ours = tmp_path / _directory_name(os.getppid())
    ours.mkdir()
    for name in (
        f"counter_{DEAD_PID}.db",
        f"histogram_{DEAD_PID}.db",
        f"gauge_livesum_{DEAD_PID}.db",
    ):
        (ours / name).write_bytes(b"")
    _remove_stale(tmp_path, ours)
    assert sorted(p.name for p in ours.iterdir()) == [
        f"counter_{DEAD_PID}.db",
        f"histogram_{DEAD_PID}.db",
    ]


def test_outside_gunicorn_the_figures_stay_in_the_process(tmp_path: Path) -> None:
    assert "PROMETHEUS_MULTIPROC_DIR" not in os.environ
    assert configure(tmp_path, under_gunicorn=lambda: False) is None
    assert not (tmp_path / "metrics").exists()
