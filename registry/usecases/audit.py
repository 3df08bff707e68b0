"""R-AUDIT use cases: checkpoints, proofs, streaming exports and replay."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from audit import log as audit_log
from audit.checkpoint import checkpoint_document, sign_checkpoint
from audit.export import ExportEvent, csv_lines, jsonl_lines
from audit.log import LeafRow
from audit.pages import read_ahead, stored_event_texts
from registry.crypto import PREFIX
from registry.domain.customer import customer_aggregate_id
from registry.domain.decision import decide
from registry.domain.template import template_aggregate_id
from registry.domain.tenant import tenant_aggregate_id
from registry.domain.vocabulary import normalise_language
from registry.personal_data import key_opener
from registry.projections.documents import (
    customer_document,
    customer_facts,
    template_document,
    template_facts,
)
from registry.projections.history import Opener, readable
from registry.timefmt import iso, parse_iso
from registry.usecases.consents import ConsentUseCases
from registry.usecases.decisions import decision_body

EXPORT_PAGE = 2000
_SEALED_MARK = '"' + PREFIX


@dataclass(frozen=True, slots=True)
class _ExportPage:
    rows: list[LeafRow]
    stored: dict[int, str]  # position → the event's leaf object as JSON text
    proofs: Mapping[int, Sequence[bytes]]  # leaf index → inclusion proof (JSON lines only)
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
        if fmt == "csv":
            return csv_lines(self._export_events(tenant, filters, size, jsonl=False))
        return jsonl_lines(checkpoint, self._export_events(tenant, filters, size, jsonl=True))

    def _export_events(
        self, tenant: str, filters: dict[str, Any], size: int, *, jsonl: bool
    ) -> Iterator[ExportEvent]:
        for page in read_ahead(self._export_pages(tenant, filters, size, jsonl)):
            for row in page.rows:
                text = page.stored[row.position]
                opener = None if row.customer_id is None else page.openers.get(row.customer_id)
                yield ExportEvent(
                    leaf_index=row.index,
                    position=row.position,
                    event_json=text,
                    proof=page.proofs.get(row.index, ()),
                    readable=(
                        _readable_state(text, opener)
                        if opener is not None and _SEALED_MARK in text
                        else None
                    ),
                    occurred_at=row.occurred_at,
                    event_type=row.event_type,
                    customer_id=row.customer_id,
                    template=row.template,
                    actor=row.actor,
                )

    def _export_pages(
        self, tenant: str, filters: dict[str, Any], size: int, jsonl: bool
    ) -> Iterator[_ExportPage]:
        """Page by page in constant memory: per page one read of leaves, events and the
        subtrees the page's proofs need, and one of the page's customers' views and keys.
        JSON lines carry proofs and opened personal data; CSV neither, so it reads neither."""
        after = -1
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
                    before_index=size,
                    limit=EXPORT_PAGE,
                )
                stored = stored_event_texts(self.db, sql, [r.position for r in rows])
                proofs = (
                    audit_log.inclusion_proofs(
                        sql, tenant, {r.index: r.leaf_hash for r in rows}, size
                    )
                    if jsonl
                    else {}
                )
            openers = self._page_openers(tenant, rows, stored) if jsonl else {}
            if rows:
                yield _ExportPage(rows, stored, proofs, openers)
            if len(rows) < EXPORT_PAGE:
                return
            after = rows[-1].index

    def _page_openers(
        self, tenant: str, rows: list[LeafRow], stored: dict[int, str]
    ) -> dict[str, Opener]:
        """Openers for the page's customers whose events hold sealed values and who are not
        erased: one read of their views and one of their data keys."""
        customers = sorted(
            {
                row.customer_id
                for row in rows
                if row.customer_id is not None and _SEALED_MARK in stored[row.position]
            }
        )
        if not customers:
            return {}
        docs, _ = self.read_views(tenant, [("customer", c) for c in customers])
        living = [
            c
            for c in customers
            if (doc := docs.get(("customer", c))) is not None and not doc["erased"]
        ]
        keys = self.data_keys(tenant, living, create=False)
        return {c: key_opener(tenant, c, key) for c, key in keys.items()}

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


def _readable_state(event_json: str, opener: Opener) -> dict[str, Any] | None:
    """The event's state with its personal data opened; None when nothing opened."""
    opened_any = False

    def open_value(value: Any) -> Any:
        nonlocal opened_any
        opened = opener(value)
        opened_any = opened_any or opened is not None
        return opened

    state = readable(json.loads(event_json)["state"], open_value)
    return state if opened_any and isinstance(state, dict) else None
