"""Reading the next page while this one is counted: a thread runs a page iterator ahead
by at most `depth` pages, so the database produces page n+1 while the report's process
tallies page n (on two cores, the wall time of a month is about the larger of the two
costs instead of their sum). Memory stays at `depth` + 2 pages.

The iterator runs entirely in the thread, so its transaction and cursor are opened and
closed there; the consumer stopping early closes it there too.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import TypeVar

T = TypeVar("T")
_END = object()


def prefetched(pages: Iterator[T], depth: int = 1) -> Iterator[T]:
    """The items of `pages`, fetched by a thread up to `depth` ahead; an exception
    raised there is raised here."""
    ready: queue.Queue[object] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def offer(item: object) -> bool:
        while not stop.is_set():
            try:
                ready.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for page in pages:
                if not offer(page):
                    return
            offer(_END)
        except BaseException as error:  # handed to the consumer, raised there
            offer(error)
        finally:
            close = getattr(pages, "close", None)
            if close is not None:
                close()

    worker = threading.Thread(target=produce, name="report-prefetch", daemon=True)
    worker.start()
    try:
        while True:
            item = ready.get()
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        worker.join()
