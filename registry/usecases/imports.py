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
ANALYZE_FROM_ROWS = 1000  # an import this large refreshes the planner's statistics


class ImportUseCases(ConsentUseCases):
    def import_grants(self, tenant: str, grants: list[dict[str, Any]]) -> dict[str, Any]:
        """A customer new to the registry arrives with one `Registered` event carrying
        its profile, then one `ConsentGranted` per row; a known customer gets a
        `ProfileChanged` (when the row changes it) and the grant, as `POST /v1/consents`
        would give it."""
        needs_key = [
            g["customer_id"] for g in grants if g.get("phone") or _has_sealed_source(g["source"])
        ]
        keys = self.data_keys(tenant, needs_key, create=True)
        for _attempt in range(MAX_ATTEMPTS):
            known = self._known_customers(tenant, [g["customer_id"] for g in grants])
            customers: dict[str, Customer] = {}
            index_rows: list[tuple[str, str]] = []
            for grant in grants:
                customer_id = grant["customer_id"]
                key = keys.get(customer_id)
                changes, rows = self._profile_changes(tenant, customer_id, grant, key)
                index_rows += rows
                customer = customers.get(customer_id)
                if customer is None and customer_id in known:
                    customer = self._existing(tenant, customer_id)
                if customer is None:
                    customer = Customer.register(tenant, customer_id, changes)
                else:
                    customer.change_profile(changes)
                customers[customer_id] = customer
                customer.grant(
                    receipt_id="rcpt_" + uuid.uuid4().hex,
                    channel=grant["channel"],
                    purposes=sorted(set(grant["purposes"]), key=PURPOSES.index),
                    source=self._sealed_source(tenant, customer_id, grant["source"], key),
                    granted_at=grant.get("granted_at") or utcnow(),
                    expires_at=grant.get("expires_at"),
                )
            try:
                answer = self.write_many(
                    tenant,
                    list(customers.values()),
                    {"imported": len(grants)},
                    index_rows=index_rows,
                )
            except IntegrityError:
                continue
            if len(grants) >= ANALYZE_FROM_ROWS:
                self.db.refresh_statistics()
            return answer
        raise RuntimeError("the import kept colliding with concurrent writes")

    def _known_customers(self, tenant: str, customer_ids: list[str]) -> set[str]:
        wanted = sorted(set(customer_ids))
        known: set[str] = set()
        with self.db.transaction() as sql:
            if sql.dialect == "postgres":  # one array parameter: an index scan, one trip
                rows = sql.query(
                    "SELECT key FROM registry_views WHERE tenant = ? AND kind = 'customer' "
                    "AND key = ANY(?)",
                    [tenant, wanted],
                )
                return {str(k) for (k,) in rows}
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                marks = ",".join("?" * len(chunk))
                rows = sql.query(
                    "SELECT key FROM registry_views WHERE tenant = ? AND kind = 'customer' "
                    f"AND key IN ({marks})",
                    [tenant, *chunk],
                )
                known.update(str(k) for (k,) in rows)
        return known

    def _existing(self, tenant: str, customer_id: str) -> Customer | None:
        try:
            customer: Customer = self.repository.get(customer_aggregate_id(tenant, customer_id))
        except AggregateNotFoundError:
            return None
        return customer


def _has_sealed_source(source: dict[str, Any]) -> bool:
    return any(source.get(k) for k in ("evidence", "ip", "user_agent"))
