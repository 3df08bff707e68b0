"""The feed's long poll, with a clock the test moves: it waits on the position watch for
the time left, and ends with an empty page once the wait is over."""

from __future__ import annotations

from typing import Any

from registry.usecases.feed import ChangeFeed
from registry.usecases.position_watch import PositionWatch


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class FakeWatch:
    """Records each wait and lets the clock run past it, as if nothing committed."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.waits: list[tuple[int, float]] = []

    def wait_beyond(self, position: int, timeout: float) -> bool:
        self.waits.append((position, timeout))
        self.clock.now += timeout
        return False


def test_a_wait_with_nothing_new_ends_with_an_empty_page_after_the_time_asked(
    registry: Any, tenant: str
) -> None:
    clock = FakeClock()
    watch = FakeWatch(clock)
    feed = ChangeFeed(registry.db, watch, monotonic=clock)  # type: ignore[arg-type]
    page, held = feed.changes(tenant, after_position=0, limit=10, wait=12.5)
    assert held
    assert page.json() == b'{"changes":[],"next_after_position":0}'
    assert [timeout for _, timeout in watch.waits] == [12.5]


def test_a_wait_longer_than_thirty_seconds_is_cut_to_thirty(registry: Any, tenant: str) -> None:
    clock = FakeClock()
    watch = FakeWatch(clock)
    feed = ChangeFeed(registry.db, watch, monotonic=clock)  # type: ignore[arg-type]
    feed.changes(tenant, after_position=0, limit=10, wait=3600)
    assert [timeout for _, timeout in watch.waits] == [30]


def test_no_wait_is_held_beyond_max_waits(registry: Any, tenant: str) -> None:
    clock = FakeClock()
    feed = ChangeFeed(registry.db, FakeWatch(clock), max_waits=0, monotonic=clock)  # type: ignore[arg-type]
    assert feed.changes(tenant, after_position=0, limit=10, wait=5)[1] is False


def test_the_watch_wakes_a_waiter_once_the_log_passes_its_position() -> None:
    positions = iter(range(5, 1000))
    watch = PositionWatch(lambda: next(positions), interval=0.001)
    assert watch.wait_beyond(7, timeout=30) is True


def test_the_watch_gives_up_when_the_log_does_not_move() -> None:
    watch = PositionWatch(lambda: 3, interval=0.001)
    assert watch.wait_beyond(3, timeout=0.05) is False
