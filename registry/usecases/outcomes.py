"""R-OUTCOME use cases (SPEC §11): message refs, outcomes of sends (the API's batches and
WhatsApp's `statuses[]`), and an authorization with its outcomes.

A batch is one transaction: every `Send` it touches (restored from its registry_sends row,
no event-store read), the customers held by error 131049, and the Template and Channel
changes its figures cause (registry/usecases/feedback.py). A concurrent write to any of
them fails the insert, and the batch is decided again from the committed rows.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from eventsourcing.domain import Snapshot
from eventsourcing.persistence import IntegrityError
from eventsourcing.utils import get_topic

from registry.clock import Clock
from registry.crypto import blind_index, open_sealed, seal
from registry.domain.base import RegistryAggregate
from registry.domain.customer import Customer
from registry.domain.exceptions import Conflict, InvalidRequest, NotFound
from registry.domain.send import OUTCOME_STATUSES, Send, send_aggregate_id
from registry.integrations.whatsapp_changes import MessageStatus, PhoneNumberLimitChanged
from registry.keys import derive
from registry.projections.send_reads import SendRow, authorizations_by_ref, sends_by_id
from registry.store.unit_of_work import WriteSet
from registry.timefmt import iso, jsonable
from registry.usecases.authorizing import customer_from_view
from registry.usecases.feedback import FeedbackRules, Touched
from registry.usecases.limits import LimitService

MAX_ATTEMPTS = 20
_SEND_TOPIC = get_topic(Send)
_MARK_SEEN = (
    "INSERT INTO registry_webhook_seen (tenant, dedupe_key) VALUES (?, ?) "
    "ON CONFLICT (tenant, dedupe_key) DO NOTHING"
)
_KEEP_UNKNOWN = (
    "INSERT INTO registry_outcomes_unknown (tenant, received_at, source, reason, item) "
    "VALUES (?, ?, ?, ?, ?)"
)


class MessageRefInUse(Conflict):
    code = "message_ref_in_use"


@dataclass
class Identities:
    """What a WhatsApp status says about its recipient: (wa_id, user_id) per item index."""

    by_item: dict[int, tuple[str | None, str | None]] = field(default_factory=dict)


def send_from_row(tenant: str, row: SendRow, now: datetime) -> Send:
    """The send at its row's version, as from a snapshot (the row commits with its events)."""
    identity = row.identity
    snapshot = Snapshot(
        originator_id=send_aggregate_id(tenant, identity.authorization_id),
        originator_version=row.send_version,
        timestamp=now,
        topic=_SEND_TOPIC,
        state={
            "_created_on": None,
            "_modified_on": None,
            "tenant": tenant,
            **identity.fields(),
            "message_ref": row.message_ref,
            "statuses": {s: None for s in OUTCOME_STATUSES if row.flags[s]},
        },
    )
    return cast(Send, snapshot.mutate(None))


class OutcomeService:
    def __init__(self, core: Any, clock: Clock) -> None:
        self.core = core
        self.clock = clock
        self.feedback = FeedbackRules(core, clock)
        self.limit_reads = LimitService(core, clock)

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

    # ---- message refs -------------------------------------------------------------------

    def attach_message_ref(self, tenant: str, authorization_id: str, ref: str) -> dict[str, Any]:
        for _ in range(MAX_ATTEMPTS):
            with self.core.db.transaction() as sql:
                row = sends_by_id(sql, tenant, [authorization_id]).get(authorization_id)
                owner = authorizations_by_ref(sql, tenant, [ref]).get(ref)
                position = self.core.db.max_position(sql)
            if row is None:
                raise NotFound(f"authorization {authorization_id!r} not found")
            if owner is not None and owner != authorization_id:
                raise MessageRefInUse(
                    "this message_ref names another authorization",
                    message_ref=["already attached to another authorization"],
                )
            send = self._send(tenant, row)
            send.attach_message_ref(ref)
            body = {"authorization_id": authorization_id, "message_ref": ref}
            if not send.pending_events:
                return {**body, "position": position}
            try:
                return self._save(tenant, [send], body)
            except IntegrityError:
                continue
        raise RuntimeError("too many concurrent writes to one send")

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

    def _record(
        self,
        tenant: str,
        items: Sequence[dict[str, Any]],
        source: str,
        identities: Identities,
        dedupe_keys: Sequence[str] | None,
    ) -> dict[str, Any]:
        now = self.clock.now()
        rows = self._rows(tenant, items)
        seen = self._seen_unknown(tenant, rows, dedupe_keys)
        sends: dict[str, Send] = {}
        touched: dict[str, Touched] = {}
        unknown: list[tuple[str, dict[str, Any]]] = []
        holds: list[tuple[Send, datetime, datetime]] = []
        index_rows: list[tuple[str, str]] = []
        recorded = duplicates = 0
        marks: list[tuple[str, list[Any]]] = []
        details = self._sealers(tenant, items, rows)
        for index, item in enumerate(items):
            row = rows[index]
            if row is None:
                key = None if dedupe_keys is None else dedupe_keys[index]
                if key is not None and key in seen:
                    duplicates += 1
                    continue
                if key is not None:
                    seen.add(key)
                    marks.append((_MARK_SEEN, [tenant, key]))
                unknown.append(_unknown_reason(item))
                index_rows += self._known_pairing(tenant, identities.by_item.get(index))
                continue
            authorization_id = row.identity.authorization_id
            send = sends.get(authorization_id) or sends.setdefault(
                authorization_id, self._send(tenant, row, now)
            )
            at = item.get("at") or now
            detail = item.get("detail")
            if send.record_outcome(
                status=item["status"],
                at=at,
                error_code=_text(item.get("error_code")),
                detail=None if detail is None else details[row.identity.customer_id](detail),
                source=source,
            ):
                recorded += 1
                touched.setdefault(authorization_id, Touched(row.identity)).flags.add(
                    item["status"]
                )
                until = send.hold_until
                if until is not None:
                    holds.append((send, until, at))
            else:
                duplicates += 1
            index_rows += self._pairing(tenant, row, identities.by_item.get(index))
        aggregates: list[RegistryAggregate] = [s for s in sends.values() if s.pending_events]
        aggregates += self._holds(tenant, holds)
        if touched:
            aggregates += self.feedback.judge(tenant, list(touched.values()), self._policy(tenant))
        body = {"recorded": recorded, "duplicates": duplicates, "unknown": len(unknown)}
        kept = [self._kept(tenant, source, reason, item, now) for reason, item in unknown]
        kept += marks
        if not aggregates:
            return {**body, "position": self._write_rows(tenant, kept, index_rows)}
        return self._save(tenant, aggregates, body, rows=kept, index_rows=index_rows)

    def _rows(self, tenant: str, items: Sequence[dict[str, Any]]) -> list[SendRow | None]:
        ids = [i["authorization_id"] for i in items if i.get("authorization_id")]
        refs = [
            i["message_ref"]
            for i in items
            if not i.get("authorization_id") and i.get("message_ref")
        ]
        with self.core.db.transaction() as sql:
            by_ref = authorizations_by_ref(sql, tenant, refs)
            found = sends_by_id(sql, tenant, [*ids, *by_ref.values()])
        return [
            found.get(i.get("authorization_id") or by_ref.get(i.get("message_ref") or "", ""))
            for i in items
        ]

    def _send(self, tenant: str, row: SendRow, now: datetime | None = None) -> Send:
        if row.send_version == 0:
            return Send.open(tenant, row.identity, row.message_ref)
        return send_from_row(tenant, row, now or self.clock.now())

    def _sealers(
        self, tenant: str, items: Sequence[dict[str, Any]], rows: Sequence[SendRow | None]
    ) -> dict[str, Callable[[str], str | None]]:
        wanted = sorted(
            {
                r.identity.customer_id
                for i, r in zip(items, rows, strict=True)
                if r and i.get("detail")
            }
        )
        keys: dict[str, bytes] = self.core.data_keys(tenant, wanted, create=True) if wanted else {}

        def sealer(customer_id: str) -> Callable[[str], str | None]:
            key = keys[customer_id]
            return lambda text: seal(key, text, context=f"{tenant}/{customer_id}")

        return {c: sealer(c) for c in wanted}

    def _holds(self, tenant: str, holds: list[tuple[Send, datetime, datetime]]) -> list[Customer]:
        """Error 131049 holds marketing to the customer on the channel (`platform_user_cap`)."""
        if not holds:
            return []
        ids = sorted({send.customer_id for send, _, _ in holds})
        docs, _ = self.core.read_views(tenant, [("customer", c) for c in ids])
        customers = {
            c: customer_from_view(tenant, docs[("customer", c)])
            for c in ids
            if ("customer", c) in docs
        }
        for send, until, at in holds:
            customer = customers.get(send.customer_id)
            if customer is not None:
                customer.hold_for_platform_cap(
                    channel=send.channel,
                    until=until,
                    authorization_id=send.authorization_id,
                    error_code="131049",
                    at=at,
                )
        return list(customers.values())

    def _pairing(
        self, tenant: str, row: SendRow, identity: tuple[str | None, str | None] | None
    ) -> list[tuple[str, str]]:
        """A status naming both the phone and the platform's user id teaches the pairing:
        both find the send's customer from now on (a later phone-less STOP, R-WEBHOOK)."""
        if identity is None or None in identity:
            return []
        wa_id, user_id = identity
        key = self.core.keyring.blind_index_key
        customer = row.identity.customer_id
        return [
            (blind_index(key, tenant, "wa", str(wa_id)), customer),
            (blind_index(key, tenant, "uid", str(user_id)), customer),
        ]

    def _known_pairing(
        self, tenant: str, identity: tuple[str | None, str | None] | None
    ) -> list[tuple[str, str]]:
        """For a status of a message the registry never saw: the pairing, when its phone
        (or user id) already names a customer."""
        if identity is None or None in identity:
            return []
        wa_id, user_id = str(identity[0]), str(identity[1])
        key = self.core.keyring.blind_index_key
        blinds = (blind_index(key, tenant, "wa", wa_id), blind_index(key, tenant, "uid", user_id))
        with self.core.db.transaction() as sql:
            found = [
                sql.scalar(
                    "SELECT customer_id FROM registry_customer_index WHERE tenant = ? AND blind = ?",
                    [tenant, blind],
                )
                for blind in blinds
            ]
        customer = found[0] or found[1]
        return [(blind, str(customer)) for blind in blinds] if customer else []

    def _seen_unknown(
        self, tenant: str, rows: Sequence[SendRow | None], keys: Sequence[str] | None
    ) -> set[str]:
        if keys is None:
            return set()
        wanted = [key for key, row in zip(keys, rows, strict=True) if row is None]
        if not wanted:
            return set()
        with self.core.db.transaction() as sql:
            found = sql.query_in(
                "SELECT dedupe_key FROM registry_webhook_seen WHERE tenant = ?",
                [tenant],
                "dedupe_key",
                sorted(set(wanted)),
            )
        return {str(key) for (key,) in found}

    # ---- WhatsApp -----------------------------------------------------------------------

    def record_whatsapp_statuses(
        self, tenant: str, statuses: Sequence[MessageStatus]
    ) -> dict[str, Any]:
        """`statuses[]` matched to sends by message id (actor `platform:whatsapp`)."""
        items = [
            {
                "message_ref": status.message_id,
                "status": status.status,
                "at": status.occurred_at,
                "error_code": _error_code(status.error_codes),
            }
            for status in statuses
        ]
        identities = Identities(
            {
                index: (status.wa_id, status.user_id)
                for index, status in enumerate(statuses)
                if status.wa_id and status.user_id
            }
        )
        keys = [f"whatsapp:{status.dedupe_key}" for status in statuses]
        return self.record_outcomes(
            tenant, items, source="whatsapp", identities=identities, dedupe_keys=keys
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

    def _policy(self, tenant: str) -> Any:
        docs, _ = self.core.read_views(tenant, [("tenant", "")])
        return self.core.policy_of(tenant, docs.get(("tenant", "")))[0].feedback

    # ---- writing ------------------------------------------------------------------------

    def _save(
        self,
        tenant: str,
        aggregates: Sequence[RegistryAggregate],
        body: dict[str, Any],
        *,
        rows: Sequence[tuple[str, list[Any]]] = (),
        index_rows: Sequence[tuple[str, str]] = (),
    ) -> dict[str, Any]:
        write_set: WriteSet = self.core._write_set(tenant, list(aggregates), body, None)
        write_set.rows += rows
        write_set.index_rows += index_rows
        events = [event for aggregate in aggregates for event in aggregate.collect_events()]
        stored = [self.core.mapper.to_stored_event(event) for event in events]
        return dict(
            self.core.write_stored(
                tenant, stored, write_set, body, aggregates=aggregates, events=events
            )
        )

    def _write_rows(
        self,
        tenant: str,
        rows: Sequence[tuple[str, list[Any]]],
        index_rows: Sequence[tuple[str, str]],
    ) -> int:
        with self.core.db.transaction(commit=bool(rows or index_rows)) as sql:
            for statement, params in rows:
                sql.execute(statement, params)
            sql.executemany(
                "INSERT INTO registry_customer_index (tenant, blind, customer_id) VALUES (?, ?, ?) "
                "ON CONFLICT (tenant, blind) DO UPDATE SET customer_id = excluded.customer_id",
                [(tenant, blind, customer) for blind, customer in index_rows],
            )
            return int(self.core.db.max_position(sql))

    def _secret_key(self, tenant: str) -> bytes:
        return derive(self.core.keyring.master_data_key, f"tenant secrets {tenant}")

    def _kept(
        self, tenant: str, source: str, reason: str, item: dict[str, Any], now: datetime
    ) -> tuple[str, list[Any]]:
        text = json.dumps(jsonable(item), ensure_ascii=False, sort_keys=True)
        sealed = seal(self._secret_key(tenant), text, context=f"{tenant}/outcomes-unknown")
        return _KEEP_UNKNOWN, [tenant, iso(now), source, reason, sealed]

    # ---- reads --------------------------------------------------------------------------

    def unknown_outcomes(self, tenant: str, *, limit: int, after_id: int) -> dict[str, Any]:
        key = self._secret_key(tenant)
        with self.core.db.transaction() as sql:
            rows = sql.query(
                "SELECT id, received_at, source, reason, item FROM registry_outcomes_unknown "
                "WHERE tenant = ? AND id > ? ORDER BY id LIMIT ?",
                [tenant, after_id, limit],
            )
            position = self.core.db.max_position(sql)
        items = [
            {
                "id": int(i),
                "received_at": received,
                "source": src,
                "reason": reason,
                "item": json.loads(open_sealed(key, sealed, context=f"{tenant}/outcomes-unknown")),
            }
            for i, received, src, reason, sealed in rows
        ]
        return {"items": items, "position": position}

    def authorization(
        self, tenant: str, authorization_id: str, min_position: int | None = None
    ) -> dict[str, Any]:
        with self.core.db.transaction() as sql:
            position = self.core.db.max_position(sql)
            row = sends_by_id(sql, tenant, [authorization_id]).get(authorization_id)
        if min_position is not None and min_position > position:
            raise InvalidRequest(
                f"min_position {min_position} is ahead of the log (at {position})",
                min_position=[f"the log is at position {position}"],
            )
        if row is None:
            raise NotFound(f"authorization {authorization_id!r} not found")
        identity = row.identity
        outcomes: list[dict[str, Any]] = []
        if row.send_version:
            docs, _ = self.core.read_views(tenant, [("customer", identity.customer_id)])
            erased = bool((docs.get(("customer", identity.customer_id)) or {}).get("erased"))
            opener = self.core.opener(tenant, identity.customer_id, erased)
            history = self.core.aggregate_history(
                str(send_aggregate_id(tenant, authorization_id)),
                after_position=0,
                limit=1000,
                open_value=opener,
            )
            outcomes = [
                _outcome(entry) for entry in history if entry["type"] == "Send.OutcomeRecorded"
            ]
        return {
            "authorization_id": authorization_id,
            "customer_id": identity.customer_id,
            "channel": identity.channel,
            "template": identity.template,
            "purpose": identity.purpose,
            "authorized_at": iso(identity.authorized_at),
            "message_ref": row.message_ref,
            "outcomes": outcomes,
            "opted_out": row.flags["opted_out"],
            "suppressed": row.flags["suppressed"],
            "position": position,
        }


def _outcome(entry: dict[str, Any]) -> dict[str, Any]:
    data = entry["data"]
    return {
        "status": data["status"],
        "at": iso_text(data.get("at")),
        "error_code": data.get("error_code"),
        "detail": data.get("detail"),
        "source": data.get("source"),
        "hold_until": iso_text(data.get("hold_until")),
        "recorded_at": entry["occurred_at"],
        "actor": entry["actor"],
        "position": entry["position"],
    }


def iso_text(value: Any) -> str | None:
    from registry.timefmt import parse_iso

    return None if value is None else iso(parse_iso(str(value)))


def _error_code(codes: Sequence[str]) -> str | None:
    """The code an outcome records: the per-user cap's if present, else the first."""
    if "131049" in codes:
        return "131049"
    return codes[0] if codes else None


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _unknown_reason(item: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    if item.get("authorization_id"):
        return "no authorization with this authorization_id", item
    return "no authorization with this message_ref", item
