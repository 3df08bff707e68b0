"""A serving worker's memory settings: start-up objects frozen, young collections rarer,
and memory freed by a large request handed back to the operating system."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from registry.memory import (
    GENERATION_0_THRESHOLD,
    GENERATION_1_THRESHOLD,
    GENERATION_2_THRESHOLD,
    release_freed_memory,
    tune_for_serving,
)


@pytest.fixture
def restored_collector() -> Iterator[None]:
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


def test_tuning_freezes_what_exists_and_raises_the_young_threshold(
    restored_collector: None,
) -> None:
    tune_for_serving()
    assert gc.get_threshold() == (
        GENERATION_0_THRESHOLD,
        GENERATION_1_THRESHOLD,
        GENERATION_2_THRESHOLD,
    )
    assert gc.get_freeze_count() > 0  # start-up's objects, which collections now skip


def test_cycles_made_after_tuning_are_still_collected(restored_collector: None) -> None:
    tune_for_serving()

    class Node:
        partner: object

    first, second = Node(), Node()
    first.partner, second.partner = second, first
    del first, second
    assert gc.collect() >= 2


def resident_kib() -> int:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS"))


def test_memory_a_large_request_freed_goes_back_to_the_system() -> None:
    blocks = [bytes(600) + i.to_bytes(4, "big") for i in range(200_000)]  # ~120 MiB, malloc'd
    blocks.append(bytes(1))  # something young at the top of the heap
    grown = resident_kib()
    del blocks
    assert release_freed_memory()
    assert resident_kib() < grown - 50 * 1024
