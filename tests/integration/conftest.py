"""A registry built directly on a fresh PostgreSQL database, for tests of the store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import environment_for


@pytest.fixture
def pg_registry(pg_database: str, tmp_path: Path) -> Iterator[Any]:
    from registry.bootstrap import build_registry
    from registry.config import load_settings

    url = f"postgresql://postgres@127.0.0.1:5432/{pg_database}"
    registry = build_registry(load_settings(environment_for(url, tmp_path)))
    yield registry
    registry.recorder.datastore.close()


@pytest.fixture
def pg_services(pg_registry: Any) -> Any:
    """The services on `pg_registry` (registry/bootstrap.py `build_services`)."""
    from registry.bootstrap import build_services

    return build_services(pg_registry)
