"""The registry's application service: one method per use case (in the use-case
mixins), all sharing the write path here. Methods return plain values."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.persistence import StoredEvent

from registry.domain.base import RegistryAggregate
from registry.domain.customer import Customer
from registry.domain.policy import Policy
from registry.domain.template import Template
from registry.idempotency import IdempotentRequest
from registry.keys import KeyRing
from registry.personal_data import PersonalDataKeys
from registry.projections.history import history_entry
from registry.projections.projection import project_into
from registry.projections.reader import ViewReader
from registry.store.database import Database
from registry.store.idempotency import IdempotencyRecords
from registry.store.unit_of_work import WriteSet
from registry.store.writer import StoreWriter

A = TypeVar("A", bound=RegistryAggregate)


class RegistryCore(PersonalDataKeys, Application[UUID]):
    """Persistence, concurrency retries, views and keys. Use cases live in mixins."""

    name = "registry"
    snapshotting_intervals = {Customer: 100, Template: 100}

    keyring: KeyRing
    db: Database
    origin_host: str
    public_url: str

    def configure(self, keyring: KeyRing, db: Database, public_url: str, origin_host: str) -> None:
        self.keyring = keyring
        self.db = db
        self.public_url = public_url
        self.origin_host = origin_host
        self._policies: dict[tuple[str, int], Policy] = {}
        self.views = ViewReader(db)
        self.idempotency = IdempotencyRecords(db)
        self.writer = StoreWriter(self, db, self.idempotency, project_into)

    # ---- writing (StoreWriter, registry/store/writer.py) ---------------------------

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
        return self.writer.write(
            tenant,
            aggregate_id,
            create,
            command,
            result=result,
            extras=extras,
            dedupe_key=dedupe_key,
            loaded=loaded,
        )

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
        return self.writer.write_stored(
            tenant, stored, write_set, body, aggregates=aggregates, events=events
        )

    def get(self, aggregate_id: UUID, version: int | None = None) -> Any:
        """The aggregate from the event store (at `version`); NotFound when missing."""
        return self.writer.get(aggregate_id, version)

    def write_set(
        self,
        tenant: str,
        aggregates: list[RegistryAggregate],
        body: dict[str, Any],
        dedupe_key: str | None,
    ) -> WriteSet:
        return self.writer.write_set(tenant, aggregates, body, dedupe_key)

    _write_set = write_set

    def seen(self, tenant: str, dedupe_key: str) -> bool:
        return self.writer.seen(tenant, dedupe_key)

    # ---- idempotency records (registry/store/idempotency.py) ----------------------

    def idempotent_answer(self, tenant: str, key: str) -> tuple[str, int, dict[str, Any]] | None:
        return self.idempotency.idempotent_answer(tenant, key)

    def remember_answer(
        self, tenant: str, request: IdempotentRequest, status: int, body: dict[str, Any]
    ) -> None:
        """For answers that recorded no event (a refused authorization, a no-op)."""
        self.idempotency.remember_answer(tenant, request, status, body)

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
