"""Bulk import of grants: all rows in one transaction, or none."""

from __future__ import annotations

import uuid
from collections import Counter
from typing import Any

from eventsourcing.persistence import IntegrityError, StoredEvent

from registry.clock import Clock
from registry.domain.base import current_actor, current_request_id, events_stamped_by
from registry.domain.customer import Customer, customer_aggregate_id
from registry.domain.exceptions import NotFound
from registry.domain.vocabulary import PURPOSES
from registry.personal_data import PersonalDataKeys
from registry.projections.reader import ViewReader
from registry.store.bulk_writes import BulkWriteSet, PreparedView
from registry.store.database import Database
from registry.store.new_customers import NewCustomerGrant, NewCustomerRecord, new_customer_record
from registry.store.writer import EventWriter
from registry.usecases.consents import SEALED_SOURCE_FIELDS, ConsentService

MAX_ATTEMPTS = 5
ANALYZE_FROM_ROWS = 1000  # an import this large may refresh the planner's statistics
ANALYZE_SCALE_FACTOR = 0.1  # autovacuum's default `autovacuum_analyze_scale_factor`


class ImportService:
    """Owns the bulk import of grants (POST /v1/consents/import and `python -m
    registry.imports`): every row in one transaction, or none."""

    def __init__(
        self,
        writer: EventWriter,
        views: ViewReader,
        keys: PersonalDataKeys,
        consents: ConsentService,
        db: Database,
        clock: Clock,
    ) -> None:
        self.writer = writer
        self.views = views  # which customers exist
        self.keys = keys
        self.consents = consents  # sealing and profile changes, as a grant has them
        self.db = db  # the planner's statistics after a large import
        self.clock = clock

    def import_grants(self, tenant: str, grants: list[dict[str, Any]]) -> dict[str, Any]:
        """A customer new to the registry arrives with one `Registered` event carrying
        its profile, then one `ConsentGranted` per row; a known customer gets a
        `ProfileChanged` (when the row changes it) and the grant, as `POST /v1/consents`
        would give it.

        A new customer with a single row (most of a large import) is built straight as
        stored events (`new_customer_record`), without its aggregate; the others go
        through the aggregate. The log order is the same either way: each customer's
        events together, customers in the order of their first row."""
        needs_key = [g["customer_id"] for g in grants if _has_personal_data(g)]
        keys = self.keys.import_data_keys(tenant, needs_key)
        rows_of = Counter(g["customer_id"] for g in grants)
        for _attempt in range(MAX_ATTEMPTS):
            known = self._known_customers(tenant, list(rows_of))
            single_new = self._single_new_customers(rows_of, known)
            try:
                with events_stamped_by(self.clock.now):
                    answer = self._import_once(tenant, grants, keys, known, single_new)
            except IntegrityError:
                continue
            if self._statistics_are_stale(len(grants)):
                self.db.refresh_statistics()
            return answer
        raise RuntimeError("the import kept colliding with concurrent writes")

    def _import_once(
        self,
        tenant: str,
        grants: list[dict[str, Any]],
        keys: dict[str, bytes],
        known: set[str],
        single_new: set[str],
    ) -> dict[str, Any]:
        actor, request_id = current_actor(), current_request_id()
        customers: dict[str, Customer | NewCustomerRecord] = {}
        index_rows: list[tuple[str, str]] = []
        for grant in grants:
            customer_id = grant["customer_id"]
            receipt_id = "rcpt_" + uuid.uuid4().hex
            key = keys.get(customer_id)
            changes, rows = self.consents.profile_changes(tenant, customer_id, grant, key)
            index_rows += rows
            source = self.consents.sealed_source(tenant, customer_id, grant["source"], key)
            purposes = sorted(set(grant["purposes"]), key=PURPOSES.index)
            if customer_id in single_new:
                customers[customer_id] = new_customer_record(
                    NewCustomerGrant(
                        tenant=tenant,
                        customer_id=customer_id,
                        aggregate_id=customer_aggregate_id(tenant, customer_id),
                        profile=changes,
                        receipt_id=receipt_id,
                        channel=grant["channel"],
                        purposes=purposes,
                        source=source,
                        granted_at=grant.get("granted_at"),
                        expires_at=grant.get("expires_at"),
                    ),
                    actor=actor,
                    request_id=request_id,
                    now=self.clock.now(),
                )
                continue
            seen = customers.get(customer_id)
            customer = seen if isinstance(seen, Customer) else None
            if customer is None and customer_id in known:
                customer = self._existing(tenant, customer_id)
            if customer is None:
                customer = Customer.register(tenant, customer_id, changes)
            else:
                customer.change_profile(changes)
            customers[customer_id] = customer
            customer.grant(
                receipt_id=receipt_id,
                channel=grant["channel"],
                purposes=purposes,
                source=source,
                granted_at=grant.get("granted_at") or self.clock.now(),
                expires_at=grant.get("expires_at"),
            )
        return self._write_import(tenant, list(customers.items()), index_rows, len(grants))

    def _write_import(
        self,
        tenant: str,
        customers: list[tuple[str, Customer | NewCustomerRecord]],
        index_rows: list[tuple[str, str]],
        imported: int,
    ) -> dict[str, Any]:
        body = {"imported": imported}
        aggregates = [c for _, c in customers if isinstance(c, Customer)]
        write_set = BulkWriteSet(
            **vars(self.writer.write_set(tenant, list(aggregates), body, None))
        )
        write_set.index_rows.extend(index_rows)
        stored: list[StoredEvent] = []
        events: list[Any] = []
        for customer_id, customer in customers:
            if isinstance(customer, NewCustomerRecord):
                stored += customer.events
                write_set.new_views.append(
                    PreparedView(customer_id, len(stored) - 1, customer.version, customer.document)
                )
                continue
            pending = customer.collect_events()
            events += pending
            stored += self.writer.to_stored(pending)
        return self.writer.write_stored(
            tenant, stored, write_set, body, aggregates=aggregates, events=events
        )

    @staticmethod
    def _single_new_customers(rows_of: Counter[str], known: set[str]) -> set[str]:
        """The customers built without their aggregate: new ones with a single row."""
        return {c for c, n in rows_of.items() if n == 1 and c not in known}

    def _statistics_are_stale(self, imported: int) -> bool:
        """Whether the import leaves the planner's statistics stale, as autovacuum (off on
        some servers) would judge it: rows changed since the last ANALYZE, these included,
        reaching a tenth of the table. ANALYZE of a large registry takes longer than
        importing 10,000 rows, so it is not repeated for every large import."""
        if imported < ANALYZE_FROM_ROWS or self.db.dialect != "postgres":
            return False
        with self.db.single_statement() as sql:
            rows = sql.query(
                "SELECT c.reltuples, s.n_mod_since_analyze FROM pg_class c "
                "LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid "
                "WHERE c.oid = 'registry_views'::regclass"
            )
        if not rows or rows[0][1] is None or float(rows[0][0]) < 0:
            return True  # never analysed
        table_rows, changed = float(rows[0][0]), int(rows[0][1])
        return changed + imported >= ANALYZE_SCALE_FACTOR * table_rows

    def _known_customers(self, tenant: str, customer_ids: list[str]) -> set[str]:
        return self.views.existing(tenant, "customer", customer_ids)

    def _existing(self, tenant: str, customer_id: str) -> Customer | None:
        try:
            customer: Customer = self.writer.get(customer_aggregate_id(tenant, customer_id))
        except NotFound:
            return None
        return customer


def _has_personal_data(grant: dict[str, Any]) -> bool:
    """Whether the row seals anything (a phone, or evidence, IP or user agent)."""
    source = grant["source"]
    return grant.get("phone") is not None or any(
        source.get(k) is not None for k in SEALED_SOURCE_FIELDS
    )
