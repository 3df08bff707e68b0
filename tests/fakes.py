"""In-memory fakes for tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

START = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)  # a Wednesday, 12:00 in Moscow


class FakeClock:
    """A `registry.clock.Clock` that a test moves instead of sleeping."""

    def __init__(self, at: datetime = START) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at

    def advance(self, **delta: float) -> datetime:
        self.at += timedelta(**delta)
        return self.at
