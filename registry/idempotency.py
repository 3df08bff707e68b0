"""R-IDEMPOTENCY context: the API names the key, the write path records the answer
in the same transaction as the events it caused."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class IdempotentRequest:
    key: str
    request_hash: str
    status: int


class AlreadyAnswered(Exception):
    """A concurrent request with the same key committed first; this is its answer."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__("already answered")
        self.status = status
        self.body = body


_current: ContextVar[IdempotentRequest | None] = ContextVar("idempotent_request", default=None)


@contextmanager
def idempotent(request: IdempotentRequest | None) -> Iterator[None]:
    token = _current.set(request)
    try:
        yield
    finally:
        _current.reset(token)


def current_idempotent_request() -> IdempotentRequest | None:
    return _current.get()
