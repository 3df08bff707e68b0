"""A batch of outcomes decided in memory (SPEC §11): each send's statuses as its
registry_sends row knows them plus what the batch adds before it, so the same status for
the same message is recorded once, whether it came earlier or earlier in this batch.

What the batch records comes out as prepared `Send` events (registry/store/prepared_sends.py),
one registry_sends row per send, the 131049 holds and the sends whose flags it sets.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from registry.domain.send import OUTCOME_STATUSES, new_outcome, send_aggregate_id
from registry.projections.send_reads import SendRow
from registry.projections.sends import send_flags_row
from registry.store.new_customers import PreparedEvent
from registry.store.prepared_sends import (
    Stamp,
    identity_state,
    opened,
    outcome_recorded,
)
from registry.usecases.feedback import Touched


@dataclass(frozen=True)
class Hold:
    """Error 131049: marketing to the customer on the channel held until `until`."""

    customer_id: str
    channel: str
    until: datetime
    authorization_id: str
    at: datetime


@dataclass
class _Send:
    row: SendRow
    send_id: UUID
    version: int  # after the batch's events so far
    known: set[str]  # statuses recorded, before or in this batch
    transcoded: dict[str, Any]  # the identity as the events' states hold it
    added: set[str] = field(default_factory=set)  # statuses this batch records


class OutcomeBatch:
    def __init__(self, tenant: str, source: str, stamp: Stamp) -> None:
        self.tenant = tenant
        self.source = source
        self.stamp = stamp
        self.events: list[PreparedEvent] = []
        self.holds: list[Hold] = []
        self.recorded = 0
        self.duplicates = 0
        self._sends: dict[str, _Send] = {}

    def record(
        self,
        row: SendRow,
        *,
        status: str,
        at: datetime,
        error_code: str | None,
        detail: str | None,
    ) -> bool:
        """Records `status` of the send of `row`; False (a duplicate) when it is known."""
        send = self._send(row)
        outcome = new_outcome(send.known, status, at, error_code)
        if outcome is None:
            self.duplicates += 1
            return False
        send.version += 1
        send.known.add(status)
        send.added.add(status)
        self.events.append(
            outcome_recorded(
                send.send_id,
                send.version,
                row.identity,
                outcome,
                detail=detail,
                message_ref=row.message_ref,
                source=self.source,
                stamp=self.stamp,
                transcoded=send.transcoded,
            )
        )
        if outcome.hold_until is not None:
            identity = row.identity
            self.holds.append(
                Hold(
                    identity.customer_id,
                    identity.channel,
                    outcome.hold_until,
                    identity.authorization_id,
                    at,
                )
            )
        self.recorded += 1
        return True

    def _send(self, row: SendRow) -> _Send:
        authorization_id = row.identity.authorization_id
        send = self._sends.get(authorization_id)
        if send is not None:
            return send
        send_id = send_aggregate_id(self.tenant, authorization_id)
        known = {status for status in OUTCOME_STATUSES if row.flags[status]}
        transcoded = identity_state(row.identity)
        send = _Send(row, send_id, row.send_version, known, transcoded)
        if row.send_version == 0:  # the send's first outcome opens it
            self.events.append(
                opened(
                    self.tenant,
                    send_id,
                    row.identity,
                    row.message_ref,
                    self.stamp,
                    transcoded=transcoded,
                )
            )
            send.version = 1
        self._sends[authorization_id] = send
        return send

    def touched(self) -> list[Touched]:
        """The sends whose outcomes this batch records, with the flags it sets (new ones)."""
        return [
            Touched(
                s.row.identity,
                set(s.added),
                before=frozenset(flag for flag, on in s.row.flags.items() if on),
            )
            for s in self._sends.values()
            if s.added
        ]

    def send_rows(self) -> list[tuple[Any, ...]]:
        """`UPSERT_SEND_FLAGS`' rows: one per send the batch writes events of."""
        return [
            send_flags_row(self.tenant, s.row.identity, s.row.message_ref, s.version, s.added)
            for s in self._sends.values()
            if s.version != s.row.send_version
        ]
