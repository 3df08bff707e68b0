"""The token verifier remembers verified tokens by their raw text, the most recently used
ones, and never past their `exp`."""

from __future__ import annotations

from typing import Any

import jwt
import pytest

from registry.api.auth import TokenVerifier
from registry.api.errors import ApiError
from registry.devtoken import make_token

SECRET = "s" * 48


class CountingVerifier(TokenVerifier):
    def __init__(self) -> None:
        super().__init__(SECRET, [])
        self.checked = 0

    def _claims(self, token: str) -> dict[str, Any]:
        self.checked += 1
        return super()._claims(token)


def bearer(token: str) -> str:
    return f"Bearer {token}"


def test_a_token_is_checked_once_then_answered_from_the_cache() -> None:
    verifier = CountingVerifier()
    token = make_token(SECRET, sub="ann", tenant="t1", jti="j1")
    first = verifier.verify(bearer(token))
    again = verifier.verify(bearer(token))
    assert again == first and first.actor == "ann" and first.jti == "j1"
    assert verifier.checked == 1


def test_the_least_recently_used_token_leaves_a_full_cache_first() -> None:
    verifier = CountingVerifier()
    verifier.CACHE_SIZE = 2
    a, b, c = (make_token(SECRET, sub=name, tenant="t1") for name in ("a", "b", "c"))
    verifier.verify(bearer(a))
    verifier.verify(bearer(b))
    verifier.verify(bearer(a))  # a is used again: b is now the least recent
    verifier.verify(bearer(c))  # evicts b
    assert verifier.checked == 3
    verifier.verify(bearer(a))
    assert verifier.checked == 3
    verifier.verify(bearer(b))
    assert verifier.checked == 4


def test_a_cached_token_is_refused_once_its_exp_has_passed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    verifier = CountingVerifier()
    token = make_token(SECRET, sub="ann", tenant="t1", ttl_seconds=60)
    verifier.verify(bearer(token))
    expires = jwt.decode(token, options={"verify_signature": False})["exp"]
    monkeypatch.setattr("registry.api.auth.time.time", lambda: expires + 1.0)
    monkeypatch.setattr("jwt.api_jwt.datetime", _frozen_datetime(expires + 1.0))
    with pytest.raises(ApiError) as refused:
        verifier.verify(bearer(token))
    assert refused.value.code == "token_expired"
    assert verifier.checked == 2


def _frozen_datetime(at: float) -> Any:
    from datetime import UTC, datetime

    class Frozen(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> datetime:  # type: ignore[override]
            return datetime.fromtimestamp(at, tz or UTC)

    return Frozen
