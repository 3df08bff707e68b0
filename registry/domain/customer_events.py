"""The events of a `Customer` (registry/domain/customer.py), each with how it changes the
customer's state; the consent transitions themselves are registry/domain/consent_book.py's.

`Customer` takes each class as its own attribute, and eventsourcing redefines it there as
`Customer.<Name>` in registry.domain.customer: so the log's topics stay
`registry.domain.customer:Customer.<Name>`, as they have always been, and these classes are
never triggered as they are here.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from registry.domain import consent_book
from registry.domain.base import RegistryAggregate
from registry.domain.rules.daily_limit import kept_authorizations
from registry.domain.vocabulary import NON_TRANSACTIONAL

if TYPE_CHECKING:
    from registry.domain.customer import Customer


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
        consent_book.grant(customer.consents, self.channel, self.purposes, self._record())

    def _record(self) -> dict[str, Any]:
        return {
            "receipt_id": self.receipt_id,
            "granted_at": self.granted_at,
            "expires_at": self.expires_at,
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
        consent_book.withdraw(
            customer.consents,
            self.channel,
            self.purposes,
            self.source,
            self.withdrawn_at,
            self.originator_version,
        )


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
        record = {
            "receipt_id": self.receipt_id,
            "granted_at": self.granted_at,
            "expires_at": self.expires_at,
            "source": self.source,
            "event_version": self.originator_version,
            "confirm_by": self.confirm_by,
        }
        consent_book.request(customer.consents, self.channel, self.purposes, record)


class ConsentConfirmed(RegistryAggregate.Event):
    """The customer confirmed a pending grant: `source` says how (`link` or `keyword`)
    with its evidence, sealed."""

    receipt_id: str
    channel: str
    purposes: list[str]
    source: dict[str, Any]
    confirmed_at: datetime

    def apply(self, customer: Customer) -> None:
        consent_book.confirm(
            customer.consents,
            self.channel,
            self.purposes,
            self.source.get("kind"),
            self.confirmed_at,
            self.originator_version,
        )


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
