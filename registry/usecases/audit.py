"""R-AUDIT use cases: checkpoints, proofs, streaming exports and replay."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from uuid import UUID

from audit import log as audit_log
from audit.checkpoint import checkpoint_document, sign_checkpoint
from audit.export import ExportEvent, csv_lines, jsonl_lines
from registry.domain.customer import customer_aggregate_id
from registry.domain.decision import decide
from registry.domain.template import template_aggregate_id
from registry.domain.tenant import tenant_aggregate_id
from registry.domain.vocabulary import normalise_language
from registry.projections.documents import (
    customer_document,
    customer_facts,
    template_document,
    template_facts,
)
from registry.projections.history import readable
from registry.timefmt import iso, parse_iso
from registry.usecases.consents import ConsentUseCases
from registry.usecases.decisions import decision_body

EXPORT_PAGE = 500


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
        events = self._export_events(tenant, filters, int(checkpoint["tree_size"]))
        if fmt == "csv":
            return csv_lines(events)
        return jsonl_lines(checkpoint, events)

    def _export_events(
        self, tenant: str, filters: dict[str, Any], size: int
    ) -> Iterator[ExportEvent]:
        after = -1
        erased_cache: dict[str, Any] = {}
        while True:
            with self.db.transaction() as sql:
                rows = audit_log.leaf_rows(
                    sql,
                    tenant,
                    customer_id=filters.get("customer_id"),
                    template=filters.get("template"),
                    since=filters.get("since"),
                    until=filters.get("until"),
                    after_index=after,
                    limit=EXPORT_PAGE,
                )
                rows = [r for r in rows if r.index < size]
                stored = self.db.stored_at_positions(sql, [r.position for r in rows])
                proofs = {
                    r.index: audit_log.inclusion_proof(sql, tenant, r.index, size) for r in rows
                }
            for row in rows:
                leaf = stored[row.position]
                yield ExportEvent(
                    leaf_index=row.index,
                    position=row.position,
                    leaf_object=leaf,
                    proof=proofs[row.index],
                    readable=self._readable_of(tenant, row.customer_id, leaf, erased_cache),
                    occurred_at=row.occurred_at,
                    event_type=row.event_type,
                    customer_id=row.customer_id,
                    template=row.template,
                    actor=row.actor,
                )
            if len(rows) < EXPORT_PAGE:
                return
            after = rows[-1].index

    def _readable_of(
        self, tenant: str, customer_id: str | None, leaf: dict[str, Any], cache: dict[str, Any]
    ) -> dict[str, Any] | None:
        if customer_id is None:
            return None
        if customer_id not in cache:
            docs, _ = self.read_views(tenant, [("customer", customer_id)])
            doc = docs.get(("customer", customer_id))
            erased = doc is None or bool(doc["erased"])
            cache[customer_id] = None if erased else self.opener(tenant, customer_id, False)
        opener = cache[customer_id]
        if opener is None:
            return None
        state = leaf["state"]
        opened = readable(state, opener)
        return opened if opened != readable(state, None) else None

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
