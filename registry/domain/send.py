"""One authorized send and what became of it (SPEC §11, R-OUTCOME).

The authorization itself is `Customer.SendAuthorized` (it counts against the customer's
daily limit there). Its `Send` aggregate is opened by the first outcome or message-ref
attach, and every event repeats the send's identity (`SendIdentity`: authorization,
customer, channel, template name/language/version, purpose, authorized_at), so that a
reader of the log alone can count every figure of the stats without joining events.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Any, Final, NamedTuple
from uuid import UUID

from registry.domain.base import RegistryAggregate, natural_id
from registry.domain.exceptions import Conflict

OUTCOME_STATUSES: Final = (
    "sent",
    "delivered",
    "read",
    "failed",
    "clicked",
    "replied",
    "converted",
    "complained",
)
PLATFORM_USER_CAP_ERROR: Final = "131049"
PLATFORM_USER_CAP_HOLD: Final = timedelta(hours=24)


def send_aggregate_id(tenant: str, authorization_id: str) -> UUID:
    return natural_id(tenant, "send", authorization_id)


class NewOutcome(NamedTuple):
    """What recording a status adds to a send (the rule `Send.record_outcome` and the
    batch path of registry/usecases/outcome_batch.py share)."""

    status: str
    at: datetime
    error_code: str | None
    hold_until: datetime | None  # error 131049: marketing held on the channel until then


def new_outcome(
    known: Collection[str], status: str, at: datetime, error_code: str | None
) -> NewOutcome | None:
    """A status is recorded once per send: None when `known` has it already."""
    if status in known:
        return None
    hold_until = at + PLATFORM_USER_CAP_HOLD if error_code == PLATFORM_USER_CAP_ERROR else None
    return NewOutcome(status, at, error_code, hold_until)


class MessageRefConflict(Conflict):
    code = "message_ref_conflict"


class SendIdentity(NamedTuple):
    authorization_id: str
    customer_id: str
    channel: str
    template: dict[str, Any]  # {name, language, version}
    purpose: str
    authorized_at: datetime

    def fields(self) -> dict[str, Any]:
        return {
            "authorization_id": self.authorization_id,
            "customer_id": self.customer_id,
            "channel": self.channel,
            "template": dict(self.template),
            "purpose": self.purpose,
            "authorized_at": self.authorized_at,
        }


class FlagChange(NamedTuple):
    """A write's change to a send's recorded flags (outcome statuses, attributed feedback)."""

    identity: SendIdentity
    before: frozenset[str]  # the flags its committed row has
    added: frozenset[str]  # those the write sets that it does not have yet


class Send(RegistryAggregate):
    authorization_id: str

    class Opened(RegistryAggregate.Created):
        authorization_id: str
        customer_id: str
        channel: str
        template: dict[str, Any]
        purpose: str
        authorized_at: datetime
        message_ref: str | None

    class MessageRefAttached(RegistryAggregate.Event):
        authorization_id: str
        customer_id: str
        channel: str
        template: dict[str, Any]
        purpose: str
        authorized_at: datetime
        message_ref: str

        def apply(self, send: Send) -> None:
            send.message_ref = self.message_ref

    class OutcomeRecorded(RegistryAggregate.Event):
        authorization_id: str
        customer_id: str
        channel: str
        template: dict[str, Any]
        purpose: str
        authorized_at: datetime
        status: str
        at: datetime
        error_code: str | None
        detail: str | None  # sealed with the customer's data key
        message_ref: str | None
        source: str  # api | whatsapp
        hold_until: datetime | None  # error 131049: marketing held on this channel until then

        def apply(self, send: Send) -> None:
            send.statuses[self.status] = self.at
            send.hold_until = self.hold_until

    def __init__(
        self,
        tenant: str,
        authorization_id: str,
        customer_id: str,
        channel: str,
        template: dict[str, Any],
        purpose: str,
        authorized_at: datetime,
        message_ref: str | None,
    ) -> None:
        self.tenant = tenant
        self.authorization_id = authorization_id
        self.customer_id = customer_id
        self.channel = channel
        self.template = template
        self.purpose = purpose
        self.authorized_at = authorized_at
        self.message_ref = message_ref
        self.statuses: dict[str, datetime] = {}
        self.hold_until: datetime | None = None  # of the last outcome recorded

    @classmethod
    def open(cls, tenant: str, identity: SendIdentity, message_ref: str | None) -> Send:
        send: Send = cls._create(
            cls.Opened,
            id=send_aggregate_id(tenant, identity.authorization_id),
            tenant=tenant,
            message_ref=message_ref,
            **identity.fields(),
        )
        return send

    @property
    def identity(self) -> SendIdentity:
        return SendIdentity(
            self.authorization_id,
            self.customer_id,
            self.channel,
            self.template,
            self.purpose,
            self.authorized_at,
        )

    def attach_message_ref(self, message_ref: str) -> None:
        """Once: the same value again changes nothing, a different one is a conflict."""
        if self.message_ref == message_ref:
            return
        if self.message_ref is not None:
            raise MessageRefConflict(
                f"authorization {self.authorization_id} already has a message_ref",
                message_ref=["already attached; a different value cannot replace it"],
            )
        self.trigger_event(
            self.MessageRefAttached, message_ref=message_ref, **self.identity.fields()
        )

    def record_outcome(
        self,
        *,
        status: str,
        at: datetime,
        error_code: str | None,
        detail: str | None,
        source: str,
    ) -> bool:
        """Records `status` once per send; False (nothing recorded) when already known."""
        outcome = new_outcome(self.statuses, status, at, error_code)
        if outcome is None:
            return False
        self.trigger_event(
            self.OutcomeRecorded,
            status=status,
            at=at,
            error_code=error_code,
            detail=detail,
            message_ref=self.message_ref,
            source=source,
            hold_until=outcome.hold_until,
            **self.identity.fields(),
        )
        return True
