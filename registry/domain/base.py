"""The base of every aggregate: events carry who caused them and in which request.

The acting user travels as context (set once per request by the API, or by the
webhook and link handlers), not as a parameter threaded through every command.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

_actor: ContextVar[str] = ContextVar("registry_actor", default="system")
_request_id: ContextVar[str] = ContextVar("registry_request_id", default="")
_now: ContextVar[Callable[[], datetime] | None] = ContextVar("registry_event_clock", default=None)


@contextmanager
def events_stamped_by(now: Callable[[], datetime]) -> Iterator[None]:
    """Events made inside carry `now()` as their timestamp (the writer's clock), instead
    of eventsourcing's reading of the system clock."""
    token = _now.set(now)
    try:
        yield
    finally:
        _now.reset(token)


@contextmanager
def acting_as(actor: str, request_id: str | None = None) -> Iterator[None]:
    actor_token = _actor.set(actor)
    request_token = _request_id.set(request_id if request_id is not None else _request_id.get())
    try:
        yield
    finally:
        _actor.reset(actor_token)
        _request_id.reset(request_token)


def bind_request_id(request_id: str) -> None:
    """The id every event recorded for the current request carries, set once per request
    by the web layer (API, opt-out pages and webhooks alike)."""
    _request_id.set(request_id)


def current_actor() -> str:
    return _actor.get()


def current_request_id() -> str:
    return _request_id.get()


def natural_id(*parts: str) -> UUID:
    """A stable aggregate id for a natural key such as (tenant, "customer", id)."""
    return uuid5(NAMESPACE_URL, "registry:" + "\x1f".join(parts))


def _with_context(kwargs: dict[str, Any]) -> dict[str, Any]:
    kwargs.setdefault("actor", _actor.get())
    kwargs.setdefault("request_id", _request_id.get())
    return kwargs


class RegistryAggregate(Aggregate):
    tenant: str

    class Event(Aggregate.Event):
        actor: str
        request_id: str

        @staticmethod
        def create_timestamp() -> datetime:
            now = _now.get()
            return Aggregate.Event.create_timestamp() if now is None else now()

    class Created(Event, Aggregate.Created):
        tenant: str

    @classmethod
    def _create(cls, event_class: Any, *, id: Any = None, **kwargs: Any) -> Any:
        return super()._create(event_class, id=id, **_with_context(kwargs))

    def trigger_event(self, event_class: Any, **kwargs: Any) -> None:
        super().trigger_event(event_class, **_with_context(kwargs))
