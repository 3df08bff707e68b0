"""Garbage-collector settings for a serving worker.

A worker builds the whole application (Flask, marshmallow schemas, eventsourcing,
holiday calendars, …) once and keeps it for life; every request then allocates and
drops many short-lived containers. With CPython's defaults a generation-0 collection
runs every 700 allocations and each full collection walks every object of the
application again. `gc.freeze()` moves what start-up built into the permanent
generation, which collections skip, and a larger generation-0 threshold lets a request
finish before a collection runs. Reference counting still frees almost everything at
once; the collector only has to find cycles, and it still does (Instagram described
the same settings for their Django workers). A batch of 1000 decisions spends about
20 % less CPU with these settings (`bench/` figures in BENCHMARKS.md).
"""

from __future__ import annotations

import gc

GENERATION_0_THRESHOLD = 50_000  # allocations between young collections (default 700)
GENERATION_1_THRESHOLD = 20  # young collections per middle one (default 10)
GENERATION_2_THRESHOLD = 100  # middle collections per full one (default 10)


def tune_for_serving() -> None:
    """Call once the application is built, before the first request."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(GENERATION_0_THRESHOLD, GENERATION_1_THRESHOLD, GENERATION_2_THRESHOLD)
