"""R-AUDIT use cases: checkpoints, proofs, streaming exports and replay."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from audit import log as audit_log
from audit.checkpoint import checkpoint_document, sign_checkpoint
from audit.export import ExportEvent, csv_lines, event_line, jsonl_document
from audit.pages import LeafEvent, leaf_events, living_wrapped_keys, read_ahead
from audit.readable import readable_json
from registry.crypto import PREFIX
from registry.domain.customer import customer_aggregate_id
from registry.domain.decision import decide
from registry.domain.template import template_aggregate_id
from registry.domain.tenant import tenant_aggregate_id
from registry.domain.vocabulary import normalise_language
from registry.personal_data import key_opener, unwrap_data_keys
from registry.projections.documents import (
    customer_document,
    customer_facts,
    template_document,
    template_facts,
)
from registry.projections.history import Opener
from registry.timefmt import iso, parse_iso
from registry.usecases.consents import ConsentUseCases
from registry.usecases.decisions import decision_body

EXPORT_PAGE = 2000
_SEALED_MARK = '"' + PREFIX


@dataclass(frozen=True, slots=True)
class _ExportPage:
    events: list[LeafEvent]
    proofs: Mapping[int, str]  # leaf index → inclusion proof as JSON text (JSON lines only)
    openers: dict[str, Opener]  # customer → opener of their sealed values (JSON lines only)


class AuditUseCases(ConsentUseCases):
    def origin(self, tenant: str) -> str:
        return f"{self.origin_host}/{tenant}"

    def checkpoint(self, tenant: str) -> dict[str, Any]:
        with self.db.transaction() as sql:
            size = audit_log.tree_size(sql, tenant)
            root = audit_log.root_hash(sql, tenant, size)
        return checkpoint_document(
            sign_checkpoint(self.keyring.signing_key, self.origin(tenant), size, root)
        )

    def consistency(self, tenant: str, first: int, second: int) -> dict[str, Any]:
        with self.db.transaction() as sql:
            proof = audit_log.consistency_proof(sql, tenant, first, second)
        return {"first": first, "second": second, "proof": [h.hex() for h in proof]}

    def inclusion(self, tenant: str, leaf_index: int, tree_size: int) -> dict[str, Any]:
        with self.db.transaction() as sql:
            proof = audit_log.inclusion_proof(sql, tenant, leaf_index, tree_size)
        return {"leaf_index": leaf_index, "tree_size": tree_size, "proof": [h.hex() for h in proof]}

    def export(self, tenant: str, filters: dict[str, Any], fmt: str) -> Iterator[str]:
        checkpoint = self.checkpoint(tenant)
        size = int(checkpoint["tree_size"])
        pages = read_ahead(self._export_pages(tenant, filters, size, jsonl=fmt != "csv"))
        if fmt == "csv":
            return csv_lines(_csv_events(pages))
        return jsonl_document(checkpoint, _event_lines(pages))

    def _export_pages(
        self, tenant: str, filters: dict[str, Any], size: int, jsonl: bool
    ) -> Iterator[_ExportPage]:
        """Page by page in constant memory: per page one read of leaves with their events,
        one of the subtrees the page's proofs need and one of its customers' data keys.
        JSON lines carry proofs and opened personal data; CSV neither, so it reads neither."""
        after = -1
        while True:
            wrapped: dict[str, bytes] = {}
            proofs: dict[int, str] = {}
            with self.db.transaction() as sql:
                events = leaf_events(
                    self.db,
                    sql,
                    tenant,
                    customer_id=filters.get("customer_id"),
                    template=filters.get("template"),
                    since=filters.get("since"),
                    until=filters.get("until"),
                    after_index=after,
                    before_index=size,
                    limit=EXPORT_PAGE,
                )
                if jsonl:
                    leaves = {event.leaf_index: event.leaf_hash for event in events}
                    proofs = audit_log.inclusion_proofs_json(sql, tenant, leaves, size)
                    if customers := _sealed_customers(events):
                        wrapped = living_wrapped_keys(sql, tenant, customers)
            keys = unwrap_data_keys(self.keyring.master_data_key, tenant, wrapped)
            openers = {c: key_opener(tenant, c, key) for c, key in keys.items()}
            if events:
                yield _ExportPage(events, proofs, openers)
            if len(events) < EXPORT_PAGE:
                return
            after = events[-1].leaf_index

    # ---- replay ----------------------------------------------------------------------

    def replay(self, tenant: str, request: dict[str, Any]) -> dict[str, Any]:
        """The decision as the registry knew things at `at`, with the events it used."""
        at: datetime = request["at"]
        customer_id = request["customer_id"]
        template = request.get("template")
        channel = request.get("channel") or "whatsapp"
        customer, customer_used = self._as_of(customer_aggregate_id(tenant, customer_id), at)
        template_agg: Any = None
        template_used: list[int] = []
        if template is not None:
            template_agg, template_used = self._as_of(
                template_aggregate_id(
                    tenant, template["name"], normalise_language(template["language"])
                ),
                at,
            )
        tenant_agg, tenant_used = self._as_of(tenant_aggregate_id(tenant), at)
        policy, policy_version = self.policy_of(
            tenant,
            None
            if tenant_agg is None
            else {"policy": tenant_agg.policy, "policy_version": tenant_agg.policy_version},
        )
        decision = decide(
            customer=None if customer is None else customer_facts(customer_document(customer)),
            template=None
            if template_agg is None
            else template_facts(template_document(template_agg)),
            template_requested=template is not None,
            channel=channel,
            policy=policy,
            at=at,
        )
        with self.db.transaction() as sql:
            position = self.db.max_position(sql)
        return {
            **decision_body(decision),
            "at": iso(at),
            "policy_version": policy_version,
            "rested_on": {
                "customer": customer_used,
                "template": template_used,
                "policy": tenant_used,
            },
            "position": position,
        }

    def _as_of(self, aggregate_id: UUID, at: datetime) -> tuple[Any, list[int]]:
        stored = self.recorder.select_events(aggregate_id)
        version = 0
        for event in stored:
            stamp = json.loads(event.state).get("timestamp", {}).get("_data_")
            moment = parse_iso(stamp)
            if moment is None or moment > at:
                break
            version = event.originator_version
        if version == 0:
            return None, []
        aggregate: Any = self.repository.get(aggregate_id, version=version)
        with self.db.transaction() as sql:
            positions = self.db.positions_of(sql, str(aggregate_id), list(range(1, version + 1)))
        return aggregate, [positions[v] for v in sorted(positions)]


# ---- export helpers ----------------------------------------------------------------------


def _event_lines(pages: Iterable[_ExportPage]) -> Iterator[str]:
    for page in pages:
        openers, proofs = page.openers, page.proofs
        for event in page.events:
            text = event.event_json
            opener = None if event.customer_id is None else openers.get(event.customer_id)
            yield event_line(
                event.leaf_index,
                event.position,
                text,
                proofs.get(event.leaf_index, "[]"),
                readable_json(text, opener)
                if opener is not None and _SEALED_MARK in text
                else None,
            )


def _csv_events(pages: Iterable[_ExportPage]) -> Iterator[ExportEvent]:
    for page in pages:
        for event in page.events:
            yield ExportEvent(
                leaf_index=event.leaf_index,
                position=event.position,
                event_json=event.event_json,
                proof=(),
                readable=None,
                occurred_at=event.occurred_at,
                event_type=event.event_type,
                customer_id=event.customer_id,
                template=event.template,
                actor=event.actor,
            )


def _sealed_customers(events: Iterable[LeafEvent]) -> list[str]:
    """The customers of the events that hold sealed values."""
    return sorted(
        {
            event.customer_id
            for event in events
            if event.customer_id is not None and _SEALED_MARK in event.event_json
        }
    )
