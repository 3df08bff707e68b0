"""Progress and elapsed time for long commands (rebuild, audit check/verify, imports, reports).

On a terminal: a tqdm bar on stderr. Elsewhere (a pipe, a log file, cron): plain lines on
stderr, at most one per `every` seconds and one at the end, e.g.
`rebuild: 10000/52000 events (19 %), 3.1 s` … `rebuild: done, 52000 events in 14.8 s`.

    with progress("rebuild", total=count, unit="events") as bar:
        for page in pages:
            ...
            bar.update(len(page))

The clock is injectable (tests move it instead of sleeping)."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TextIO

Clock = Callable[[], float]


class PlainProgress:
    """Plain lines for a reader that is not a terminal."""

    def __init__(
        self, description: str, total: int | None, unit: str, stream: TextIO, clock: Clock,
        every: float,
    ) -> None:  # fmt: skip
        self.description, self.total, self.unit = description, total, unit
        self.stream, self.clock, self.every = stream, clock, every
        self.count = 0
        self.started = self.last_line = clock()

    def update(self, n: int = 1) -> None:
        self.count += n
        now = self.clock()
        if now - self.last_line >= self.every:
            self.last_line = now
            self._line(f"{self._done_of_total()}, {now - self.started:.1f} s")

    def close(self) -> None:
        elapsed = self.clock() - self.started
        self._line(f"done, {self.count} {self.unit} in {elapsed:.1f} s")

    def _done_of_total(self) -> str:
        if not self.total:
            return f"{self.count} {self.unit}"
        share = min(100, self.count * 100 // self.total)
        return f"{self.count}/{self.total} {self.unit} ({share} %)"

    def _line(self, text: str) -> None:
        print(f"{self.description}: {text}", file=self.stream, flush=True)


class BarProgress:
    """tqdm on a terminal; ends with the same `done` line as PlainProgress."""

    def __init__(self, description: str, total: int | None, unit: str, stream: TextIO) -> None:
        from tqdm import tqdm

        self.description, self.unit, self.stream = description, unit, stream
        self.bar: Any = tqdm(
            total=total or None, unit=f" {unit}", unit_scale=unit == "bytes", desc=description,
            file=stream, dynamic_ncols=True, leave=False,
        )  # fmt: skip
        self.count = 0

    def update(self, n: int = 1) -> None:
        self.count += n
        self.bar.update(n)

    def close(self) -> None:
        elapsed = self.bar.format_dict["elapsed"]
        self.bar.close()
        print(
            f"{self.description}: done, {self.count} {self.unit} in {elapsed:.1f} s",
            file=self.stream,
            flush=True,
        )


Progress = PlainProgress | BarProgress


@contextmanager
def progress(
    description: str,
    total: int | None = None,
    unit: str = "events",
    *,
    stream: TextIO | None = None,
    clock: Clock = time.monotonic,
    every: float = 5.0,
) -> Iterator[Progress]:
    """A bar on a terminal, plain lines otherwise; closed (with its `done` line) on exit."""
    out = sys.stderr if stream is None else stream
    isatty = getattr(out, "isatty", None)
    shown: Progress
    if isatty is not None and isatty():
        shown = BarProgress(description, total, unit, out)
    else:
        shown = PlainProgress(description, total, unit, out, clock, every)
    try:
        yield shown
    finally:
        shown.close()
