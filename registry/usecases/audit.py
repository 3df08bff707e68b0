"""R-AUDIT use cases: checkpoints, proofs, streaming exports and replay."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from audit import log as audit_log
from audit.checkpoint import checkpoint_document, sign_checkpoint
from audit.export import ExportEvent, csv_lines, jsonl_blocks
from audit.merkle import NodeKey
from audit.multiproof import inclusion_proofs_json, subtrees_needed
from audit.pages import (
    EventHead,
    LeafEvent,
    erased_customers,
    event_heads,
    leaf_events,
    living_wrapped_keys,
    read_ahead,
    state_of_head,
)
from audit.readable import readable_state_json
from audit.reads import LeafFilters, stored_nodes
from registry.crypto import PREFIX
from registry.domain.customer import customer_aggregate_id
from registry.domain.decision import decide
from registry.domain.template import template_aggregate_id
from registry.domain.tenant import tenant_aggregate_id
from registry.domain.vocabulary import normalise_language
from registry.keys import KeyRing
from registry.personal_data import key_opener, unwrap_data_keys
from registry.projections.documents import (
    customer_document,
    customer_facts,
    template_document,
    template_facts,
)
from registry.store.database import Database
from registry.store.events import EventStore
from registry.timefmt import iso, parse_iso
from registry.usecases import experiment_decisions
from registry.usecases.decisions import decision_body
from registry.usecases.policy import PolicyService
from registry.usecases.replay_rules import experiment_at, pilot_at

EXPORT_PAGE = 2000
_SEALED_MARK = '"' + PREFIX


@dataclass(frozen=True, slots=True)
class _JsonlPage:
    """What a page of JSON lines needs from the database, read ahead of making them."""

    heads: list[EventHead]
    subtrees: dict[NodeKey, bytes]  # the stored subtrees the page's proofs need
    sealed: list[str | None]  # per event, its customer when it holds sealed values
    wrapped: dict[str, bytes]  # customer → wrapped data key, living customers only
    subjects: list[str]  # per event, its `customer_id` and `template` members (JSON text)


class AuditService:
    """Owns the audit trail's answers: signed checkpoints, consistency and inclusion
    proofs, the export, and the replay of a decision as things stood at a moment."""

    def __init__(
        self,
        db: Database,
        store: EventStore,
        policies: PolicyService,
        keyring: KeyRing,
        origin_host: str,
    ) -> None:
        self.db = db
        self.store = store  # the aggregates as they stood (replay)
        self.policies = policies
        self.keyring = keyring
        self.origin_host = origin_host

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
        """JSON lines are made in stages, each a page ahead of the next on its own thread:
        the reads of a page's heads and proof subtrees, the read of its customers' data
        keys, and here the lines (proofs, keys, readable data). The reading threads only
        read: Python work there waits for the lock that this thread mostly holds. On
        PostgreSQL the two reads have a thread each, so that the database's work for two
        pages overlaps ours for a third; SQLite's reads are work in this process, where
        a third thread measured slower."""
        checkpoint = self.checkpoint(tenant)
        size = int(checkpoint["tree_size"])
        if fmt == "csv":
            return csv_lines(_csv_events(read_ahead(self._csv_pages(tenant, filters, size))))
        heads = self._head_pages(tenant, filters, size)
        if self.db.dialect == "postgres":
            heads = read_ahead(heads)
        pages = read_ahead(self._with_keys(tenant, heads))
        master = self.keyring.master_data_key
        return jsonl_blocks(checkpoint, _event_blocks(pages, tenant, size, master))

    def _head_pages(
        self, tenant: str, filters: dict[str, Any], size: int
    ) -> Iterator[tuple[list[EventHead], dict[NodeKey, bytes]]]:
        """Page by page in constant memory: one read of the heads of the event lines, one
        of the subtrees the page's proofs need (the tree of `size`, which the checkpoint
        just read, holds every leaf below it)."""
        after = -1
        while True:
            with self.db.transaction() as sql:
                heads = event_heads(
                    self.db,
                    sql,
                    tenant,
                    limit=EXPORT_PAGE,
                    **_page_filters(filters, after, size),
                )
                needed = subtrees_needed(size, [index for index, *_ in heads])
                subtrees = stored_nodes(sql, tenant, needed) if needed else {}
            if heads:
                yield heads, subtrees
            if len(heads) < EXPORT_PAGE:
                return
            after = heads[-1][0]

    def _with_keys(
        self, tenant: str, pages: Iterator[tuple[list[EventHead], dict[NodeKey, bytes]]]
    ) -> Iterator[_JsonlPage]:
        """Each page with the wrapped data keys of its living customers with sealed values
        (one read)."""
        try:
            for heads, subtrees in pages:
                sealed = [
                    customer if customer is not None and _SEALED_MARK in head else None
                    for _, customer, _, head, _ in heads
                ]
                wrapped: dict[str, bytes] = {}
                erased: set[str] = set()
                named = {customer for _, customer, _, _, _ in heads if customer is not None}
                if named:
                    with self.db.transaction() as sql:
                        erased = erased_customers(sql, tenant, sorted(named))
                        if customers := [c for c in set(sealed) if c is not None]:
                            wrapped = living_wrapped_keys(sql, tenant, customers)
                subjects = [
                    subject_members(None if customer in erased else customer, template)
                    for _, customer, _, _, template in heads
                ]
                yield _JsonlPage(heads, subtrees, sealed, wrapped, subjects)
        finally:
            close = getattr(pages, "close", None)
            if close is not None:
                close()

    def _csv_pages(
        self, tenant: str, filters: dict[str, Any], size: int
    ) -> Iterator[list[LeafEvent]]:
        after = -1
        while True:
            with self.db.transaction() as sql:
                events = leaf_events(
                    self.db,
                    sql,
                    tenant,
                    limit=EXPORT_PAGE,
                    **_page_filters(filters, after, size),
                )
            if events:
                yield events
            if len(events) < EXPORT_PAGE:
                return
            after = events[-1].leaf_index

    # ---- replay ----------------------------------------------------------------------

    def replay(self, tenant: str, request: dict[str, Any]) -> dict[str, Any]:
        """The decision as the registry knew things at `at`, with the events it used; an
        experiment and a pilot as they stood then (registry.usecases.replay_rules)."""
        at: datetime = request["at"]
        customer_id = request["customer_id"]
        request, choice, experiment_used = experiment_at(self._as_of, tenant, request, at)
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
        policy, policy_version = self.policies.policy_of(
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
            pilot=pilot_at(self.db, tenant, tenant_agg, template_agg, customer_id, at),
        )
        with self.db.transaction() as sql:
            position = self.db.max_position(sql)
        body = experiment_decisions.answered(decision_body(decision), request, choice)
        return {
            **body,
            "at": iso(at),
            "policy_version": policy_version,
            "rested_on": {
                "customer": customer_used,
                "template": template_used,
                "policy": tenant_used,
                "experiment": experiment_used,
            },
            "position": position,
        }

    def _as_of(self, aggregate_id: UUID, at: datetime) -> tuple[Any, list[int]]:
        stored = self.store.recorder.select_events(aggregate_id)
        version = 0
        for event in stored:
            stamp = json.loads(event.state).get("timestamp", {}).get("_data_")
            moment = parse_iso(stamp)
            if moment is None or moment > at:
                break
            version = event.originator_version
        if version == 0:
            return None, []
        aggregate: Any = self.store.repository.get(aggregate_id, version=version)
        with self.db.transaction() as sql:
            positions = self.db.positions_of(sql, str(aggregate_id), list(range(1, version + 1)))
        return aggregate, [positions[v] for v in sorted(positions)]


# ---- export helpers ----------------------------------------------------------------------


def _page_filters(filters: dict[str, Any], after: int, size: int) -> LeafFilters:
    """The request's filters, for the page after leaf `after` of the tree of `size`."""
    return {
        "customer_id": filters.get("customer_id"),
        "template": filters.get("template"),
        "types": filters.get("type"),
        "since": filters.get("since"),
        "until": filters.get("until"),
        "after_index": after,
        "before_index": size,
    }


def _event_blocks(
    pages: Iterable[_JsonlPage], tenant: str, size: int, master: bytes
) -> Iterator[tuple[str, int]]:
    """A page's event lines as one text: each is its head, proof and readable state."""
    for page in pages:
        proofs = inclusion_proofs_json(
            size, {index: leaf_hash for index, _, leaf_hash, *_ in page.heads}, _known(page)
        )
        keys = unwrap_data_keys(master, tenant, page.wrapped)
        openers = {c: key_opener(tenant, c, key) for c, key in keys.items()}
        parts: list[str] = []
        add = parts.append
        for (index, _, _, head, _), customer, subject in zip(
            page.heads, page.sealed, page.subjects, strict=True
        ):
            add(head)
            add(proofs[index])
            add(subject)
            if customer is not None and (opener := openers.get(customer)) is not None:
                opened = readable_state_json(state_of_head(head), opener)
                if opened is not None:
                    add(',"readable":')
                    add(opened)
            add("}\n")
        yield "".join(parts), len(page.heads)


def subject_members(customer_id: str | None, template: str | None) -> str:
    """An event line's `"customer_id"` (none once erased) and `"template"` members (SPEC §18),
    as JSON text to follow its proof."""
    text = "" if customer_id is None else f',"customer_id":{_json_text(customer_id)}'
    if template is not None and "/" in template:
        name, language = template.split("/", 1)
        text += f',"template":{{"name":{_json_text(name)},"language":{_json_text(language)}}}'
    return text


def _json_text(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def _known(page: _JsonlPage) -> Callable[[Sequence[NodeKey]], Mapping[NodeKey, bytes]]:
    """The lookup of the subtrees read with the page (all that its proofs ask for)."""
    return lambda keys: page.subtrees


def _csv_events(pages: Iterable[list[LeafEvent]]) -> Iterator[ExportEvent]:
    for events in pages:
        for event in events:
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
