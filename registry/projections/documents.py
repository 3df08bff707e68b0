"""State documents: what the views store for each aggregate, and the facts the
pure decision function reads back from them. Rebuildable from the log at any time
(registry.projections.rebuild)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from registry.domain.base import RegistryAggregate
from registry.domain.channel import Channel
from registry.domain.customer import Customer
from registry.domain.decision import ConsentFact, CustomerFacts, TemplateFacts
from registry.domain.experiment import Experiment
from registry.domain.send import Send
from registry.domain.template import Template
from registry.domain.tenant import Tenant
from registry.domain.token import TokenRevocation
from registry.store.unit_of_work import ViewWrite
from registry.timefmt import iso, jsonable, parse_iso

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
            "last_sends": dict(customer.last_sends),
            "marketing_at": dict(customer.marketing_at),
            "holds": dict(customer.holds),
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
            "paused": template.effectively_paused,
            "review_paused": template.paused,
            "pause_cause": template.pause_cause,
            "feedback_paused": template.feedback_paused,
            "feedback_resumed_at": template.feedback_resumed_at,
            "disabled": template.disabled,
            "category_blocked": template.category_blocked,
            "sms_deliverable": _sms_deliverable(current),
            "pilot": template.pilot,
            "versions": template.versions,
            "aggregate_id": str(template.id),
            "version": template.version,
        }
    )
    return doc


def channel_document(channel: Channel) -> dict[str, Any]:
    doc: dict[str, Any] = jsonable(
        {
            "channel": channel.channel,
            "platform": channel.platform,
            "halved": channel.halved,
            "halved_at": channel.halved_at,
            "recovering_since": channel.recovering_since,
            "aggregate_id": str(channel.id),
            "version": channel.version,
        }
    )
    return doc


def tenant_document(tenant: Tenant) -> dict[str, Any]:
    return {
        "policy": tenant.policy,
        "policy_version": tenant.policy_version,
        "pilot_since": iso(tenant.pilot_since),
        "whatsapp": tenant.whatsapp,
        "aggregate_id": str(tenant.id),
        "version": tenant.version,
    }


def experiment_document(experiment: Experiment) -> dict[str, Any]:
    doc: dict[str, Any] = jsonable(
        {
            "name": experiment.name,
            **experiment.definition,
            "status": experiment.status,
            "created_by": experiment.created_by,
            "started_by": experiment.started_by,
            "started_at": experiment.started_at,
            "winner": experiment.winner,
            "ended": experiment.ended,
            "stopped_arms": experiment.stopped_arms,
        }
    )
    return doc


def view_of(aggregate: RegistryAggregate) -> ViewWrite | None:
    """The aggregate's view row; None for a `Send`, whose rows are registry_sends'."""
    if isinstance(aggregate, Send):
        return None
    if isinstance(aggregate, Channel):
        doc, kind, key = channel_document(aggregate), "channel", aggregate.channel
    elif isinstance(aggregate, Customer):
        doc, kind, key = customer_document(aggregate), "customer", aggregate.customer_id
    elif isinstance(aggregate, Template):
        doc = template_document(aggregate)
        kind, key = "template", f"{aggregate.name}/{aggregate.language}"
    elif isinstance(aggregate, Tenant):
        doc, kind, key = tenant_document(aggregate), "tenant", ""
    elif isinstance(aggregate, TokenRevocation):
        doc = {"jti": aggregate.jti, "reason": aggregate.reason}
        kind, key = "revoked_token", aggregate.jti
    elif isinstance(aggregate, Experiment):
        doc, kind, key = experiment_document(aggregate), "experiment", aggregate.name
    else:  # pragma: no cover - every aggregate kind is listed above
        raise TypeError(type(aggregate))
    return ViewWrite(kind, key, str(aggregate.id), aggregate.version, doc)


def leaf_labels_of(aggregate: RegistryAggregate) -> tuple[str | None, str | None]:
    """The (customer id, template key) an aggregate's audit leaves are labelled with."""
    if isinstance(aggregate, Customer):
        return aggregate.customer_id, None
    if isinstance(aggregate, Template):
        return None, f"{aggregate.name}/{aggregate.language}"
    if isinstance(aggregate, Send):
        template = aggregate.template
        return aggregate.customer_id, f"{template['name']}/{template['language']}"
    return None, None


class ConsentFacts(Mapping[str, ConsentFact]):
    """A customer document's consents, each read into a `ConsentFact` when a decision
    first asks for it: a decision asks for one channel and purpose, and a batch reads a
    thousand customers' documents."""

    __slots__ = ("_raw", "_read")

    def __init__(self, raw: dict[str, dict[str, Any]]) -> None:
        self._raw = raw
        self._read: dict[str, ConsentFact] = {}

    def __getitem__(self, key: str) -> ConsentFact:
        fact: ConsentFact | None = self.get(key)
        if fact is None:
            raise KeyError(key)
        return fact

    def get(self, key: str, default: Any = None) -> Any:  # Mapping.get, in one call
        fact = self._read.get(key)
        if fact is None:
            raw = self._raw.get(key)
            if raw is None:
                return default
            fact = self._read[key] = consent_fact(raw)
        return fact

    def __iter__(self) -> Iterator[str]:
        return iter(self._raw)

    def __len__(self) -> int:
        return len(self._raw)


def consent_fact(consent: dict[str, Any]) -> ConsentFact:
    return ConsentFact(
        status=consent["status"],
        granted_at=parse_iso(consent.get("granted_at")),
        withdrawn_at=parse_iso(consent.get("withdrawn_at")),
        expires_at=parse_iso(consent.get("expires_at")),
        receipt_id=consent.get("receipt_id"),
        event_version=int(consent["event_version"]),
        confirm_by=parse_iso(consent.get("confirm_by")),
    )


def customer_facts(doc: dict[str, Any] | None) -> CustomerFacts | None:
    if doc is None:
        return None
    inbound = doc["last_inbound_at"]
    recent = doc["recent_authorizations"]
    holds, marketing = doc.get("holds"), doc.get("marketing_at")
    return CustomerFacts(
        erased=bool(doc["erased"]),
        suppressed=bool(doc["suppressed"]),
        timezone=doc["profile"].get("timezone"),
        consents=ConsentFacts(doc["consents"]),
        last_inbound_at={
            ch: at for ch, at in ((ch, parse_iso(x)) for ch, x in inbound.items()) if at
        }
        if inbound
        else {},
        recent_authorizations=tuple(a for a in map(parse_iso, recent) if a is not None)
        if recent
        else (),
        holds=_moments(holds) if holds else {},
        marketing_at=_moments({ch: pair[1] for ch, pair in marketing.items()}) if marketing else {},
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
        **_pilot_facts(doc.get("pilot")),
    )


def _pilot_facts(pilot: dict[str, Any] | None) -> dict[str, Any]:
    """TemplateFacts' pilot members from the template document's `pilot`."""
    if pilot is None:
        return {}
    return {
        "pilot": pilot["number"],
        "pilot_started_at": parse_iso(pilot["started_at"]),
        "pilot_cleared": pilot["cleared"] is not None,
    }


def _moments(values: dict[str, str | None]) -> dict[str, datetime]:
    return {key: moment for key, moment in ((k, parse_iso(v)) for k, v in values.items()) if moment}
