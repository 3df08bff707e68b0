"""R-CONFIG / R-WSGI: a wrong setting stops start-up with one line naming it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

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
