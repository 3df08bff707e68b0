"""Bulk import of grants: all rows in one transaction, or none."""

from __future__ import annotations

import uuid
from typing import Any

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from registry.domain.customer import Customer, customer_aggregate_id
from registry.domain.vocabulary import PURPOSES
from registry.timefmt import utcnow
from registry.usecases.consents import ConsentUseCases

MAX_ATTEMPTS = 5


class ImportUseCases(ConsentUseCases):
    def import_grants(self, tenant: str, grants: list[dict[str, Any]]) -> dict[str, Any]:
        for _attempt in range(MAX_ATTEMPTS):
            customers: dict[str, Customer] = {}
            index_rows: list[tuple[str, str]] = []
            for grant in grants:
                customer_id = grant["customer_id"]
                customer = customers.get(customer_id)
                if customer is None:
                    try:
                        customer = self.repository.get(customer_aggregate_id(tenant, customer_id))
                    except AggregateNotFoundError:
                        customer = Customer.register(tenant, customer_id)
                    customers[customer_id] = customer
                changes, rows = self._profile_changes(tenant, customer_id, grant)
                index_rows += rows
                source = self._sealed_source(tenant, customer_id, grant["source"])
                customer.change_profile(changes)
                customer.grant(
                    receipt_id="rcpt_" + uuid.uuid4().hex,
                    channel=grant["channel"],
                    purposes=sorted(set(grant["purposes"]), key=PURPOSES.index),
                    source=source,
                    granted_at=grant.get("granted_at") or utcnow(),
                    expires_at=grant.get("expires_at"),
                )
            write_set = self._write_set(
                tenant, list(customers.values()), {"imported": len(grants)}, None
            )
            write_set.index_rows.extend(index_rows)
            from registry.store.recorders import UNIT_OF_WORK

            try:
                recordings = self.save(*customers.values(), **{UNIT_OF_WORK: write_set})
            except IntegrityError:
                self._raise_if_already_answered(tenant, write_set)
                continue
            return {"imported": len(grants), "position": recordings[-1].notification.id}
        raise RuntimeError("the import kept colliding with concurrent writes")
