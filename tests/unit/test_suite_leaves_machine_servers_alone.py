"""The test suite never stops, starts or reconfigures a server of the machine it runs on:
the fault tests stop a private PostgreSQL cluster they made themselves."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.faults.private_postgres import postgres_bin_dir

ROOT = Path(__file__).resolve().parents[2]
SERVER_CONTROL = re.compile(
    r"pg_ctlcluster|systemctl|\bservice\s+(postgresql|redis|rabbitmq|nats|mariadb|mysql)"
    r"|invoke-rc\.d|/etc/init\.d|\bpkill\b|\bkillall\b"
)


def _sources() -> list[Path]:
    files = [ROOT / "Makefile", *ROOT.joinpath("bench").rglob("*.py")]
    files += [p for p in ROOT.joinpath("tests").rglob("*.py") if p.resolve() != Path(__file__)]
    return files


def test_no_test_benchmark_or_make_target_controls_a_machine_server() -> None:
    offending = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in _sources()
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if SERVER_CONTROL.search(line)
    ]
    assert offending == []


def test_pg_ctl_is_only_run_on_the_private_clusters_data_directory() -> None:
    callers = [
        path.relative_to(ROOT).as_posix()
        for path in ROOT.joinpath("tests").rglob("*.py")
        if path.resolve() != Path(__file__) and re.search(r"[\"']pg_ctl[\"']", path.read_text())
    ]
    assert callers == ["tests/faults/private_postgres.py"]
    source = ROOT.joinpath("tests/faults/private_postgres.py").read_text()
    for call in re.findall(r'_run\("pg_ctl",[^)]*\)', source):
        assert '"-D", str(self.data)' in call


def _fake_version(root: Path, version: str, complete: bool = True) -> None:
    bin_dir = root / version / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "initdb").touch()
    if complete:
        (bin_dir / "pg_ctl").touch()


def test_the_highest_installed_server_version_is_chosen_numerically(tmp_path: Path) -> None:
    for version in ("9.6", "10", "15"):
        _fake_version(tmp_path, version)
    _fake_version(tmp_path, "16", complete=False)  # a client-only package: no pg_ctl
    assert postgres_bin_dir(tmp_path) == tmp_path / "15" / "bin"


def test_without_debian_directories_the_programs_come_from_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for program in ("initdb", "pg_ctl"):
        (bin_dir / program).touch(mode=0o755)
    monkeypatch.setenv("PATH", str(bin_dir))
    assert postgres_bin_dir(tmp_path / "absent") == bin_dir


def test_without_initdb_anywhere_no_directory_is_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    assert postgres_bin_dir(tmp_path / "absent") is None
