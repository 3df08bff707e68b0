"""A tenant's customer: consents per channel × purpose, profile, inbound messages,
suppression, authorized sends and erasure.

Personal data (phone, evidence, IP, user agent, free text) reaches this aggregate
already encrypted under the customer's data key; the domain never sees it in clear.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from registry.domain.base import RegistryAggregate, natural_id
from registry.domain.confirmation import Reply
from registry.domain.exceptions import CustomerErased
from registry.domain.rules.consent import consent_status
from registry.domain.rules.daily_limit import kept_authorizations
from registry.domain.vocabulary import NON_TRANSACTIONAL


def customer_aggregate_id(tenant: str, customer_id: str) -> UUID:
    return natural_id(tenant, "customer", customer_id)


def consent_key(channel: str, purpose: str) -> str:
    return f"{channel}:{purpose}"


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

    class Registered(RegistryAggregate.Created):
        """v2 carries the profile a customer arrives with (an import), so a new
        customer is one event, not two; v1 events read back with an empty profile."""

        class_version = 2
        customer_id: str
        profile: dict[str, Any]

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["profile"] = {}

        def apply(self, customer: Customer) -> None:
            customer.profile.update(self.profile)

    class ConsentGranted(RegistryAggregate.Event):
        receipt_id: str
        channel: str
        purposes: list[str]
        source: dict[str, Any]
        granted_at: datetime
        expires_at: datetime | None

        def apply(self, customer: Customer) -> None:
            for purpose in self.purposes:
                key = consent_key(self.channel, purpose)
                current = customer.consents.get(key)
                withdrawn_at = current.get("withdrawn_at") if current else None
                if withdrawn_at is not None and self.granted_at < withdrawn_at:
                    continue  # a late import of an older grant never undoes an opt-out
                customer.consents[key] = {
                    "channel": self.channel,
                    "purpose": purpose,
                    "status": "granted",
                    "granted_at": self.granted_at,
                    "withdrawn_at": None,
                    "expires_at": self.expires_at,
                    "receipt_id": self.receipt_id,
                    "source": self.source,
                    "event_version": self.originator_version,
                }

    class ConsentWithdrawn(RegistryAggregate.Event):
        channel: str
        purposes: list[str]
        source: dict[str, Any]
        withdrawn_at: datetime

        def apply(self, customer: Customer) -> None:
            if self.source.get("kind") == "keyword":
                customer._remember_keyword_opt_out(self.channel, self.purposes, self.withdrawn_at)
            for purpose in self.purposes:
                key = consent_key(self.channel, purpose)
                current = customer.consents.get(key) or {
                    "channel": self.channel,
                    "purpose": purpose,
                    "granted_at": None,
                    "expires_at": None,
                    "receipt_id": None,
                }
                customer.consents[key] = {
                    **current,
                    "status": "withdrawn",
                    "withdrawn_at": self.withdrawn_at,
                    "source": self.source,
                    "event_version": self.originator_version,
                }

    class ConsentRequested(RegistryAggregate.Event):
        """A grant that asked `confirmation: required` (R-CONFIRM): its purposes are pending
        until confirmed, and expire unconfirmed at `confirm_by`. A purpose already granted
        stays granted; an opt-out later than `granted_at` is not undone."""

        receipt_id: str
        channel: str
        purposes: list[str]
        source: dict[str, Any]
        granted_at: datetime
        expires_at: datetime | None
        confirm_by: datetime

        def apply(self, customer: Customer) -> None:
            for purpose in self.purposes:
                key = consent_key(self.channel, purpose)
                current = customer.consents.get(key)
                if current is not None:
                    withdrawn_at = current.get("withdrawn_at")
                    if withdrawn_at is not None and self.granted_at < withdrawn_at:
                        continue
                    expires_at = current.get("expires_at")
                    if current["status"] == "granted" and (
                        expires_at is None or expires_at > self.granted_at
                    ):
                        continue
                customer.consents[key] = {
                    "channel": self.channel,
                    "purpose": purpose,
                    "status": "pending",
                    "granted_at": self.granted_at,
                    "withdrawn_at": None,
                    "expires_at": self.expires_at,
                    "receipt_id": self.receipt_id,
                    "source": self.source,
                    "event_version": self.originator_version,
                    "confirm_by": self.confirm_by,
                }

    class ConsentConfirmed(RegistryAggregate.Event):
        """The customer confirmed a pending grant: `source` says how (`link` or `keyword`)
        with its evidence, sealed."""

        receipt_id: str
        channel: str
        purposes: list[str]
        source: dict[str, Any]
        confirmed_at: datetime

        def apply(self, customer: Customer) -> None:
            for purpose in self.purposes:
                key = consent_key(self.channel, purpose)
                current = customer.consents.get(key)
                if current and current["status"] == "pending":
                    customer.consents[key] = {
                        **current,
                        "status": "granted",
                        "confirmed_at": self.confirmed_at,
                        "confirmed_by": self.source.get("kind"),
                        "event_version": self.originator_version,
                    }

    class ProfileChanged(RegistryAggregate.Event):
        changes: dict[str, Any]

        def apply(self, customer: Customer) -> None:
            customer.profile.update(self.changes)

    class InboundReceived(RegistryAggregate.Event):
        channel: str
        received_at: datetime
        text: str | None
        opt_out_keyword: bool

        def apply(self, customer: Customer) -> None:
            previous = customer.last_inbound_at.get(self.channel)
            if previous is None or self.received_at > previous:
                customer.last_inbound_at[self.channel] = self.received_at

    class Suppressed(RegistryAggregate.Event):
        reason: str | None

        def apply(self, customer: Customer) -> None:
            customer.suppressed = True

    class Unsuppressed(RegistryAggregate.Event):
        reason: str | None

        def apply(self, customer: Customer) -> None:
            customer.suppressed = False

    class SendAuthorized(RegistryAggregate.Event):
        """v2 names the experiment arm the template came from (`{name, arm}`, SPEC §13),
        so an experiment's results are recomputable from the log; v1 events read None."""

        class_version = 2
        authorization_id: str
        channel: str
        template: dict[str, Any]
        purpose: str
        authorized_at: datetime
        message_ref: str | None
        experiment: dict[str, str] | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["experiment"] = None

        # The template's pilot this send counted in (SPEC §13); None for none, and in
        # events recorded before pilots existed (the class default).
        pilot: int | None = None

        def apply(self, customer: Customer) -> None:
            customer.last_sends[self.channel] = {
                "authorization_id": self.authorization_id,
                "template": self.template,
                "purpose": self.purpose,
                "authorized_at": self.authorized_at,
            }
            if self.purpose in NON_TRANSACTIONAL:
                customer.recent_authorizations = kept_authorizations(
                    customer.recent_authorizations, self.authorized_at
                )
                previous = customer.marketing_at.get(self.channel, [None, None])[1]
                customer.marketing_at[self.channel] = [previous, self.authorized_at]

    class PlatformPreferenceRecorded(RegistryAggregate.Event):
        category: str
        value: str
        recorded_at: datetime

    class FeedbackAttributed(RegistryAggregate.Event):
        """An opt-out or suppression attributed to the last send on its channel within
        the policy's `feedback.attribution_hours` (SPEC §11); saved with that feedback."""

        kind: str  # opted_out | suppressed
        cause: str  # the event type it explains
        at: datetime
        source_kind: str | None
        purposes: list[str]
        authorization_id: str
        channel: str
        template: dict[str, Any]
        purpose: str
        authorized_at: datetime

    class PlatformUserCapped(RegistryAggregate.Event):
        """Error 131049: the platform's per-user marketing cap holds marketing to this
        customer on this channel until `until` (24 h from the status's own time)."""

        channel: str
        until: datetime
        authorization_id: str
        error_code: str
        at: datetime

        def apply(self, customer: Customer) -> None:
            current = customer.holds.get(self.channel)
            if current is None or self.until > current:
                customer.holds[self.channel] = self.until

    class Erased(RegistryAggregate.Event):
        reason: str | None

        def apply(self, customer: Customer) -> None:
            customer.erased = True
            customer.profile = {k: None for k in customer.profile}

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
        found: dict[str, list[str]] = {}
        for consent in self.consents.values():
            if consent["status"] != "pending" or consent["confirm_by"] <= at:
                continue
            if channel is None or consent["channel"] == channel:
                found.setdefault(consent["receipt_id"], []).append(consent["purpose"])
        return found

    def confirm(self, receipt_id: str, source: dict[str, Any], at: datetime) -> bool:
        """Confirm the grant `receipt_id` if it is still pending at `at`; False (and no
        event) when it is not: confirmed already, expired, withdrawn or unknown."""
        purposes = self.pending(at).get(receipt_id)
        if not purposes or self.erased:
            return False
        channel = next(
            c["channel"] for c in self.consents.values() if c.get("receipt_id") == receipt_id
        )
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
        in_force = []
        for purpose in purposes:
            consent = self.consents.get(consent_key(channel, purpose))
            if consent is None or consent["status"] != "granted":
                continue
            expires_at = consent.get("expires_at")
            if expires_at is None or expires_at > withdrawn_at:
                in_force.append(purpose)
        self._keyword_opt_outs = {**self.keyword_opt_outs, channel: in_force}

    def opt_back_in_purposes(self, channel: str, at: datetime) -> list[str]:
        """What an opt-in keyword re-grants: the purposes the last keyword opt-out on the
        channel withdrew that are not granted now."""
        granted_now = set()
        for purpose in self.keyword_opt_outs.get(channel, []):
            consent = self.consents.get(consent_key(channel, purpose))
            if consent is not None:
                status = consent_status(consent["status"], consent.get("expires_at"), at)
                if status == "granted":
                    granted_now.add(purpose)
        return [p for p in self.keyword_opt_outs.get(channel, []) if p not in granted_now]

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
