"""The fault tests stop and start a PostgreSQL server: always a private one (see
private_postgres.py), never the machine's."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.faults.private_postgres import PrivateCluster, private_cluster, unavailable_reason


@pytest.fixture
def cluster() -> Iterator[PrivateCluster]:
    reason = unavailable_reason()
    if reason is not None:
        pytest.skip(f"no private PostgreSQL cluster: {reason}")
    with private_cluster() as started:
        yield started
