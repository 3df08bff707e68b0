"""The report's page prefetcher: same pages in order, errors raised to the reader, and
the source closed in its own thread when the reader stops early."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from registry.reports.prefetch import prefetched


def test_pages_come_in_order_and_all() -> None:
    assert list(prefetched(iter(range(50)), depth=2)) == list(range(50))


def test_an_error_in_the_source_is_raised_to_the_reader() -> None:
    def pages() -> Iterator[int]:
        yield 1
        raise ValueError("broken page")

    read = prefetched(pages())
    assert next(read) == 1
    with pytest.raises(ValueError, match="broken page"):
        next(read)


def test_stopping_early_closes_the_source_in_the_prefetch_thread() -> None:
    closed_in: list[str] = []

    def pages() -> Iterator[int]:
        try:
            yield from range(1000)
        finally:
            closed_in.append(threading.current_thread().name)

    read = prefetched(pages())
    assert [next(read), next(read)] == [0, 1]
    read.close()
    assert closed_in == ["report-prefetch"]
