"""R-CONSENT use cases: grants, opt-outs, profile, inbound messages, suppression,
erasure, and the customer's state and history."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any
from uuid import UUID

from registry.clock import Clock
from registry.crypto import blind_index, is_sealed
from registry.domain.base import acting_as
from registry.domain.confirmation import Reply
from registry.domain.customer import Customer, customer_aggregate_id
from registry.domain.exceptions import NotFound
from registry.domain.keywords import is_opt_out_keyword
from registry.domain.rules.consent import consent_status
from registry.domain.vocabulary import ACTOR_KEYWORD, NON_TRANSACTIONAL, PURPOSES
from registry.keys import KeyRing
from registry.personal_data import PersonalDataKeys
from registry.projections.reader import ViewReader
from registry.store.unit_of_work import WriteSet
from registry.store.writer import EventWriter
from registry.timefmt import iso, parse_iso
from registry.usecases.confirmations import pending_confirmation
from registry.usecases.consent_records import receipt_index_row
from registry.usecases.policy import PolicyService

SEALED_SOURCE_FIELDS = ("evidence", "ip", "user_agent")


def customer_ref(tenant: str, customer_id: str) -> tuple[UUID, Callable[[], Customer]]:
    """The customer's aggregate id, and how to register it when new."""
    return customer_aggregate_id(tenant, customer_id), lambda: Customer.register(
        tenant, customer_id
    )


class ConsentService:
    """Owns the customer: grants (and their double opt-in), opt-outs, profile, inbound
    messages, suppression, erasure, and the customer's answer and history."""

    def __init__(
        self,
        writer: EventWriter,
        views: ViewReader,
        keys: PersonalDataKeys,
        policies: PolicyService,
        keyring: KeyRing,
        public_url: str,
        clock: Clock,
    ) -> None:
        self.writer = writer
        self.views = views
        self.keys = keys
        self.policies = policies
        self.keyring = keyring
        self.public_url = public_url
        self.clock = clock

    def sealed_source(
        self, tenant: str, customer_id: str, source: dict[str, Any], key: bytes | None = None
    ) -> dict[str, Any]:
        seal = self.keys.sealer(tenant, customer_id, key)
        return {k: (seal(v) if k in SEALED_SOURCE_FIELDS else v) for k, v in source.items()}

    def profile_changes(
        self,
        tenant: str,
        customer_id: str,
        fields: dict[str, Any],
        key: bytes | None = None,
    ) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        seal = self.keys.sealer(tenant, customer_id, key)
        changes: dict[str, Any] = {}
        index_rows: list[tuple[str, str]] = []
        if fields.get("phone") is not None:
            phone = str(fields["phone"])
            changes["phone"] = seal(phone)
            digits = phone.lstrip("+")
            index_rows.append(
                (blind_index(self.keyring.blind_index_key, tenant, "wa", digits), customer_id)
            )
        for name in ("timezone", "locale"):
            if fields.get(name) is not None:
                changes[name] = fields[name]
        return changes, index_rows

    def grant(self, tenant: str, request: dict[str, Any]) -> dict[str, Any]:
        customer_id = request["customer_id"]
        receipt_id = "rcpt_" + uuid.uuid4().hex
        source = self.sealed_source(tenant, customer_id, request["source"])
        changes, index_rows = self.profile_changes(tenant, customer_id, request)
        index_rows.append(receipt_index_row(self.keyring, tenant, receipt_id, customer_id))
        granted_at = request.get("granted_at") or self.clock.now()
        purposes = sorted(set(request["purposes"]), key=PURPOSES.index)
        pending = None
        if request.get("confirmation") == "required":  # R-CONFIRM: pending until confirmed
            docs, _ = self.views.read(tenant, [("tenant", "")])
            pending = pending_confirmation(
                policy=self.policies.policy_of(tenant, docs.get(("tenant", "")))[0],
                link_key=self.keyring.link_key,
                public_url=self.public_url,
                tenant=tenant,
                customer_id=customer_id,
                receipt_id=receipt_id,
                granted_at=granted_at,
                locale=request.get("locale"),
            )

        def command(customer: Customer) -> None:
            customer.change_profile(changes)
            if pending is not None:
                customer.request_consent(
                    receipt_id=receipt_id,
                    channel=request["channel"],
                    purposes=purposes,
                    source=source,
                    granted_at=granted_at,
                    expires_at=request.get("expires_at"),
                    confirm_by=pending.confirm_by,
                )
                return
            customer.grant(
                receipt_id=receipt_id,
                channel=request["channel"],
                purposes=purposes,
                source=source,
                granted_at=granted_at,
                expires_at=request.get("expires_at"),
            )

        aggregate_id, create = customer_ref(tenant, customer_id)
        return self.writer.write(
            tenant,
            aggregate_id,
            create,
            command,
            result=lambda _: {
                "receipt_id": receipt_id,
                "customer_id": customer_id,
                "channel": request["channel"],
                "purposes": purposes,
                **({} if pending is None else pending.answer()),
            },
            extras=lambda _, ws: ws.index_rows.extend(index_rows),
        )

    def opt_out(
        self,
        tenant: str,
        customer_id: str,
        channel: str,
        purposes: list[str] | str,
        source: dict[str, Any],
        *,
        at: datetime | None = None,
    ) -> dict[str, Any]:
        chosen = list(PURPOSES) if purposes == "all" else sorted(set(purposes), key=PURPOSES.index)
        sealed = self.sealed_source(tenant, customer_id, source)
        withdrawn_at = at or self.clock.now()
        aggregate_id, create = customer_ref(tenant, customer_id)
        return self.writer.write(
            tenant,
            aggregate_id,
            create,
            lambda c: c.withdraw(
                channel=channel, purposes=chosen, source=sealed, withdrawn_at=withdrawn_at
            ),
            result=lambda _: {"customer_id": customer_id, "channel": channel, "purposes": chosen},
        )

    def change_profile(
        self, tenant: str, customer_id: str, fields: dict[str, Any]
    ) -> dict[str, Any]:
        changes, index_rows = self.profile_changes(tenant, customer_id, fields)
        aggregate_id, _ = customer_ref(tenant, customer_id)
        self.writer.write(
            tenant,
            aggregate_id,
            None,
            lambda c: c.change_profile(changes),
            extras=lambda _, ws: ws.index_rows.extend(index_rows),
        )
        return self.customer(tenant, customer_id)

    def receive_inbound(
        self,
        tenant: str,
        customer_id: str,
        *,
        channel: str,
        received_at: datetime | None,
        text: str | None,
        stop_promotions: bool = False,
        extra_index: list[tuple[str, str]] | None = None,
        dedupe_key: str | None = None,
    ) -> dict[str, Any]:
        keyword = is_opt_out_keyword(text)
        sealed_text = self.keys.sealer(tenant, customer_id)(text)
        moment = received_at or self.clock.now()
        reply = Reply.of(text, sealed_text, moment)  # R-CONFIRM: YES/START confirm, opt back in

        def command(customer: Customer) -> None:
            customer.receive_inbound(
                channel=channel, received_at=moment, text=sealed_text, opt_out_keyword=keyword
            )
            if keyword or stop_promotions:
                with acting_as(ACTOR_KEYWORD):
                    customer.withdraw(
                        channel=channel,
                        purposes=list(PURPOSES) if keyword else list(NON_TRANSACTIONAL),
                        source={"kind": "keyword"},
                        withdrawn_at=moment,
                    )
            elif reply is not None:
                with acting_as(ACTOR_KEYWORD):
                    customer.answer_reply(channel, reply)

        aggregate_id, create = customer_ref(tenant, customer_id)
        return self.writer.write(
            tenant,
            aggregate_id,
            create,
            command,
            result=lambda _: {
                "customer_id": customer_id,
                "channel": channel,
                "opt_out_keyword": keyword,
                "withdrawn": keyword or stop_promotions,
            },
            extras=lambda _, ws: ws.index_rows.extend(extra_index or []),
            dedupe_key=dedupe_key,
        )

    def suppress(
        self, tenant: str, customer_id: str, reason: str | None, *, on: bool
    ) -> dict[str, Any]:
        sealed = self.keys.sealer(tenant, customer_id)(reason)
        aggregate_id, create = customer_ref(tenant, customer_id)
        return self.writer.write(
            tenant,
            aggregate_id,
            create if on else None,
            (lambda c: c.suppress(sealed)) if on else (lambda c: c.unsuppress(sealed)),
            result=lambda c: {"customer_id": customer_id, "suppressed": c.suppressed},
        )

    def erase(self, tenant: str, customer_id: str, reason: str | None) -> dict[str, Any]:
        aggregate_id, _ = customer_ref(tenant, customer_id)

        def extras(_: Customer, write_set: WriteSet) -> None:
            write_set.erase_data_key_of = customer_id

        return self.writer.write(
            tenant,
            aggregate_id,
            None,
            lambda c: c.erase(reason),
            result=lambda _: {"customer_id": customer_id, "erased": True},
            extras=extras,
        )

    # ---- reads -----------------------------------------------------------------------

    def customer_doc(
        self, tenant: str, customer_id: str, min_position: int | None = None
    ) -> tuple[dict[str, Any], int]:
        docs, position = self.views.read(tenant, [("customer", customer_id)], min_position)
        doc = docs.get(("customer", customer_id))
        if doc is None:
            raise NotFound(f"customer {customer_id!r} not found")
        return doc, position

    def customer(
        self, tenant: str, customer_id: str, min_position: int | None = None
    ) -> dict[str, Any]:
        doc, position = self.customer_doc(tenant, customer_id, min_position)
        open_value = self.keys.opener(tenant, customer_id, doc["erased"])
        now = self.clock.now()
        consents = []
        for record in sorted(
            doc["consents"].values(), key=lambda c: (c["channel"], PURPOSES.index(c["purpose"]))
        ):
            status = consent_status(
                record["status"],
                parse_iso(record.get("expires_at")),
                now,
                confirm_by=parse_iso(record.get("confirm_by")),
            )
            source = record.get("source") or {}
            consents.append(
                {
                    "channel": record["channel"],
                    "purpose": record["purpose"],
                    "status": status,
                    "granted_at": record.get("granted_at"),
                    "withdrawn_at": record.get("withdrawn_at"),
                    "expires_at": record.get("expires_at"),
                    "receipt_id": record.get("receipt_id"),
                    "confirmation_expires_at": record.get("confirm_by"),
                    "confirmed_at": record.get("confirmed_at"),
                    "source": {
                        k: (open_value(v) if is_sealed(v) else v) for k, v in source.items()
                    },
                }
            )
        inbound = [parse_iso(v) for v in doc["last_inbound_at"].values()]
        profile = doc["profile"]
        return {
            "customer_id": customer_id,
            "phone": open_value(profile.get("phone")),
            "timezone": profile.get("timezone"),
            "locale": profile.get("locale"),
            "erased": doc["erased"],
            "suppressed": doc["suppressed"],
            "last_inbound_at": iso(max((i for i in inbound if i), default=None)),
            "consents": consents,
            "position": position,
        }

    def customer_history(
        self,
        tenant: str,
        customer_id: str,
        *,
        limit: int,
        after_position: int,
        min_position: int | None = None,
    ) -> dict[str, Any]:
        doc, position = self.customer_doc(tenant, customer_id, min_position)
        return {
            "events": self.views.history(
                doc["aggregate_id"],
                after_position=after_position,
                limit=limit,
                open_value=self.keys.opener(tenant, customer_id, doc["erased"]),
            ),
            "position": position,
        }
