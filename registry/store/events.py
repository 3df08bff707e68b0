"""The event store: eventsourcing's application (recorder, repository, mapper,
snapshots) and the `Database` on its recorder's connections."""

from __future__ import annotations

from uuid import UUID

from eventsourcing.application import Application

from registry.domain.customer import Customer
from registry.domain.template import Template
from registry.store.database import Database


class EventStore(Application[UUID]):
    """Only storage: use cases are the services of registry/usecases, writing through
    `registry.store.writer.StoreWriter`."""

    name = "registry"
    snapshotting_intervals = {Customer: 100, Template: 100}

    db: Database

    def attach(self, db: Database) -> None:
        self.db = db
