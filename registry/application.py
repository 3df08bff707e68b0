"""The registry's store as the composition root builds it: the event store, the
per-customer data keys, and the shared parts every service is given (writer, view
reader, idempotency records, policies). Use cases are the services of registry/usecases
(registry/usecases/container.py); nothing here decides anything.

The delegating methods below (write, write_stored, write_set, get, seen, read_views,
policy_of, aggregate_history) are what OutcomeService and LimitService, owned by the
outcomes area, still read through the `core` they are given."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.persistence import StoredEvent

from registry.domain.base import RegistryAggregate
from registry.domain.policy import Policy
from registry.idempotency import IdempotentRequest
from registry.keys import KeyRing
from registry.personal_data import PersonalDataKeys
from registry.projections.projection import project_into
from registry.projections.reader import ViewReader
from registry.store.database import Database
from registry.store.events import EventStore
from registry.store.idempotency import IdempotencyRecords
from registry.store.unit_of_work import WriteSet
from registry.store.writer import StoreWriter
from registry.usecases.policy import PolicyService

A = TypeVar("A", bound=RegistryAggregate)


class Registry(PersonalDataKeys, EventStore):
    """The event store with its keys and shared parts (see the module's docstring)."""

    keyring: KeyRing
    origin_host: str
    public_url: str

    def configure(self, keyring: KeyRing, db: Database, public_url: str, origin_host: str) -> None:
        self.keyring = keyring
        self.db = db
        self.public_url = public_url
        self.origin_host = origin_host
        self.views = ViewReader(db)
        self.idempotency = IdempotencyRecords(db)
        self.writer = StoreWriter(self, db, self.idempotency, project_into)
        self.policies = PolicyService(self.writer, self.views)

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

    def policy_of(self, tenant: str, tenant_doc: dict[str, Any] | None) -> tuple[Policy, int]:
        return self.policies.policy_of(tenant, tenant_doc)

    def aggregate_history(
        self,
        aggregate_id: str,
        *,
        after_position: int,
        limit: int,
        open_value: Callable[[Any], Any] | None = None,
    ) -> list[dict[str, Any]]:
        """An aggregate's events, oldest first, for the history endpoints."""
        return self.views.history(
            aggregate_id, after_position=after_position, limit=limit, open_value=open_value
        )
