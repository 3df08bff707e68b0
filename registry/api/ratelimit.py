"""Per-token token buckets (per worker process). Generous by default so a
well-behaved client doing thousands of requests a second is never refused;
set REGISTRY_RATE_LIMIT_* to tighten. Opt-out writes are never rate limited."""

from __future__ import annotations

import math
import threading
import time

from registry.api.errors import ApiError
from registry.config import RateLimits


class RateLimiter:
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
                wait = math.ceil((1.0 - tokens) / rate)
                raise ApiError(
                    429,
                    "rate_limited",
                    "too many requests; retry later",
                    {"retry_after_seconds": wait},
                    headers={"Retry-After": str(wait)},
                )
            self._buckets[key] = (tokens - 1.0, now)
            if len(self._buckets) > 100_000:
                self._buckets.clear()
