"""The registry's application service: one method per use case (in the use-case
mixins), all sharing the write path here. Methods return plain values."""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application, ProcessingEvent
from eventsourcing.persistence import IntegrityError, StoredEvent

from registry.clock import SYSTEM_CLOCK, Clock
from registry.domain.base import RegistryAggregate, events_stamped_by
from registry.domain.channel import Channel
from registry.domain.customer import Customer
from registry.domain.exceptions import NotFound
from registry.domain.experiment import Experiment
from registry.domain.policy import Policy
from registry.domain.send import Send
from registry.domain.template import Template
from registry.domain.tenant import Tenant
from registry.domain.token import TokenRevocation
from registry.idempotency import AlreadyAnswered, IdempotentRequest, current_idempotent_request
from registry.keys import KeyRing
from registry.metrics import count_events
from registry.personal_data import PersonalDataKeys
from registry.projections.documents import (
    channel_document,
    customer_document,
    experiment_document,
    template_document,
    tenant_document,
)
from registry.projections.history import history_entry
from registry.projections.reader import ViewReader, checked_position
from registry.projections.sends import pending_rows
from registry.store.database import Database
from registry.store.recorders import UNIT_OF_WORK
from registry.store.sql import Sql
from registry.store.unit_of_work import IdempotencyWrite, ViewWrite, WriteSet

A = TypeVar("A", bound=RegistryAggregate)
MAX_WRITE_ATTEMPTS = 30
# Before an aggregate's events are saved: may add events to it and return further
# aggregates whose events commit in the same transaction (outcomes: feedback attribution,
# a template's or channel's automatic change; registry/usecases/feedback.py).
Companions = Callable[[str, RegistryAggregate], list[RegistryAggregate]]


class RegistryCore(PersonalDataKeys, Application[UUID]):
    """Persistence, concurrency retries, views and keys. Use cases live in mixins."""

    name = "registry"
    snapshotting_intervals = {Customer: 100, Template: 100}

    keyring: KeyRing
    db: Database
    origin_host: str
    public_url: str
    clock: Clock = SYSTEM_CLOCK  # stamps the events written (bootstrap.build_services sets it)

    def configure(self, keyring: KeyRing, db: Database, public_url: str, origin_host: str) -> None:
        self.keyring = keyring
        self.db = db
        self.public_url = public_url
        self.origin_host = origin_host
        self._policies: dict[tuple[str, int], Policy] = {}
        self.views = ViewReader(db)
        self.companions: Companions | None = None

    # ---- writing -------------------------------------------------------------

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
            write_set = self._write_set(tenant, [aggregate, *others], body, dedupe_key)
            if extras is not None:
                extras(aggregate, write_set)
            try:
                position = self._save_one(aggregate, write_set, others)
            except IntegrityError:
                self._raise_if_already_answered(tenant, write_set)
                if dedupe_key is not None and self._seen(tenant, dedupe_key):
                    return {"duplicate": True}
                time.sleep(random.uniform(0, 0.002 * (attempt + 1)))
                continue
            return {**body, "position": position}
        raise RuntimeError("too many concurrent writes to one aggregate")

    def _save_one(
        self,
        aggregate: RegistryAggregate,
        write_set: WriteSet,
        others: Sequence[RegistryAggregate] = (),
    ) -> int:
        """`save(aggregate, *others, unit_of_work=write_set)` (eventsourcing 9.5.6) step by
        step, without `save()`'s two runtime protocol checks of every object; returns the
        last event's position."""
        processing_event: ProcessingEvent[UUID] = ProcessingEvent()
        for saved in (aggregate, *others):
            processing_event.events.extend(saved.collect_events())
            processing_event.aggregates[saved.id] = saved
        processing_event.saved_kwargs[UNIT_OF_WORK] = write_set
        recordings = self._record(processing_event)
        self._take_snapshots(processing_event)
        self._notify(recordings)
        self.notify(processing_event.events)  # eventsourcing's deprecated hook, as save()
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
            positions = self.recorder.insert_events(stored, **{UNIT_OF_WORK: write_set})
        except IntegrityError:
            self._raise_if_already_answered(tenant, write_set)
            raise
        processing_event: ProcessingEvent[UUID] = ProcessingEvent()
        processing_event.events.extend(events)
        for aggregate in aggregates:
            processing_event.aggregates[aggregate.id] = aggregate
        self._take_snapshots(processing_event)
        return {**body, "position": positions[-1] if positions else 0}

    def get(self, aggregate_id: UUID, version: int | None = None) -> Any:
        """The aggregate from the event store (at `version`); NotFound when missing."""
        try:
            return self.repository.get(aggregate_id, version=version)
        except AggregateNotFoundError:
            raise NotFound("not found") from None

    def write_set(
        self,
        tenant: str,
        aggregates: list[RegistryAggregate],
        body: dict[str, Any],
        dedupe_key: str | None,
    ) -> WriteSet:
        return self._write_set(tenant, aggregates, body, dedupe_key)

    def seen(self, tenant: str, dedupe_key: str) -> bool:
        return self._seen(tenant, dedupe_key)

    def _load_or_create(self, aggregate_id: UUID, create: Callable[[], A] | None) -> A:
        try:
            aggregate: A = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            if create is None:
                raise NotFound("not found") from None
            return create()
        return aggregate

    def _write_set(
        self,
        tenant: str,
        aggregates: list[RegistryAggregate],
        body: dict[str, Any],
        dedupe_key: str | None,
    ) -> WriteSet:
        write_set = WriteSet(tenant=tenant, dedupe_key=dedupe_key)
        for aggregate in aggregates:
            view = self._view_of(aggregate)
            if view is not None:
                write_set.views.append(view)
            write_set.leaf_labels[str(aggregate.id)] = self._labels_of(aggregate)
            write_set.rows += pending_rows(tenant, aggregate)
        request = current_idempotent_request()
        if request is not None:
            write_set.idempotency = IdempotencyWrite(
                key=request.key,
                request_hash=request.request_hash,
                status=request.status,
                body_for=lambda position: {**body, "position": position},
            )
        return write_set

    @staticmethod
    def _view_of(aggregate: RegistryAggregate) -> ViewWrite | None:
        """The aggregate's view row; None for a `Send`, whose rows are registry_sends'."""
        if isinstance(aggregate, Send):
            return None
        if isinstance(aggregate, Channel):
            doc, kind, key = channel_document(aggregate), "channel", aggregate.channel
        elif isinstance(aggregate, Customer):
            doc, kind, key = customer_document(aggregate), "customer", aggregate.customer_id
        elif isinstance(aggregate, Template):
            doc = template_document(aggregate)
            kind, key = "template", f"{aggregate.name}/{aggregate.language}"
        elif isinstance(aggregate, Tenant):
            doc, kind, key = tenant_document(aggregate), "tenant", ""
        elif isinstance(aggregate, TokenRevocation):
            doc = {"jti": aggregate.jti, "reason": aggregate.reason}
            kind, key = "revoked_token", aggregate.jti
        elif isinstance(aggregate, Experiment):
            doc, kind, key = experiment_document(aggregate), "experiment", aggregate.name
        else:  # pragma: no cover - every aggregate kind is listed above
            raise TypeError(type(aggregate))
        return ViewWrite(kind, key, str(aggregate.id), aggregate.version, doc)

    @staticmethod
    def _labels_of(aggregate: RegistryAggregate) -> tuple[str | None, str | None]:
        if isinstance(aggregate, Customer):
            return aggregate.customer_id, None
        if isinstance(aggregate, Template):
            return None, f"{aggregate.name}/{aggregate.language}"
        if isinstance(aggregate, Send):
            template = aggregate.template
            return aggregate.customer_id, f"{template['name']}/{template['language']}"
        return None, None

    def _raise_if_already_answered(self, tenant: str, write_set: WriteSet) -> None:
        if write_set.idempotency is None:
            return
        stored = self.idempotent_answer(tenant, write_set.idempotency.key)
        if stored is not None:
            request_hash, status, body = stored
            if request_hash == write_set.idempotency.request_hash:
                raise AlreadyAnswered(status, body)

    def _seen(self, tenant: str, dedupe_key: str) -> bool:
        with self.db.single_statement() as sql:
            return (
                sql.scalar(
                    "SELECT 1 FROM registry_webhook_seen WHERE tenant = ? AND dedupe_key = ?",
                    [tenant, dedupe_key],
                )
                is not None
            )

    # ---- idempotency records ---------------------------------------------------

    def idempotent_answer(self, tenant: str, key: str) -> tuple[str, int, dict[str, Any]] | None:
        with self.db.single_statement() as sql:
            rows = sql.query(
                "SELECT request_hash, status, body FROM registry_idempotency "
                "WHERE tenant = ? AND key = ?",
                [tenant, key],
            )
        if not rows:
            return None
        request_hash, status, body = rows[0]
        return str(request_hash), int(status), json.loads(body)

    def remember_answer(
        self, tenant: str, request: IdempotentRequest, status: int, body: dict[str, Any]
    ) -> None:
        """For answers that recorded no event (a refused authorization, a no-op)."""
        with self.db.transaction(commit=True) as sql:
            sql.execute(
                "INSERT INTO registry_idempotency (tenant, key, request_hash, status, body, position) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (tenant, key) DO NOTHING",
                [
                    tenant,
                    request.key,
                    request.request_hash,
                    status,
                    json.dumps(body),
                    body.get("position"),
                ],
            )

    # ---- reading views -----------------------------------------------------------

    def read_views(
        self,
        tenant: str,
        keys: Sequence[tuple[str, str]],
        min_position: int | None = None,
        *,
        window_from: int | None = None,
    ) -> tuple[dict[tuple[str, str], dict[str, Any]], int]:
        """Documents for (kind, key) pairs and the log position they reflect."""
        return self.views.read(tenant, keys, min_position, window_from=window_from)

    def _position_at_least(self, sql: Sql, min_position: int | None) -> int:
        return checked_position(self.db.max_position(sql), min_position)

    def list_views(self, tenant: str, kind: str) -> tuple[list[dict[str, Any]], int]:
        with self.db.transaction() as sql:
            position = self.db.max_position(sql)
            rows = sql.query(
                "SELECT doc FROM registry_views WHERE tenant = ? AND kind = ? ORDER BY key",
                [tenant, kind],
            )
        return [json.loads(doc) for (doc,) in rows], position

    def policy_of(self, tenant: str, tenant_doc: dict[str, Any] | None) -> tuple[Policy, int]:
        if tenant_doc is None or tenant_doc.get("policy") is None:
            return self._cached_policy(tenant, 0, None), 0
        version = int(tenant_doc["policy_version"])
        return self._cached_policy(tenant, version, tenant_doc["policy"]), version

    def _cached_policy(self, tenant: str, version: int, doc: dict[str, Any] | None) -> Policy:
        cached = self._policies.get((tenant, version))
        if cached is None:
            cached = (
                Policy.default(tenant) if doc is None else Policy.from_document(doc, tenant=tenant)
            )
            if len(self._policies) > 10000:
                self._policies.clear()
            self._policies[(tenant, version)] = cached
        return cached

    def aggregate_history(
        self,
        aggregate_id: str,
        *,
        after_position: int,
        limit: int,
        open_value: Callable[[Any], Any] | None = None,
    ) -> list[dict[str, Any]]:
        """An aggregate's events, oldest first, for the history endpoints."""
        with self.db.transaction() as sql:
            rows = self.db.events_of(sql, aggregate_id, after_position=after_position, limit=limit)
        return [history_entry(p, topic, state, open_value) for p, _, topic, state in rows]
