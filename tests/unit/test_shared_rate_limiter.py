"""The shared (Redis) rate limiter's configuration and its behaviour when Redis is away."""

from __future__ import annotations

import pytest

from registry.api.ratelimit import RateLimiter, SharedRateLimiter, build_limiter
from registry.config import ConfigError, RateLimits, load_settings

SECRET = {"REGISTRY_JWT_SECRET": "s" * 32}


def test_without_a_storage_setting_the_limits_stay_in_process() -> None:
    limits = load_settings(SECRET).rate_limits
    assert limits.storage == ""
    assert isinstance(build_limiter(limits), RateLimiter)


def test_a_redis_storage_setting_builds_the_shared_limiter() -> None:
    limits = load_settings({**SECRET, "REGISTRY_RATE_LIMIT_STORAGE": "redis://127.0.0.1:6379"})
    assert isinstance(build_limiter(limits.rate_limits), SharedRateLimiter)


def test_an_unknown_storage_is_refused_naming_the_variable() -> None:
    with pytest.raises(ConfigError, match="REGISTRY_RATE_LIMIT_STORAGE"):
        load_settings({**SECRET, "REGISTRY_RATE_LIMIT_STORAGE": "memcached://x"})


def test_an_unreachable_store_lets_requests_through() -> None:
    limits = RateLimits(1, 1, 1, 1, storage="redis://127.0.0.1:1")  # nothing listens on port 1
    limiter = SharedRateLimiter(limits, limits.storage)
    for _ in range(3):
        limiter.check("token:t:a", public=False)  # no 429, no exception


def test_rate_and_burst_become_burst_requests_per_burst_over_rate_seconds() -> None:
    limiter = SharedRateLimiter(RateLimits(20000, 40000, 200, 2000), "redis://127.0.0.1:1")
    assert (limiter.token_item.amount, limiter.token_item.get_expiry()) == (40000, 2)
    assert (limiter.public_item.amount, limiter.public_item.get_expiry()) == (2000, 10)
