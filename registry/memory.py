"""Memory settings for a serving worker: the garbage collector, and handing memory that a
large request freed back to the operating system.

A worker builds the whole application (Flask, marshmallow schemas, eventsourcing,
holiday calendars, …) once and keeps it for life; every request then allocates and drops
many short-lived containers. With CPython's defaults a generation-0 collection runs every
700 allocations and each full collection walks every object of the application again.
`gc.freeze()` moves what start-up built into the permanent generation, which collections
skip, and a larger generation-0 threshold lets most requests finish between collections.
Reference counting still frees almost everything at once; the collector only has to find
cycles, and the older generations keep CPython's default ratios so cycles that survive a
request are not kept for long. (Instagram described the same settings for their Django
workers.) `BENCHMARKS.md` has the figures.

glibc's allocator keeps memory freed by a large request (a 20,000-row import peaks at
about 480 MB) in its heap instead of returning it, so the worker's resident size stays at
its peak. `malloc_trim` returns the free pages; it is called after requests with bodies of
1 MiB or more, which are rare, so its few milliseconds do not matter.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
from collections.abc import Callable
from functools import cache

GENERATION_0_THRESHOLD = 10_000  # allocations between young collections (default 700)
GENERATION_1_THRESHOLD = 10  # young collections per middle one (CPython's default)
GENERATION_2_THRESHOLD = 10  # middle collections per full one (CPython's default)
TRIM_AFTER_BODY_BYTES = 1 << 20


def tune_for_serving() -> None:
    """Call once the application is built, before the first request."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(GENERATION_0_THRESHOLD, GENERATION_1_THRESHOLD, GENERATION_2_THRESHOLD)


def release_freed_memory() -> bool:
    """Hand the allocator's free pages back to the operating system (glibc only);
    returns whether anything was released."""
    trim = _malloc_trim()
    return trim is not None and bool(trim(0))


@cache
def _malloc_trim() -> Callable[[int], int] | None:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        function: Callable[[int], int] = ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to trim
        return None
    return function
