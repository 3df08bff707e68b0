"""A serving worker's collector settings: start-up objects frozen, young collections rarer."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from registry.gc_tuning import (
    GENERATION_0_THRESHOLD,
    GENERATION_1_THRESHOLD,
    GENERATION_2_THRESHOLD,
    tune_for_serving,
)


@pytest.fixture
def restored_collector() -> Iterator[None]:
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


def test_tuning_freezes_what_exists_and_raises_the_thresholds(restored_collector: None) -> None:
    tune_for_serving()
    assert gc.get_threshold() == (
        GENERATION_0_THRESHOLD,
        GENERATION_1_THRESHOLD,
        GENERATION_2_THRESHOLD,
    )
    assert gc.get_freeze_count() > 0  # start-up's objects, which collections now skip
    assert gc.get_count()[0] < GENERATION_0_THRESHOLD


def test_cycles_made_after_tuning_are_still_collected(restored_collector: None) -> None:
    tune_for_serving()

    class Node:
        partner: object

    first, second = Node(), Node()
    first.partner, second.partner = second, first
    alive = len(gc.get_objects())
    del first, second
    assert gc.collect() >= 2
    assert len(gc.get_objects()) <= alive
