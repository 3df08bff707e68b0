"""What a service writes through: the `EventWriter` interface. Tests give services the
in-memory fake of tests/fakes.py; bootstrap gives them the registry's event store."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol, TypeVar
from uuid import UUID

from eventsourcing.persistence import StoredEvent

from registry.domain.base import RegistryAggregate
from registry.store.unit_of_work import WriteSet

A = TypeVar("A", bound=RegistryAggregate)


class EventWriter(Protocol):
    def write(
        self,
        tenant: str,
        aggregate_id: UUID,
        create: Callable[[], A] | None,
        command: Callable[[A], Any],
        *,
        result: Callable[[A], dict[str, Any]] | None = None,
        extras: Callable[[A, WriteSet], None] | None = None,
        dedupe_key: str | None = None,
        loaded: A | None = None,
    ) -> dict[str, Any]:
        """Load the aggregate (or `create` it; None: NotFound when missing), run
        `command`, and save its new events with their view rows, audit leaves and
        `extras` in one transaction, retrying on a concurrent write. Answers
        `{**result(aggregate), "position": …}`, or `{"duplicate": True}` when
        `dedupe_key` was recorded before."""
        ...

    def write_stored(
        self,
        tenant: str,
        stored: Sequence[StoredEvent],
        write_set: WriteSet,
        body: dict[str, Any],
        *,
        aggregates: Sequence[RegistryAggregate] = (),
        events: Sequence[Any] = (),
    ) -> dict[str, Any]:
        """Records events the caller built, all or nothing (imports)."""
        ...

    def write_set(
        self,
        tenant: str,
        aggregates: list[RegistryAggregate],
        body: dict[str, Any],
        dedupe_key: str | None,
    ) -> WriteSet:
        """The unit of work for `aggregates`' events: their view rows and leaf labels."""
        ...

    def get(self, aggregate_id: UUID, version: int | None = None) -> Any:
        """The aggregate from the event store (at `version`); NotFound when missing."""
        ...

    def seen(self, tenant: str, dedupe_key: str) -> bool:
        """Whether a write with this dedupe key was recorded."""
        ...
