"""The registry's store as the composition root builds it: the event store, the
per-customer data keys, and the shared parts every service is given (writer, view
reader, idempotency records, policies). Use cases are the services of registry/usecases
(registry/usecases/container.py), each given the parts it uses by registry.bootstrap;
nothing here decides anything. Services see this object only through narrow types: as
`PersonalDataKeys` (the `keys` part) and, for AuditService, as the `EventStore` it reads."""

from __future__ import annotations

from registry.keys import KeyRing
from registry.personal_data import PersonalDataKeys
from registry.projections.projection import project_into
from registry.projections.reader import ViewReader
from registry.store.database import Database
from registry.store.events import EventStore
from registry.store.idempotency import IdempotencyRecords
from registry.store.writer import StoreWriter
from registry.usecases.policy import PolicyService


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
