"""`gunicorn wsgi:app` works from any directory: the project installs `wsgi` as a module."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def test_wsgi_is_importable_outside_the_repository(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    result = subprocess.run(
        [sys.executable, "-c", "import importlib.util as u; print(u.find_spec('wsgi').origin)"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("wsgi.py")


def test_make_run_gives_gunicorn_a_longer_timeout_than_its_30_s_default() -> None:
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        ["make", "-n", "--always-make", "run"], cwd=root, capture_output=True, text=True, timeout=60
    )
    line = next(line for line in result.stdout.splitlines() if "gunicorn wsgi:app" in line)
    words = line.split()
    assert int(words[words.index("--timeout") + 1]) > 30
