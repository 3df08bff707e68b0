"""A tenant's customer: consents per channel × purpose, profile, inbound messages,
suppression, authorized sends and erasure.

Personal data (phone, evidence, IP, user agent, free text) reaches this aggregate
already encrypted under the customer's data key; the domain never sees it in clear.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, TypeAlias
from uuid import UUID

from registry.domain import consent_book, customer_events
from registry.domain.base import RegistryAggregate, natural_id
from registry.domain.confirmation import Reply
from registry.domain.consent_book import consent_key as consent_key
from registry.domain.exceptions import CustomerErased


def customer_aggregate_id(tenant: str, customer_id: str) -> UUID:
    return natural_id(tenant, "customer", customer_id)


class Customer(RegistryAggregate):
    """v2 keeps each channel's last send, latest marketing sends and platform holds
    (`last_sends`, `marketing_at`, `holds`); v1 snapshots read back with none."""

    class_version = 2
    customer_id: str

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        state.setdefault("last_sends", {})
        state.setdefault("marketing_at", {})
        state.setdefault("holds", {})

    # The events, defined in registry/domain/customer_events.py (topics Customer.<Name>).
    Registered: TypeAlias = customer_events.Registered
    ConsentGranted: TypeAlias = customer_events.ConsentGranted
    ConsentWithdrawn: TypeAlias = customer_events.ConsentWithdrawn
    ConsentRequested: TypeAlias = customer_events.ConsentRequested
    ConsentConfirmed: TypeAlias = customer_events.ConsentConfirmed
    ProfileChanged: TypeAlias = customer_events.ProfileChanged
    InboundReceived: TypeAlias = customer_events.InboundReceived
    Suppressed: TypeAlias = customer_events.Suppressed
    Unsuppressed: TypeAlias = customer_events.Unsuppressed
    SendAuthorized: TypeAlias = customer_events.SendAuthorized
    PlatformPreferenceRecorded: TypeAlias = customer_events.PlatformPreferenceRecorded
    FeedbackAttributed: TypeAlias = customer_events.FeedbackAttributed
    PlatformUserCapped: TypeAlias = customer_events.PlatformUserCapped
    Erased: TypeAlias = customer_events.Erased

    def __init__(self, tenant: str, customer_id: str) -> None:
        self.tenant = tenant
        self.customer_id = customer_id
        self.consents: dict[str, dict[str, Any]] = {}
        self.profile: dict[str, Any] = {}
        self.last_inbound_at: dict[str, datetime] = {}
        self.recent_authorizations: list[datetime] = []
        self.last_sends: dict[str, dict[str, Any]] = {}
        self.marketing_at: dict[str, list[datetime | None]] = {}  # [previous, latest]
        self.holds: dict[str, datetime] = {}
        self.suppressed = False
        self.erased = False

    @classmethod
    def register(
        cls, tenant: str, customer_id: str, profile: dict[str, Any] | None = None
    ) -> Customer:
        """`profile` holds already-sealed values, as `change_profile`'s changes do."""
        customer: Customer = cls._create(
            cls.Registered,
            id=customer_aggregate_id(tenant, customer_id),
            tenant=tenant,
            customer_id=customer_id,
            profile=dict(profile or {}),
        )
        return customer

    def _refuse_if_erased(self) -> None:
        if self.erased:
            raise CustomerErased(f"customer {self.customer_id!r} was erased")

    def grant(
        self,
        *,
        receipt_id: str,
        channel: str,
        purposes: list[str],
        source: dict[str, Any],
        granted_at: datetime,
        expires_at: datetime | None,
    ) -> None:
        self._refuse_if_erased()
        self.trigger_event(
            self.ConsentGranted,
            receipt_id=receipt_id,
            channel=channel,
            purposes=purposes,
            source=source,
            granted_at=granted_at,
            expires_at=expires_at,
        )

    def withdraw(
        self, *, channel: str, purposes: list[str], source: dict[str, Any], withdrawn_at: datetime
    ) -> None:
        """Never refused, not even for an erased customer: an opt-out always lands."""
        self.trigger_event(
            self.ConsentWithdrawn,
            channel=channel,
            purposes=purposes,
            source=source,
            withdrawn_at=withdrawn_at,
        )

    def request_consent(
        self,
        *,
        receipt_id: str,
        channel: str,
        purposes: list[str],
        source: dict[str, Any],
        granted_at: datetime,
        expires_at: datetime | None,
        confirm_by: datetime,
    ) -> None:
        self._refuse_if_erased()
        self.trigger_event(
            self.ConsentRequested,
            receipt_id=receipt_id,
            channel=channel,
            purposes=purposes,
            source=source,
            granted_at=granted_at,
            expires_at=expires_at,
            confirm_by=confirm_by,
        )

    def pending(self, at: datetime, channel: str | None = None) -> dict[str, list[str]]:
        """Receipt id -> purposes still pending (unexpired at `at`), on `channel` or any."""
        return consent_book.pending(self.consents, at, channel)

    def confirm(self, receipt_id: str, source: dict[str, Any], at: datetime) -> bool:
        """Confirm the grant `receipt_id` if it is still pending at `at`; False (and no
        event) when it is not: confirmed already, expired, withdrawn or unknown."""
        purposes = self.pending(at).get(receipt_id)
        if not purposes or self.erased:
            return False
        channel = consent_book.channel_of_receipt(self.consents, receipt_id)
        self.trigger_event(
            self.ConsentConfirmed,
            receipt_id=receipt_id,
            channel=channel,
            purposes=purposes,
            source=source,
            confirmed_at=at,
        )
        return True

    def answer_reply(self, channel: str, reply: Reply) -> None:
        """YES, ДА, START or СТАРТ confirm every grant pending on the channel; with nothing
        pending, START, UNSTOP or СТАРТ re-grant what the last keyword opt-out there
        withdrew (source kind `keyword`, the message as evidence), and nothing else."""
        if self.erased:
            return
        source = {"kind": "keyword", "evidence": reply.evidence}
        pending = self.pending(reply.at, channel) if reply.confirms else {}
        for receipt_id in sorted(pending):
            self.confirm(receipt_id, source, reply.at)
        if pending or not reply.opts_in:
            return
        purposes = self.opt_back_in_purposes(channel, reply.at)
        if purposes:
            self.grant(
                receipt_id=reply.receipt_id,
                channel=channel,
                purposes=purposes,
                source=source,
                granted_at=reply.at,
                expires_at=None,
            )

    @property
    def keyword_opt_outs(self) -> Mapping[str, list[str]]:
        """Channel -> the purposes in force that the last keyword opt-out there withdrew
        (R-CONFIRM). Read from `__dict__`, so a customer restored from a snapshot taken
        before it was kept has none."""
        kept: Mapping[str, list[str]] = self.__dict__.get("_keyword_opt_outs", {})
        return kept

    def _remember_keyword_opt_out(
        self, channel: str, purposes: list[str], withdrawn_at: datetime
    ) -> None:
        in_force = consent_book.in_force_of(self.consents, channel, purposes, withdrawn_at)
        self._keyword_opt_outs = {**self.keyword_opt_outs, channel: in_force}

    def opt_back_in_purposes(self, channel: str, at: datetime) -> list[str]:
        """What an opt-in keyword re-grants: the purposes the last keyword opt-out on the
        channel withdrew that are not granted now."""
        withdrew = self.keyword_opt_outs.get(channel, [])
        return consent_book.not_granted_now(self.consents, channel, withdrew, at)

    def change_profile(self, changes: dict[str, Any]) -> None:
        self._refuse_if_erased()
        if changes:
            self.trigger_event(self.ProfileChanged, changes=changes)

    def receive_inbound(
        self, *, channel: str, received_at: datetime, text: str | None, opt_out_keyword: bool
    ) -> None:
        self.trigger_event(
            self.InboundReceived,
            channel=channel,
            received_at=received_at,
            text=text,
            opt_out_keyword=opt_out_keyword,
        )

    def suppress(self, reason: str | None) -> None:
        self.trigger_event(self.Suppressed, reason=reason)

    def unsuppress(self, reason: str | None) -> None:
        self._refuse_if_erased()
        self.trigger_event(self.Unsuppressed, reason=reason)

    def authorize_send(
        self,
        *,
        authorization_id: str,
        channel: str,
        template: dict[str, Any],
        purpose: str,
        authorized_at: datetime,
        message_ref: str | None,
        experiment: dict[str, str] | None = None,
        pilot: int | None = None,
    ) -> None:
        """`experiment`: `{name, arm}` when the template is an experiment arm's."""
        self._refuse_if_erased()
        self.trigger_event(
            self.SendAuthorized,
            authorization_id=authorization_id,
            channel=channel,
            template=template,
            purpose=purpose,
            authorized_at=authorized_at,
            message_ref=message_ref,
            experiment=experiment,
            pilot=pilot,
        )

    def record_platform_preference(self, category: str, value: str, recorded_at: datetime) -> None:
        self.trigger_event(
            self.PlatformPreferenceRecorded,
            category=category,
            value=value,
            recorded_at=recorded_at,
        )

    def attribute_feedback(
        self,
        *,
        kind: str,
        cause: str,
        at: datetime,
        source_kind: str | None,
        purposes: list[str],
        channel: str | None,
        within: timedelta,
    ) -> dict[str, Any] | None:
        """Attributes feedback to the most recent send on `channel` (None: any channel)
        authorized within `within` before `at`; returns that send, or None."""
        candidates = [
            (ch, send) for ch, send in self.last_sends.items() if channel is None or ch == channel
        ]
        in_window = [(ch, s) for ch, s in candidates if at - within <= s["authorized_at"] <= at]
        if not in_window:
            return None
        send_channel, send = max(in_window, key=lambda item: item[1]["authorized_at"])
        self.trigger_event(
            self.FeedbackAttributed,
            kind=kind,
            cause=cause,
            at=at,
            source_kind=source_kind,
            purposes=purposes,
            authorization_id=send["authorization_id"],
            channel=send_channel,
            template=send["template"],
            purpose=send["purpose"],
            authorized_at=send["authorized_at"],
        )
        return {**send, "channel": send_channel}

    def hold_for_platform_cap(
        self, *, channel: str, until: datetime, authorization_id: str, error_code: str, at: datetime
    ) -> None:
        self.trigger_event(
            self.PlatformUserCapped,
            channel=channel,
            until=until,
            authorization_id=authorization_id,
            error_code=error_code,
            at=at,
        )

    def erase(self, reason: str | None) -> None:
        if not self.erased:
            self.trigger_event(self.Erased, reason=reason)
