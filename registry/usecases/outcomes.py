"""R-OUTCOME use cases (SPEC §11): message refs, outcomes of sends (the API's batches and
WhatsApp's `statuses[]`), and an authorization with its outcomes.

A batch is one read and one transaction. The read takes every send it names (refs joined
to their registry_sends rows), the unknown items' dedupe marks and the pairings it may
learn; the batch is then decided in memory (registry/usecases/outcome_batch.py) and
written at once: its `Send` events prepared without aggregates and inserted in bulk, one
registry_sends row per send, the customers held by error 131049, and the Template and
Channel changes its figures cause (registry/usecases/feedback.py). A concurrent write to
any of them fails the insert, and the batch is decided again from the committed rows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from eventsourcing.persistence import IntegrityError

from registry.clock import Clock
from registry.crypto import seal
from registry.domain.base import (
    RegistryAggregate,
    current_actor,
    current_request_id,
    events_stamped_by,
)
from registry.domain.customer import Customer
from registry.domain.exceptions import InvalidRequest
from registry.domain.send import OUTCOME_STATUSES, PLATFORM_USER_CAP_ERROR
from registry.integrations.whatsapp_changes import MessageStatus, PhoneNumberLimitChanged
from registry.projections.send_reads import SendRow, sends_by_id, sends_by_ref
from registry.projections.sends import write_send_flags
from registry.store.prepared_sends import BatchWriteSet, Stamp
from registry.usecases.authorization_view import authorization_with_outcomes
from registry.usecases.authorizing import customer_from_view
from registry.usecases.feedback import FeedbackRules
from registry.usecases.limits import LimitService
from registry.usecases.message_refs import attach_message_ref
from registry.usecases.outcome_batch import Hold, OutcomeBatch
from registry.usecases.unknown_outcomes import MARK_SEEN, Statement, UnknownOutcomes
from registry.usecases.whatsapp_statuses import Identities, Pairings, status_items

if TYPE_CHECKING:
    from registry.keys import KeyRing
    from registry.personal_data import PersonalDataKeys
    from registry.projections.reader import ViewReader
    from registry.store.database import Database
    from registry.store.writer import EventWriter
    from registry.usecases.policy import PolicyService

MAX_ATTEMPTS = 20


class OutcomeService:
    def __init__(
        self,
        writer: EventWriter,
        views: ViewReader,
        keys: PersonalDataKeys,
        policies: PolicyService,
        db: Database,
        keyring: KeyRing,
        clock: Clock,
    ) -> None:
        self.writer = writer
        self.views = views
        self.keys = keys
        self.policies = policies
        self.db = db
        self.keyring = keyring
        self.clock = clock
        self.feedback = FeedbackRules(writer, views, policies, db, clock)
        self.limit_reads = LimitService(writer, views, policies, db, clock)
        self.unknown = UnknownOutcomes(db, keyring)

    # ---- reads of R-THROTTLE (registry/usecases/limits.py) --------------------------------

    def template_stats(
        self,
        tenant: str,
        name: str,
        language: str,
        since: datetime | None = None,
        until: datetime | None = None,
        *,
        min_position: int | None = None,
    ) -> dict[str, Any]:
        return self.limit_reads.template_stats(
            tenant, name, language, since=since, until=until, min_position=min_position
        )

    def limits(self, tenant: str, min_position: int | None = None) -> dict[str, Any]:
        return self.limit_reads.limits(tenant, min_position)

    # ---- message refs and reads of one authorization ------------------------------------

    def attach_message_ref(self, tenant: str, authorization_id: str, ref: str) -> dict[str, Any]:
        return attach_message_ref(
            self.writer, self.db, tenant, authorization_id, ref, self.clock.now()
        )

    def authorization(
        self, tenant: str, authorization_id: str, min_position: int | None = None
    ) -> dict[str, Any]:
        return authorization_with_outcomes(
            self.db, self.views, self.keys, tenant, authorization_id, min_position
        )

    def unknown_outcomes(self, tenant: str, *, limit: int, after_id: int) -> dict[str, Any]:
        return self.unknown.page(tenant, limit=limit, after_id=after_id)

    # ---- outcomes -----------------------------------------------------------------------

    def record_outcomes(
        self,
        tenant: str,
        items: Sequence[dict[str, Any]],
        *,
        source: str = "api",
        identities: Identities | None = None,
        dedupe_keys: Sequence[str] | None = None,
    ) -> dict[str, Any]:
        """`dedupe_keys` (webhooks): an item naming no known send is kept once per key."""
        for index, item in enumerate(items):
            if item.get("status") not in OUTCOME_STATUSES:
                raise InvalidRequest(
                    f"items[{index}].status is not an outcome status",
                    **{f"items.{index}.status": [f"must be one of {', '.join(OUTCOME_STATUSES)}"]},
                )
        for _ in range(MAX_ATTEMPTS):
            try:
                return self._record(tenant, items, source, identities or Identities(), dedupe_keys)
            except IntegrityError:
                continue
        raise RuntimeError("too many concurrent writes to these sends")

    def record_whatsapp_statuses(
        self, tenant: str, statuses: Sequence[MessageStatus]
    ) -> dict[str, Any]:
        """`statuses[]` matched to sends by message id (actor `platform:whatsapp`)."""
        found = status_items(statuses)
        return self.record_outcomes(
            tenant,
            found.items,
            source="whatsapp",
            identities=found.identities,
            dedupe_keys=found.dedupe_keys,
        )

    def record_phone_limit(
        self, tenant: str, change: PhoneNumberLimitChanged, dedupe: str
    ) -> dict[str, Any]:
        return self.limit_reads.record_platform_limit(
            tenant,
            "whatsapp",
            dedupe_key=dedupe,
            limit=change.limit,
            tier=change.tier,
            previous_tier=change.previous_tier,
            event=change.event,
            quality=change.quality,
            display_phone_number=change.display_phone_number,
            at=change.occurred_at or self.clock.now(),
        )

    # ---- one batch: read, decide, write -------------------------------------------------

    def _record(
        self,
        tenant: str,
        items: Sequence[dict[str, Any]],
        source: str,
        identities: Identities,
        dedupe_keys: Sequence[str] | None,
    ) -> dict[str, Any]:
        now = self.clock.now()
        batch = OutcomeBatch(tenant, source, Stamp(current_actor(), current_request_id(), now))
        pairings = Pairings(tenant, self.keyring.blind_index_key)
        with self.db.transaction() as sql:
            rows = _rows(sql, tenant, items)
            strangers = [i for i, row in enumerate(rows) if row is None]
            keys = [] if dedupe_keys is None else [dedupe_keys[i] for i in strangers]
            seen = self.unknown.seen(sql, tenant, keys)
            pairings.look_up(
                sql, [identities.by_item[i] for i in strangers if i in identities.by_item]
            )
        details = self._sealers(tenant, items, rows)
        kept: list[Statement] = []
        unknown = 0
        for index, item in enumerate(items):
            row, identity = rows[index], identities.by_item.get(index)
            if row is not None:
                detail = item.get("detail")
                batch.record(
                    row,
                    status=item["status"],
                    at=item.get("at") or now,
                    error_code=_text(item.get("error_code")),
                    detail=None if detail is None else details[row.identity.customer_id](detail),
                )
                pairings.of_send(row.identity.customer_id, identity)
                continue
            key = None if dedupe_keys is None else dedupe_keys[index]
            if key is not None and key in seen:
                batch.duplicates += 1
                continue
            if key is not None:
                seen.add(key)
                kept.append((MARK_SEEN, [tenant, key]))
            kept.append(self.unknown.kept(tenant, source, item, now))
            unknown += 1
            pairings.of_unknown_message(identity)
        index_rows = pairings.rows
        body = {"recorded": batch.recorded, "duplicates": batch.duplicates, "unknown": unknown}
        with events_stamped_by(lambda: now):
            aggregates = self._held(tenant, batch.holds)
            touched = batch.touched()
            if touched:
                aggregates += self.feedback.judge(tenant, touched, self._feedback_policy(tenant))
        if not batch.events and not aggregates:
            return {**body, "position": self._write_rows(tenant, kept, index_rows)}
        write_set = BatchWriteSet.extending(self.writer.write_set(tenant, aggregates, body, None))
        write_set.rows += kept
        write_set.index_rows += index_rows
        send_rows = batch.send_rows()
        write_set.bulk_rows.append(lambda sql: write_send_flags(sql, send_rows))
        events = [event for aggregate in aggregates for event in aggregate.collect_events()]
        stored = [*batch.events, *self.writer.to_stored(events)]
        return dict(
            self.writer.write_stored(
                tenant, stored, write_set, body, aggregates=aggregates, events=events
            )
        )

    def _sealers(
        self, tenant: str, items: Sequence[dict[str, Any]], rows: Sequence[SendRow | None]
    ) -> dict[str, Callable[[str], str | None]]:
        """A free-text `detail` is sealed with its customer's data key."""
        wanted = sorted(
            {
                r.identity.customer_id
                for i, r in zip(items, rows, strict=True)
                if r and i.get("detail")
            }
        )
        keys: dict[str, bytes] = self.keys.data_keys(tenant, wanted, create=True) if wanted else {}

        def sealer(customer_id: str) -> Callable[[str], str | None]:
            key = keys[customer_id]
            return lambda text: seal(key, text, context=f"{tenant}/{customer_id}")

        return {c: sealer(c) for c in wanted}

    def _held(self, tenant: str, holds: Sequence[Hold]) -> list[RegistryAggregate]:
        """Error 131049 holds marketing to the customer on the channel (`platform_user_cap`)."""
        if not holds:
            return []
        ids = sorted({hold.customer_id for hold in holds})
        docs, _ = self.views.read(tenant, [("customer", c) for c in ids])
        customers: dict[str, Customer] = {
            c: customer_from_view(tenant, docs[("customer", c)])
            for c in ids
            if ("customer", c) in docs
        }
        for hold in holds:
            customer = customers.get(hold.customer_id)
            if customer is not None:
                customer.hold_for_platform_cap(
                    channel=hold.channel,
                    until=hold.until,
                    authorization_id=hold.authorization_id,
                    error_code=PLATFORM_USER_CAP_ERROR,
                    at=hold.at,
                )
        return list(customers.values())

    def _feedback_policy(self, tenant: str) -> Any:
        docs, _ = self.views.read(tenant, [("tenant", "")])
        return self.policies.policy_of(tenant, docs.get(("tenant", "")))[0].feedback

    def _write_rows(
        self, tenant: str, rows: Sequence[Statement], index_rows: Sequence[tuple[str, str]]
    ) -> int:
        """Only unknown items and pairings (no event): their rows, and the log's position."""
        with self.db.transaction(commit=bool(rows or index_rows)) as sql:
            for statement, params in rows:
                sql.execute(statement, params)
            sql.executemany(
                "INSERT INTO registry_customer_index (tenant, blind, customer_id) VALUES (?, ?, ?) "
                "ON CONFLICT (tenant, blind) DO UPDATE SET customer_id = excluded.customer_id",
                [(tenant, blind, customer) for blind, customer in index_rows],
            )
            return int(self.db.max_position(sql))


def _rows(sql: Any, tenant: str, items: Sequence[dict[str, Any]]) -> list[SendRow | None]:
    """Each item's send: by authorization id, else by message ref."""
    ids = [i["authorization_id"] for i in items if i.get("authorization_id")]
    refs = [
        i["message_ref"] for i in items if not i.get("authorization_id") and i.get("message_ref")
    ]
    by_id = sends_by_id(sql, tenant, ids)
    by_ref = sends_by_ref(sql, tenant, refs)
    return [
        by_id.get(i["authorization_id"])
        if i.get("authorization_id")
        else by_ref.get(i.get("message_ref") or "")
        for i in items
    ]


def _text(value: Any) -> str | None:
    return None if value is None else str(value)
