"""State documents: what the views store for each aggregate, and the facts the
pure decision function reads back from them. Rebuildable from the log at any time
(registry.projections.rebuild)."""

from __future__ import annotations

from typing import Any

from registry.domain.customer import Customer
from registry.domain.decision import ConsentFact, CustomerFacts, TemplateFacts
from registry.domain.template import Template
from registry.domain.tenant import Tenant
from registry.timefmt import jsonable, parse_iso

SMS_UNDELIVERABLE_HEADERS = frozenset({"IMAGE", "VIDEO", "DOCUMENT", "LOCATION"})


def customer_document(customer: Customer) -> dict[str, Any]:
    doc: dict[str, Any] = jsonable(
        {
            "customer_id": customer.customer_id,
            "profile": dict(customer.profile),
            "erased": customer.erased,
            "suppressed": customer.suppressed,
            "last_inbound_at": dict(customer.last_inbound_at),
            "consents": dict(customer.consents),
            "recent_authorizations": list(customer.recent_authorizations),
            "aggregate_id": str(customer.id),
            "version": customer.version,
        }
    )
    return doc


def _sms_deliverable(version: dict[str, Any] | None) -> bool:
    if version is None:
        return True
    for component in version["components"]:
        if component.get("type") == "BUTTONS":
            return False
        if component.get("type") == "HEADER" and (
            component.get("format", "TEXT") in SMS_UNDELIVERABLE_HEADERS
        ):
            return False
    return True


def template_document(template: Template) -> dict[str, Any]:
    current = template.current
    doc: dict[str, Any] = jsonable(
        {
            "name": template.name,
            "language": template.language,
            "category": None if current is None else current["category"],
            "purpose": template.purpose,
            "status": template.status,
            "approved_version": template.approved_version,
            "approved_event_version": template.approved_event_version,
            "platform_status": template.platform_status,
            "platform_reason": template.platform_reason,
            "platform_category": template.platform_category,
            "quality": template.quality,
            "paused": template.paused,
            "pause_cause": template.pause_cause,
            "disabled": template.disabled,
            "category_blocked": template.category_blocked,
            "sms_deliverable": _sms_deliverable(current),
            "versions": template.versions,
            "aggregate_id": str(template.id),
            "version": template.version,
        }
    )
    return doc


def tenant_document(tenant: Tenant) -> dict[str, Any]:
    return {
        "policy": tenant.policy,
        "policy_version": tenant.policy_version,
        "whatsapp": tenant.whatsapp,
        "aggregate_id": str(tenant.id),
        "version": tenant.version,
    }


def customer_facts(doc: dict[str, Any] | None) -> CustomerFacts | None:
    if doc is None:
        return None
    consents = {
        key: ConsentFact(
            status=c["status"],
            granted_at=parse_iso(c.get("granted_at")),
            withdrawn_at=parse_iso(c.get("withdrawn_at")),
            expires_at=parse_iso(c.get("expires_at")),
            receipt_id=c.get("receipt_id"),
            event_version=int(c["event_version"]),
        )
        for key, c in doc["consents"].items()
    }
    inbound = {ch: parse_iso(at) for ch, at in doc["last_inbound_at"].items()}
    return CustomerFacts(
        erased=bool(doc["erased"]),
        suppressed=bool(doc["suppressed"]),
        timezone=doc["profile"].get("timezone"),
        consents=consents,
        last_inbound_at={ch: at for ch, at in inbound.items() if at is not None},
        recent_authorizations=tuple(
            a for a in (parse_iso(x) for x in doc["recent_authorizations"]) if a is not None
        ),
    )


def template_facts(doc: dict[str, Any] | None) -> TemplateFacts | None:
    if doc is None:
        return None
    return TemplateFacts(
        name=doc["name"],
        language=doc["language"],
        status=doc["status"],
        approved_version=doc["approved_version"],
        purpose=doc["purpose"],
        category=doc["category"],
        paused=bool(doc["paused"]),
        disabled=bool(doc["disabled"]),
        platform_status=doc["platform_status"],
        category_blocked=bool(doc["category_blocked"]),
        sms_deliverable=bool(doc["sms_deliverable"]),
    )
