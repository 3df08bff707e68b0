"""In-memory fakes of what services take in their constructors (registry/usecases/
container.py `Parts`), so that a service is built and tested without a database.

`FakeWriter` is an `EventWriter` on eventsourcing's in-memory (POPO) recorder: the real
aggregates and the real mapping of events, the view rows projected as the store projects
them (`registry.projections.projection.project_into`) into a `FakeViews`.
`lose_next_saves` makes the next saves lose the race to a concurrent writer, as a
PostgreSQL or SQLite IntegrityError would, to test the retries."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import StoredEvent

from registry.crypto import new_data_key, seal
from registry.domain.base import RegistryAggregate, events_stamped_by
from registry.personal_data import key_opener
from registry.projections.projection import project_into
from registry.projections.reader import Docs, checked_position
from registry.store.bulk_writes import BulkWriteSet
from registry.store.unit_of_work import WriteSet
from registry.store.writer import Companions, get_aggregate, load_or_create

A = TypeVar("A", bound=RegistryAggregate)
START = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)  # a Wednesday, 12:00 in Moscow


class FakeClock:
    """A `registry.clock.Clock` that a test moves instead of sleeping."""

    def __init__(self, at: datetime = START) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at

    def advance(self, **delta: float) -> datetime:
        self.at += timedelta(**delta)
        return self.at


class FakeViews:
    """`ViewReader`'s reads, from the documents the fake writer wrote. A messaging
    window reads `windows[channel]` customers (0 unless a test sets it)."""

    def __init__(self) -> None:
        self.docs: dict[tuple[str, str, str], dict[str, Any]] = {}
        self.index: dict[tuple[str, str], str] = {}  # (tenant, blind) -> customer id
        self.windows: dict[str, int] = {}
        self.at = 0
        self.reads = 0

    def read(
        self,
        tenant: str,
        keys: Sequence[tuple[str, str]],
        min_position: int | None = None,
        *,
        window_from: int | None = None,
    ) -> tuple[Docs, int]:
        self.reads += 1
        docs: Docs = {}
        for kind, key in keys:
            if kind == "window":
                docs[(kind, key)] = {"customers": self.windows.get(key, 0)}
            elif (tenant, kind, key) in self.docs:
                docs[(kind, key)] = self.docs[(tenant, kind, key)]
        return docs, checked_position(self.at, min_position)

    def existing(self, tenant: str, kind: str, keys: Sequence[str]) -> set[str]:
        return {key for key in keys if (tenant, kind, key) in self.docs}

    def customer_of(self, tenant: str, blinds: Sequence[str]) -> str | None:
        return next((self.index[(tenant, b)] for b in blinds if (tenant, b) in self.index), None)

    def all_of(self, tenant: str, kind: str) -> tuple[list[dict[str, Any]], int]:
        found = sorted(
            (key, doc) for (t, k, key), doc in self.docs.items() if (t, k) == (tenant, kind)
        )
        return [doc for _, doc in found], self.at


class FakeWriter:
    """An `EventWriter` in memory (see the module's docstring)."""

    def __init__(self, views: FakeViews, clock: FakeClock | None = None) -> None:
        self.views = views
        self.clock = clock or FakeClock()
        self.store: Application[UUID] = Application(
            env={"PERSISTENCE_MODULE": "eventsourcing.popo"}
        )
        self.seen_keys: set[tuple[str, str]] = set()
        self.erased_keys: list[str] = []
        self.saves = 0
        self.attempts = 0
        self.lost: list[Callable[[], None]] = []
        self.companions: Companions | None = None

    def lose_next_saves(self, *concurrent: Callable[[], None]) -> None:
        """Each of the next saves loses to a concurrent writer, which first runs its
        function (say, another request's write through this same writer)."""
        self.lost.extend(concurrent)

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
        for attempt in range(30):
            self.attempts += 1
            if dedupe_key is not None and (tenant, dedupe_key) in self.seen_keys:
                return {"duplicate": True}
            with events_stamped_by(self.clock.now):
                aggregate = loaded if attempt == 0 and loaded is not None else None
                if aggregate is None:
                    aggregate = self._load_or_create(aggregate_id, create)
                command(aggregate)
            body = result(aggregate) if result else {}
            if not aggregate.pending_events:
                return {**body, "position": self.views.at}
            others = self.companions(tenant, aggregate) if self.companions else []
            write_set = self.write_set(tenant, [aggregate, *others], body, dedupe_key)
            if extras is not None:
                extras(aggregate, write_set)
            if self.lost:
                self.lost.pop(0)()
                continue
            self.saves += 1
            recordings = self.store.save(aggregate, *others)
            self._commit(tenant, write_set, recordings[-1].notification.id)
            return {**body, "position": self.views.at}
        raise RuntimeError("too many concurrent writes to one aggregate")

    def _commit(self, tenant: str, write_set: WriteSet, position: int) -> None:
        self.views.at = position
        for view in write_set.views:
            self.views.docs[(tenant, view.kind, view.key)] = view.doc
        for blind, customer_id in write_set.index_rows:
            self.views.index[(tenant, blind)] = customer_id
        if write_set.dedupe_key is not None:
            self.seen_keys.add((tenant, write_set.dedupe_key))
        if write_set.erase_data_key_of is not None:
            self.erased_keys.append(write_set.erase_data_key_of)

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
        positions = self.store.recorder.insert_events(list(stored))
        self.saves += 1
        self._commit(tenant, write_set, positions[-1] if positions else self.views.at)
        if isinstance(write_set, BulkWriteSet):
            for new in write_set.new_views:
                self.views.docs[(tenant, "customer", new.key)] = json.loads(new.document)
        return {**body, "position": self.views.at}

    def write_set(
        self,
        tenant: str,
        aggregates: list[RegistryAggregate],
        body: dict[str, Any],
        dedupe_key: str | None,
    ) -> WriteSet:
        write_set = WriteSet(tenant=tenant, dedupe_key=dedupe_key)
        for aggregate in aggregates:
            project_into(tenant, aggregate, write_set)
        return write_set

    def get(self, aggregate_id: UUID, version: int | None = None) -> Any:
        return get_aggregate(self.store, aggregate_id, version)

    def _load_or_create(self, aggregate_id: UUID, create: Callable[[], A] | None) -> A:
        return load_or_create(self.store, aggregate_id, create)

    def seen(self, tenant: str, dedupe_key: str) -> bool:
        return (tenant, dedupe_key) in self.seen_keys

    def mark_seen(self, tenant: str, dedupe_key: str) -> None:
        self.seen_keys.add((tenant, dedupe_key))

    def to_stored(self, events: Sequence[DomainEventProtocol[UUID]]) -> list[StoredEvent]:
        return [self.store.mapper.to_stored_event(event) for event in events]

    def events_of(self, aggregate_id: UUID) -> list[str]:
        """The recorded events' class names, oldest first."""
        return [e.topic.rsplit(".", 1)[-1] for e in self.store.recorder.select_events(aggregate_id)]


class FakeKeys:
    """`PersonalDataKeys` in memory: one data key per customer, made on first use."""

    def __init__(self) -> None:
        self.keys: dict[tuple[str, str], bytes] = {}

    def data_key(self, tenant: str, customer_id: str, *, create: bool) -> bytes | None:
        if create and (tenant, customer_id) not in self.keys:
            self.keys[(tenant, customer_id)] = new_data_key()
        return self.keys.get((tenant, customer_id))

    def data_keys(
        self, tenant: str, customer_ids: Sequence[str], *, create: bool
    ) -> dict[str, bytes]:
        found = {c: self.data_key(tenant, c, create=create) for c in customer_ids}
        return {c: key for c, key in found.items() if key is not None}

    def import_data_keys(self, tenant: str, customer_ids: Sequence[str]) -> dict[str, bytes]:
        return self.data_keys(tenant, customer_ids, create=True)

    def sealer(
        self, tenant: str, customer_id: str, key: bytes | None = None
    ) -> Callable[[str | None], str | None]:
        def seal_value(value: str | None) -> str | None:
            if value is None:
                return None
            used = key or self.data_key(tenant, customer_id, create=True)
            assert used is not None
            return seal(used, value, context=f"{tenant}/{customer_id}")

        return seal_value

    def opener(self, tenant: str, customer_id: str, erased: bool) -> Callable[[Any], Any]:
        key = None if erased else self.keys.get((tenant, customer_id))
        return key_opener(tenant, customer_id, key)
