"""Wakes long-polling readers of the change feed when the log moves (R-FEED `wait`).

One thread per process asks the database for the log's last position every `interval`
seconds, and only while somebody waits: the cost is one indexed `MAX` a poll whatever the
number of waiters, and a waiter learns of a commit by any worker within about one
interval. SQLite has nothing to listen to. On PostgreSQL the registry's recorder sends no
NOTIFY (a notifying commit takes the server's notification-queue lock, which would
serialise every writer's commit: registry/store/recorders.py), so both databases poll;
BENCHMARKS.md gives the measured wake-up delay.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

log = logging.getLogger(__name__)


class PositionWatch:
    def __init__(self, read_position: Callable[[], int], *, interval: float = 0.02) -> None:
        self._read_position = read_position
        self._interval = interval
        self._changed = threading.Condition()
        self._position = 0  # the last position the poller read (never ahead of the log)
        self._waiters = 0
        self._thread: threading.Thread | None = None

    def wait_beyond(self, position: int, timeout: float) -> bool:
        """Block until the log is past `position` (read from the database before the
        caller last looked at the log) or `timeout` seconds pass; True when it is."""
        deadline = time.monotonic() + max(0.0, timeout)
        with self._changed:
            self._waiters += 1
            self._start_polling()
            self._changed.notify_all()  # the poller may be idle
            try:
                while self._position <= position:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        return False
                    self._changed.wait(left)
                return True
            finally:
                self._waiters -= 1

    def _start_polling(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._poll, name="feed-position", daemon=True)
            self._thread.start()

    def _poll(self) -> None:
        while True:
            with self._changed:
                while self._waiters == 0:
                    self._changed.wait()
            try:
                position = self._read_position()
            except Exception:  # the database is away: waiters time out, polling goes on
                log.warning("the change feed could not read the log position", exc_info=True)
                time.sleep(max(self._interval, 0.5))
                continue
            with self._changed:
                if position > self._position:
                    self._position = position
                    self._changed.notify_all()
            time.sleep(self._interval)
