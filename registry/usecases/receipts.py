"""An authorization's signed receipt (a compact JWS, EdDSA) and the log positions of the
events it names: the consent relied on, the template's approval, the policy version."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

import jwt

from audit.checkpoint import key_id as signed_note_key_id
from registry.domain.decision import Decision
from registry.domain.vocabulary import normalise_language
from registry.keys import KeyRing
from registry.store.unit_of_work import WriteSet
from registry.timefmt import iso
from registry.usecases.authorizing import Event


class Positions(Protocol):
    """Log positions of events (`registry.usecases.authorizing.EventPositions`)."""

    def of(self, events: list[Event]) -> dict[Event, int]: ...

    def read_in(
        self, write_set: WriteSet, events: list[Event]
    ) -> Callable[[], dict[Event, int]]: ...


def template_key(template: dict[str, Any] | None) -> str | None:
    if template is None:
        return None
    return f"{template['name']}/{normalise_language(template['language'])}"


class Receipts:
    def __init__(self, positions: Positions, keyring: KeyRing, origin_host: str) -> None:
        self.positions = positions
        self.keyring = keyring
        self.origin_host = origin_host
        self._key_ids: dict[str, str] = {}

    def read_in(self, write_set: WriteSet, events: list[Event]) -> Callable[[], dict[Event, int]]:
        """Positions of `events` read in `write_set`'s transaction (EventPositions.read_in)."""
        return self.positions.read_in(write_set, events)

    @staticmethod
    def events_named(
        request: dict[str, Any], outcome: dict[str, Any], customer: UUID
    ) -> dict[str, Event]:
        """The events a receipt names: the consent relied on, the template's approval and
        the policy version, each as (aggregate id, version)."""
        decision: Decision = outcome["decision"]
        docs = outcome["docs"]
        template_doc = docs.get(("template", template_key(request["template"]))) or {}
        tenant_doc = docs.get(("tenant", ""))
        events: dict[str, Event] = {}
        if decision.consent:
            events["consent"] = (str(customer), decision.consent.event_version)
        if template_doc.get("approved_event_version"):
            events["approval"] = (
                template_doc["aggregate_id"],
                template_doc["approved_event_version"],
            )
        if tenant_doc is not None:
            events["policy"] = (tenant_doc["aggregate_id"], tenant_doc["version"])
        return events

    def positions_now(
        self, request: dict[str, Any], outcome: dict[str, Any], customer: UUID
    ) -> dict[str, int | None]:
        events = self.events_named(request, outcome, customer)
        found = self.positions.of(list(events.values()))
        return {name: found.get(event) for name, event in events.items()}

    def sign(
        self,
        tenant: str,
        request: dict[str, Any],
        channel: str,
        authorization_id: str,
        outcome: dict[str, Any],
        positions: dict[str, int | None],
    ) -> str:
        """A compact JWS (EdDSA) of the authorization and what it rested on, with the
        `positions` of the events `events_named` names."""
        decision: Decision = outcome["decision"]
        now: datetime = outcome["now"]
        claims = {
            "iss": f"{self.origin_host}/{tenant}",
            "iat": int(now.timestamp()),
            "jti": authorization_id,
            "tenant": tenant,
            "customer_id": request["customer_id"],
            "channel": channel,
            "template": {
                "name": request["template"]["name"],
                "language": normalise_language(request["template"]["language"]),
                "version": decision.template_version,
                "approval_position": positions.get("approval"),
            },
            "purpose": decision.purpose,
            "consent": {
                "receipt_id": decision.consent.receipt_id if decision.consent else None,
                "granted_at": iso(decision.consent.granted_at) if decision.consent else None,
                "position": positions.get("consent"),
            },
            "policy": {"version": outcome["policy_version"], "position": positions.get("policy")},
            "authorized_at": iso(now),
            "local_time": decision.local_time.isoformat(),
            "timezone": str(decision.local_time.tzinfo),
        }
        return jwt.encode(
            claims,
            self.keyring.signing_key,
            algorithm="EdDSA",
            headers={"kid": self.key_id(tenant)},
        )

    def key_id(self, tenant: str) -> str:
        """A receipt's `kid`: the `key_id` of the tenant's checkpoints (the signed-note key
        hash of the key named by the tenant's origin), so one key has one id. Kept per
        tenant: the signing key never changes in a process."""
        kept = self._key_ids.get(tenant)
        if kept is None:
            origin = f"{self.origin_host}/{tenant}"
            kept = signed_note_key_id(origin, self.keyring.signing_key.public_key())
            self._key_ids[tenant] = kept
        return kept
