"""R-CONFIRM use cases: a grant that asks for confirmation, and its confirmation by link.

A grant with `"confirmation": "required"` is recorded as `Customer.ConsentRequested`: its
purposes are `pending` until the customer confirms, by the link in the grant's answer
(`REGISTRY_PUBLIC_URL/c/{token}`: the page `registry/web/confirm.py`) or by replying YES,
ДА, START or СТАРТ on the channel (`Customer.answer_reply`, from every inbound message).
Unconfirmed, it is `expired` after the policy's `confirmation_days`. Every confirmation is a
`Customer.ConsentConfirmed` event whose `source` says how (`link` or `keyword`) and holds
its evidence, sealed: the message text, or the browser's address and user agent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from registry.clock import Clock
from registry.confirm_links import ConfirmClaims, issue_confirm_token
from registry.domain.base import acting_as
from registry.domain.confirmation import confirm_by
from registry.domain.customer import Customer, customer_aggregate_id
from registry.domain.exceptions import NotFound
from registry.domain.policy import Policy
from registry.domain.vocabulary import ACTOR_LINK
from registry.keys import KeyRing
from registry.personal_data import PersonalDataKeys
from registry.projections.reader import ViewReader
from registry.store.writer import EventWriter
from registry.timefmt import iso, parse_iso

LINK_LANGUAGES = ("ru", "en")


@dataclass(frozen=True)
class PendingConfirmation:
    """What a grant that asks for confirmation adds: when it expires, and its link."""

    confirm_by: datetime
    url: str

    def answer(self) -> dict[str, Any]:
        return {
            "status": "pending",
            "confirmation_url": self.url,
            "confirmation_expires_at": iso(self.confirm_by),
        }


def pending_confirmation(
    *,
    policy: Policy,
    link_key: bytes,
    public_url: str,
    tenant: str,
    customer_id: str,
    receipt_id: str,
    granted_at: datetime,
    locale: str | None,
) -> PendingConfirmation:
    """The deadline (`granted_at` + `confirmation_days`) and the signed link for a grant.
    The page speaks the customer's `locale` when it is Russian or English, else follows
    the browser."""
    deadline = confirm_by(granted_at, policy.confirmation_days)
    lang = (locale or "")[:2].lower()
    claims = ConfirmClaims(
        tenant=tenant,
        customer_id=customer_id,
        receipt_id=receipt_id,
        lang=lang if lang in LINK_LANGUAGES else "",
        expires_at=deadline,
    )
    return PendingConfirmation(deadline, f"{public_url}/c/{issue_confirm_token(link_key, claims)}")


@dataclass(frozen=True)
class LinkState:
    """What the confirmation page shows: `pending`, `confirmed` (already) or `expired`."""

    status: str
    channel: str
    purposes: list[str]


class ConfirmationService:
    def __init__(
        self,
        writer: EventWriter,
        views: ViewReader,
        keys: PersonalDataKeys,
        keyring: KeyRing,
        clock: Clock,
    ) -> None:
        self.writer = writer
        self.views = views
        self.keys = keys
        self.keyring = keyring
        self.clock = clock

    @property
    def link_key(self) -> bytes:
        return self.keyring.link_key

    def link_state(self, claims: ConfirmClaims) -> LinkState | None:
        """The grant a link names, as it stands; None when there is no such grant."""
        docs, _ = self.views.read(claims.tenant, [("customer", claims.customer_id)])
        doc = docs.get(("customer", claims.customer_id))
        if doc is None or doc["erased"]:
            return None
        named = [c for c in doc["consents"].values() if c.get("receipt_id") == claims.receipt_id]
        if not named:
            return None
        now = self.clock.now()
        pending = [c for c in named if c["status"] == "pending"]
        if pending:
            deadline = parse_iso(pending[0].get("confirm_by"))
            status = "expired" if deadline is not None and deadline <= now else "pending"
            chosen = pending
        else:
            status, chosen = "confirmed", [c for c in named if c.get("confirmed_at")] or named
        return LinkState(status, chosen[0]["channel"], [c["purpose"] for c in chosen])

    def confirm_by_link(
        self, claims: ConfirmClaims, *, ip: str | None, user_agent: str | None
    ) -> dict[str, Any]:
        """Confirms the link's grant if it is still pending (actor `customer:link`); a
        second confirmation, or one after expiry, records nothing."""
        seal = self.keys.sealer(claims.tenant, claims.customer_id)
        source = {"kind": "link", "ip": seal(ip), "user_agent": seal(user_agent)}
        now = self.clock.now()
        confirmed: list[bool] = []

        def command(customer: Customer) -> None:
            confirmed[:] = [customer.confirm(claims.receipt_id, source, now)]

        with acting_as(ACTOR_LINK):
            try:
                answer = self.writer.write(
                    claims.tenant,
                    customer_aggregate_id(claims.tenant, claims.customer_id),
                    None,
                    command,
                )
            except NotFound:
                return {"confirmed": False, "position": None}
        return {"confirmed": bool(confirmed and confirmed[0]), "position": answer["position"]}
