"""What a service writes through: the `EventWriter` interface, and `StoreWriter`, its
implementation on the registry's event store. Tests give services the in-memory fake of
tests/fakes.py; bootstrap gives them a `StoreWriter`."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application, ProcessingEvent
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import IntegrityError, StoredEvent

from registry.clock import SYSTEM_CLOCK, Clock
from registry.domain.base import RegistryAggregate, events_stamped_by
from registry.domain.exceptions import NotFound
from registry.idempotency import AlreadyAnswered, current_idempotent_request
from registry.metrics import count_events
from registry.store.database import Database
from registry.store.idempotency import IdempotencyRecords
from registry.store.recorders import UNIT_OF_WORK
from registry.store.unit_of_work import IdempotencyWrite, WriteSet

A = TypeVar("A", bound=RegistryAggregate)
MAX_WRITE_ATTEMPTS = 30
# Adds to a write set what one aggregate's pending events project to: its view row, its
# audit leaves' labels, derived rows (registry/projections/documents.py `project_into`).
ProjectInto = Callable[[str, RegistryAggregate, WriteSet], None]
# Before an aggregate's events are saved: may add events to it and return further
# aggregates whose events commit in the same transaction (outcomes: feedback attribution,
# a template's or channel's automatic change; registry/usecases/feedback.py).
Companions = Callable[[str, RegistryAggregate], list[RegistryAggregate]]


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

    def mark_seen(self, tenant: str, dedupe_key: str) -> None:
        """Records the dedupe key of something kept without an event (unprocessed)."""
        ...

    def to_stored(self, events: Sequence[DomainEventProtocol[UUID]]) -> list[StoredEvent]:
        """The events as the recorder stores them (for `write_stored`)."""
        ...


class StoreWriter:
    """`EventWriter` on the event store: each write is one transaction of the events,
    their view rows, audit leaves, derived rows and idempotent answer
    (registry/store/unit_of_work.py), retried on a concurrent write.

    `companions` (outcomes' hook, set by registry.bootstrap) adds the aggregates whose
    events commit with an aggregate's; `clock` stamps the events written."""

    def __init__(
        self,
        store: Application[UUID],
        db: Database,
        idempotency: IdempotencyRecords,
        project_into: ProjectInto,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self.store = store
        self.db = db
        self.idempotency = idempotency
        self.project_into = project_into
        self.clock = clock
        self.companions: Companions | None = None

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
        """Load (or create), run the command, save with the unit of work; retry on
        a concurrent write to the same aggregate so the client never sees it.

        `loaded` is the aggregate for the first attempt when the caller has it already
        (an authorization restores the customer from its view); retries load it from
        the event store."""
        for attempt in range(MAX_WRITE_ATTEMPTS):
            with events_stamped_by(self.clock.now):
                if attempt == 0 and loaded is not None:
                    aggregate = loaded
                else:
                    aggregate = self._load_or_create(aggregate_id, create)
                command(aggregate)
            body = result(aggregate) if result else {}
            if not aggregate.pending_events:
                with self.db.single_statement() as sql:
                    return {**body, "position": self.db.max_position(sql)}
            others = self.companions(tenant, aggregate) if self.companions else []
            write_set = self.write_set(tenant, [aggregate, *others], body, dedupe_key)
            if extras is not None:
                extras(aggregate, write_set)
            try:
                position = self._save(aggregate, write_set, others)
            except IntegrityError:
                self._raise_if_already_answered(tenant, write_set)
                if dedupe_key is not None and self.seen(tenant, dedupe_key):
                    return {"duplicate": True}
                time.sleep(random.uniform(0, 0.002 * (attempt + 1)))
                continue
            return {**body, "position": position}
        raise RuntimeError("too many concurrent writes to one aggregate")

    def _save(
        self,
        aggregate: RegistryAggregate,
        write_set: WriteSet,
        others: Sequence[RegistryAggregate] = (),
    ) -> int:
        """`save(aggregate, *others, unit_of_work=write_set)` (eventsourcing 9.5.6) step by
        step, without `save()`'s two runtime protocol checks of every object; returns the
        last event's position."""
        store = self.store
        processing_event: ProcessingEvent[UUID] = ProcessingEvent()
        for saved in (aggregate, *others):
            processing_event.events.extend(saved.collect_events())
            processing_event.aggregates[saved.id] = saved
        processing_event.saved_kwargs[UNIT_OF_WORK] = write_set
        recordings = store._record(processing_event)
        store._take_snapshots(processing_event)
        store._notify(recordings)
        store.notify(processing_event.events)  # eventsourcing's deprecated hook, as save()
        count_events(processing_event.events)  # /metrics: opt-outs, authorizations
        return recordings[-1].notification.id

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
        """Records `StoredEvent`s the caller built (imports: new customers without their
        aggregates) in one transaction, all or nothing. `stored` holds every event to
        record, in log order; among them the mapped `events` the caller collected from
        `aggregates`, which are then snapshotted as `save()` would.

        Raises `IntegrityError` when another writer got there first (the caller decides
        whether to retry), or `AlreadyAnswered` for a repeated request."""
        try:
            positions = self.store.recorder.insert_events(stored, **{UNIT_OF_WORK: write_set})
        except IntegrityError:
            self._raise_if_already_answered(tenant, write_set)
            raise
        processing_event: ProcessingEvent[UUID] = ProcessingEvent()
        processing_event.events.extend(events)
        for aggregate in aggregates:
            processing_event.aggregates[aggregate.id] = aggregate
        self.store._take_snapshots(processing_event)
        return {**body, "position": positions[-1] if positions else 0}

    def to_stored(self, events: Sequence[DomainEventProtocol[UUID]]) -> list[StoredEvent]:
        return [self.store.mapper.to_stored_event(event) for event in events]

    def get(self, aggregate_id: UUID, version: int | None = None) -> Any:
        return get_aggregate(self.store, aggregate_id, version)

    def _load_or_create(self, aggregate_id: UUID, create: Callable[[], A] | None) -> A:
        return load_or_create(self.store, aggregate_id, create)

    def write_set(
        self,
        tenant: str,
        aggregates: list[RegistryAggregate],
        body: dict[str, Any],
        dedupe_key: str | None,
    ) -> WriteSet:
        write_set = WriteSet(tenant=tenant, dedupe_key=dedupe_key)
        for aggregate in aggregates:
            self.project_into(tenant, aggregate, write_set)
        request = current_idempotent_request()
        if request is not None:
            write_set.idempotency = IdempotencyWrite(
                key=request.key,
                request_hash=request.request_hash,
                status=request.status,
                body_for=lambda position: {**body, "position": position},
            )
        return write_set

    def _raise_if_already_answered(self, tenant: str, write_set: WriteSet) -> None:
        if write_set.idempotency is None:
            return
        stored = self.idempotency.idempotent_answer(tenant, write_set.idempotency.key)
        if stored is not None:
            request_hash, status, body = stored
            if request_hash == write_set.idempotency.request_hash:
                raise AlreadyAnswered(status, body)

    def seen(self, tenant: str, dedupe_key: str) -> bool:
        with self.db.single_statement() as sql:
            return (
                sql.scalar(
                    "SELECT 1 FROM registry_webhook_seen WHERE tenant = ? AND dedupe_key = ?",
                    [tenant, dedupe_key],
                )
                is not None
            )

    def mark_seen(self, tenant: str, dedupe_key: str) -> None:
        with self.db.transaction(commit=True) as sql:
            sql.execute(
                "INSERT INTO registry_webhook_seen (tenant, dedupe_key) VALUES (?, ?) "
                "ON CONFLICT (tenant, dedupe_key) DO NOTHING",
                [tenant, dedupe_key],
            )


def get_aggregate(store: Application[UUID], aggregate_id: UUID, version: int | None = None) -> Any:
    """The aggregate (at `version`), or NotFound: what every writer's `get` answers."""
    try:
        return store.repository.get(aggregate_id, version=version)
    except AggregateNotFoundError:
        raise NotFound("not found") from None


def load_or_create(
    store: Application[UUID], aggregate_id: UUID, create: Callable[[], A] | None
) -> A:
    """The stored aggregate, or `create()` when there is none (NotFound without `create`)."""
    try:
        aggregate: A = store.repository.get(aggregate_id)
    except AggregateNotFoundError:
        if create is None:
            raise NotFound("not found") from None
        return create()
    return aggregate
