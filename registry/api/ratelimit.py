"""Rate limits per token and per client address. Generous by default so a well-behaved
client doing thousands of requests a second is never refused; set REGISTRY_RATE_LIMIT_* to
tighten. Opt-out writes are never rate limited (the callers skip them).

Two stores, one interface (`check(key, public=...)`):
- in-process token buckets (the default, `make run`): per worker process, about a
  microsecond a request;
- shared (REGISTRY_RATE_LIMIT_STORAGE=redis://…): the `limits` library (Flask-Limiter's
  storage and strategy layer) with its Redis storage and a sliding-window counter, so one
  limit holds across every worker and host. A rate R with burst B becomes "B requests per
  B/R seconds". If Redis does not answer, requests are let through (a limiter outage must
  not refuse opt-out pages or decisions) and a warning is logged at most once a minute."""

from __future__ import annotations

import logging
import math
import threading
import time
from typing import Any, Protocol

from registry.api.errors import ApiError
from registry.config import RateLimits

log = logging.getLogger("registry.ratelimit")


class Limiter(Protocol):
    def check(self, key: str, *, public: bool) -> None: ...


def too_many(wait: int) -> ApiError:
    return ApiError(
        429,
        "rate_limited",
        "too many requests; retry later",
        {"retry_after_seconds": wait},
        headers={"Retry-After": str(wait)},
    )


class RateLimiter:
    """In-process token buckets (one table per worker)."""

    def __init__(self, limits: RateLimits) -> None:
        self.limits = limits
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def check(self, key: str, *, public: bool) -> None:
        rate = self.limits.public_rate if public else self.limits.per_token_rate
        burst = self.limits.public_burst if public else self.limits.per_token_burst
        if rate <= 0:
            return
        now = time.monotonic()
        with self._lock:
            tokens, stamp = self._buckets.get(key, (float(burst), now))
            tokens = min(float(burst), tokens + (now - stamp) * rate)
            if tokens < 1.0:
                self._buckets[key] = (tokens, now)
                raise too_many(math.ceil((1.0 - tokens) / rate))
            self._buckets[key] = (tokens - 1.0, now)
            if len(self._buckets) > 100_000:
                self._buckets.clear()


class SharedRateLimiter:
    """The same limits kept in a shared store (Redis) through the `limits` library."""

    WARN_EVERY = 60.0

    def __init__(self, limits: RateLimits, storage_uri: str) -> None:
        from limits import RateLimitItemPerSecond
        from limits.storage import storage_from_string
        from limits.strategies import SlidingWindowCounterRateLimiter

        self.limits = limits
        self.strategy = SlidingWindowCounterRateLimiter(
            storage_from_string(storage_uri, key_prefix="registry", wrap_exceptions=True)
        )

        def item(rate: float, burst: int) -> Any:
            if rate <= 0:
                return None
            return RateLimitItemPerSecond(max(1, burst), max(1, round(burst / rate)))

        self.token_item = item(limits.per_token_rate, limits.per_token_burst)
        self.public_item = item(limits.public_rate, limits.public_burst)
        self._warned_at = -math.inf

    def check(self, key: str, *, public: bool) -> None:
        from limits.errors import StorageError

        item = self.public_item if public else self.token_item
        if item is None:
            return
        try:
            if self.strategy.hit(item, key):
                return
            reset = self.strategy.get_window_stats(item, key).reset_time
        except StorageError as error:
            self._warn(error)
            return
        raise too_many(max(1, math.ceil(reset - time.time())))

    def _warn(self, error: Exception) -> None:
        now = time.monotonic()
        if now - self._warned_at >= self.WARN_EVERY:
            self._warned_at = now
            log.warning(
                "rate limit store unreachable; requests are let through",
                extra={"fields": {"error_type": type(error.__cause__ or error).__name__}},
            )


def build_limiter(limits: RateLimits) -> Limiter:
    if limits.storage:
        return SharedRateLimiter(limits, limits.storage)
    return RateLimiter(limits)
