"""R-WEBHOOK use cases: integration settings and ingestion of the platform's
webhooks. Each change is recorded in its own transaction together with its
dedupe mark, so a redelivery is recognised and recorded once."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from registry.clock import Clock
from registry.crypto import blind_index, open_sealed, seal
from registry.domain.base import acting_as
from registry.domain.customer import Customer
from registry.domain.exceptions import NotFound
from registry.domain.template import Template, template_aggregate_id
from registry.domain.tenant import Tenant, tenant_aggregate_id
from registry.domain.vocabulary import ACTOR_PLATFORM, NON_TRANSACTIONAL
from registry.integrations import whatsapp as wa
from registry.integrations.whatsapp_changes import field_of
from registry.keys import KeyRing, derive
from registry.metrics import count_webhook_change
from registry.projections.reader import ViewReader
from registry.store.database import Database
from registry.store.writer import EventWriter
from registry.timefmt import iso
from registry.usecases.consents import ConsentService, customer_ref
from registry.usecases.outcomes import OutcomeService


class WebhookService:
    """Owns the WhatsApp integration: its settings (secrets sealed under the tenant's key),
    the ingestion of the platform's webhooks (inbound messages and preferences through
    ConsentService, template reports here, statuses and limits through OutcomeService),
    each change recorded once with its dedupe mark, and what could not be processed."""

    def __init__(
        self,
        writer: EventWriter,
        views: ViewReader,
        consents: ConsentService,
        outcomes: OutcomeService,
        db: Database,
        keyring: KeyRing,
        clock: Clock,
    ) -> None:
        self.writer = writer
        self.views = views
        self.consents = consents
        self.outcomes = outcomes
        self.db = db  # the unprocessed payloads' table
        self.keyring = keyring
        self.clock = clock

    def _tenant_secret_key(self, tenant: str) -> bytes:
        return derive(self.keyring.master_data_key, f"tenant secrets {tenant}")

    def configure_whatsapp(self, tenant: str, settings: dict[str, Any]) -> dict[str, Any]:
        key = self._tenant_secret_key(tenant)
        sealed_secret = seal(key, settings["app_secret"], context=f"{tenant}/whatsapp")
        sealed_token = seal(key, settings["verify_token"], context=f"{tenant}/whatsapp")
        return self.writer.write(
            tenant,
            tenant_aggregate_id(tenant),
            lambda: Tenant.register(tenant),
            lambda t: t.configure_whatsapp(
                app_secret=sealed_secret, verify_token=sealed_token, waba_id=settings.get("waba_id")
            ),
            result=lambda _: {"configured": True, "waba_id": settings.get("waba_id")},
        )

    def whatsapp_secrets(self, tenant: str) -> tuple[str, str] | None:
        docs, _ = self.views.read(tenant, [("tenant", "")])
        doc = docs.get(("tenant", ""))
        if doc is None or not doc.get("whatsapp"):
            return None
        key = self._tenant_secret_key(tenant)
        settings = doc["whatsapp"]
        return (
            open_sealed(key, settings["app_secret"], context=f"{tenant}/whatsapp"),
            open_sealed(key, settings["verify_token"], context=f"{tenant}/whatsapp"),
        )

    # ---- ingestion ---------------------------------------------------------------------

    def ingest_whatsapp(self, tenant: str, payload: object) -> dict[str, int]:
        """Statuses (R-OUTCOME) are recorded together, as one outcome batch (after the
        other changes of the delivery); everything else one change at a time."""
        counts = {"recorded": 0, "duplicates": 0, "unprocessed": 0, "ignored": 0}
        statuses: list[wa.MessageStatus] = []
        with acting_as(ACTOR_PLATFORM):
            for change in wa.parse_webhook(payload):
                if isinstance(change, wa.MessageStatus):
                    statuses.append(change)
                    continue
                outcome = self._ingest_change(tenant, change)
                counts[outcome] += 1
                count_webhook_change(field_of(change), outcome)
            if statuses:
                answer = self.outcomes.record_whatsapp_statuses(tenant, statuses)
                for name, outcome in (
                    ("recorded", "recorded"),
                    ("duplicates", "duplicates"),
                    ("unknown", "unprocessed"),
                ):
                    counts[outcome] += answer[name]
                    for _ in range(answer[name]):
                        count_webhook_change("messages", outcome)
        return counts

    def _ingest_change(self, tenant: str, change: wa.Change) -> str:
        dedupe = f"whatsapp:{change.dedupe_key}"
        if self.writer.seen(tenant, dedupe):
            return "duplicates"
        if isinstance(change, wa.Unrecognised):
            self.keep_unprocessed(tenant, change.reason, change.field, change.raw)
            self.writer.mark_seen(tenant, dedupe)
            return "unprocessed"
        if isinstance(
            change,
            wa.TemplateStatusChanged | wa.TemplateQualityChanged | wa.TemplateCategoryChanged,
        ):
            return self._template_change(tenant, change, dedupe)
        if isinstance(change, wa.PhoneNumberLimitChanged):
            answer = self.outcomes.record_phone_limit(tenant, change, dedupe)
            return "duplicates" if answer.get("duplicate") else "recorded"
        return self._customer_change(tenant, change, dedupe)

    def _template_change(self, tenant: str, change: Any, dedupe: str) -> str:
        def command(template: Template) -> None:
            if isinstance(change, wa.TemplateStatusChanged):
                template.record_platform_status(change.status, change.reason)
            elif isinstance(change, wa.TemplateQualityChanged):
                template.record_quality(change.quality)
            else:
                template.record_category_change(change.new_category)

        try:
            answer = self.writer.write(
                tenant,
                template_aggregate_id(tenant, change.name, change.language),
                None,
                command,
                dedupe_key=dedupe,
            )
        except NotFound:
            self.keep_unprocessed(
                tenant,
                f"template {change.name}/{change.language} is not registered here",
                type(change).__name__,
                _raw_of(change),
            )
            self.writer.mark_seen(tenant, dedupe)
            return "unprocessed"
        return "duplicates" if answer.get("duplicate") else "recorded"

    def _customer_change(self, tenant: str, change: Any, dedupe: str) -> str:
        customer_id, index_rows = self._match_customer(tenant, change.wa_id, change.user_id)
        moment: datetime = change.occurred_at or self.clock.now()
        if isinstance(change, wa.InboundMessage):
            answer = self.consents.receive_inbound(
                tenant,
                customer_id,
                channel="whatsapp",
                received_at=change.received_at or moment,
                text=change.text,
                stop_promotions=change.is_stop_promotions,
                extra_index=index_rows,
                dedupe_key=dedupe,
            )
            return "duplicates" if answer.get("duplicate") else "recorded"

        def command(customer: Customer) -> None:
            if isinstance(change, wa.MarketingStoppedByError):
                customer.withdraw(
                    channel="whatsapp",
                    purposes=list(NON_TRANSACTIONAL),
                    source={"kind": "platform", "evidence": None},
                    withdrawn_at=moment,
                )
            else:  # PreferenceChanged
                customer.record_platform_preference(change.category, change.value, moment)
                if change.category == "marketing_messages" and change.value == "stop":
                    customer.withdraw(
                        channel="whatsapp",
                        purposes=list(NON_TRANSACTIONAL),
                        source={"kind": "platform"},
                        withdrawn_at=moment,
                    )

        answer = self.writer.write(
            tenant,
            *customer_ref(tenant, customer_id),
            command,
            extras=lambda _, ws: ws.index_rows.extend(index_rows),
            dedupe_key=dedupe,
        )
        return "duplicates" if answer.get("duplicate") else "recorded"

    def _match_customer(
        self, tenant: str, wa_id: str | None, user_id: str | None
    ) -> tuple[str, list[tuple[str, str]]]:
        """By phone digits, else by the platform's user id; an unknown sender becomes
        customer `wa:<digits>` (or `wa-user:<id>`) so that its opt-out is never lost."""
        key = self.keyring.blind_index_key
        phone_blind = blind_index(key, tenant, "wa", wa_id) if wa_id else None
        user_blind = blind_index(key, tenant, "uid", user_id) if user_id else None
        found = self.views.customer_of(tenant, [b for b in (phone_blind, user_blind) if b])
        customer_id = str(found) if found else (f"wa:{wa_id}" if wa_id else f"wa-user:{user_id}")
        rows = [(b, customer_id) for b in (phone_blind, user_blind) if b]
        return customer_id, rows

    def keep_unprocessed(self, tenant: str, reason: str, field: str | None, raw: Any) -> None:
        key = self._tenant_secret_key(tenant)
        sealed = seal(key, json.dumps(raw, ensure_ascii=False), context=f"{tenant}/unprocessed")
        with self.db.transaction(commit=True) as sql:
            sql.execute(
                "INSERT INTO registry_webhook_unprocessed (tenant, received_at, reason, field, payload) "
                "VALUES (?, ?, ?, ?, ?)",
                [tenant, iso(self.clock.now()), reason[:500], field, sealed],
            )

    def unprocessed(self, tenant: str, *, limit: int, after_id: int) -> dict[str, Any]:
        key = self._tenant_secret_key(tenant)
        with self.db.transaction() as sql:
            rows = sql.query(
                "SELECT id, received_at, reason, field, payload FROM registry_webhook_unprocessed "
                "WHERE tenant = ? AND id > ? ORDER BY id LIMIT ?",
                [tenant, after_id, limit],
            )
            position = self.db.max_position(sql)
        items = [
            {
                "id": int(i),
                "received_at": r,
                "reason": reason,
                "field": f,
                "payload": json.loads(open_sealed(key, p, context=f"{tenant}/unprocessed")),
            }
            for i, r, reason, f, p in rows
        ]
        return {"items": items, "position": position}


def _raw_of(change: Any) -> dict[str, Any]:
    from dataclasses import asdict

    raw: dict[str, Any] = json.loads(json.dumps(asdict(change), default=str))
    return raw
