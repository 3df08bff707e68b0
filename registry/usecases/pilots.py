"""SPEC §13 pilots at work (the rule itself: registry.domain.rules.pilot).

- `pilot_facts`: what a decision's single read gives the rule (the tenant document's
  `pilot_since`, the template document's `pilot`, the `("pilot", template)` read).
- `joined_rows`: what an authorization that adds a customer to a pilot writes in its
  transaction, the CHECK-guarded count that keeps a pilot from going one over whatever
  the number of workers (registry.projections.pilots).
- `PilotJudge.judge`: after a write that changes outcomes (registry/usecases/feedback.py
  calls it in the transaction of that write, SPEC §19), each touched pilot is judged on
  its sends: it clears (`Template.PilotCleared`, actor `system`) or breaches, which pauses
  the approved version as SPEC §12's automatic pause does (`Template.PausedForFeedback`).
- `PilotJudge.settle`: an authorization refused with `pilot_in_progress` first judges the
  pilot at that moment (its sends may have turned 24 h old with no outcome since), records
  the verdict and decides again; a decision (no side effects) does not.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from registry.domain.base import RegistryAggregate, acting_as
from registry.domain.customer import Customer
from registry.domain.exceptions import NotFound
from registry.domain.feedback import Feedback, pause_figures, rate_text
from registry.domain.outcome_counts import counts_with
from registry.domain.pilot import Pilot
from registry.domain.rules.pilot import PilotFacts, PilotFigures, pilot_verdict
from registry.domain.send import FlagChange
from registry.domain.template import Template, template_aggregate_id
from registry.domain.vocabulary import ACTOR_SYSTEM
from registry.projections.documents import template_facts
from registry.projections.pilots import joined, pilot_sends, pilot_size
from registry.projections.sends import Statement
from registry.store.sql import Sql
from registry.timefmt import parse_iso

if TYPE_CHECKING:
    from registry.projections.reader import ViewReader
    from registry.store.database import Database
    from registry.store.writer import EventWriter
    from registry.usecases.policy import PolicyService

Docs = dict[tuple[str, str], dict[str, Any]]


def pilot_keys(template_key: str) -> list[tuple[str, str]]:
    """What a decision about the template reads besides its document."""
    return [("pilot", template_key)]


def pilot_facts(docs: Docs, template_key: str, customer_id: str) -> PilotFacts | None:
    """The rule's facts from a read of `pilot_keys(template_key)` with the customer and
    tenant; None while the tenant's policy has no pilot."""
    tenant_doc = docs.get(("tenant", ""))
    since = None if tenant_doc is None else parse_iso(tenant_doc.get("pilot_since"))
    if since is None:
        return None
    current = ((docs.get(("template", template_key)) or {}).get("pilot") or {}).get("number")
    read = docs.get(("pilot", template_key))
    if current is None or read is None:
        return PilotFacts(since)
    customers = int(read["customers"]) if read["pilot"] == current else 0
    return PilotFacts(since, customers, current in read["members"].get(customer_id, ()))


class PilotArms:
    """The tenants whose last decision read found no pilot in their policy: their reads
    leave out the `pilot_keys` arms (two index seeks per template), and a read that finds
    the tenant's pilot turned on since is made again with them. The answer is always the
    fresh tenant document's, so nothing is decided on a stale guess."""

    MAX_KEPT = 10_000

    def __init__(self) -> None:
        self._without: set[str] = set()

    def keys_for(self, tenant: str, keys: list[tuple[str, str]]) -> list[tuple[str, str]]:
        if tenant not in self._without:
            return keys
        return [key for key in keys if key[0] != "pilot"]

    def read_again(self, tenant: str, docs: Docs, asked: int, keys: int) -> bool:
        """Whether a read of `asked` of the `keys` keys must be made again with them all."""
        tenant_doc = docs.get(("tenant", ""))
        on = tenant_doc is not None and tenant_doc.get("pilot_since") is not None
        if on:
            self._without.discard(tenant)
            return asked < keys
        if len(self._without) >= self.MAX_KEPT:
            self._without.clear()
        self._without.add(tenant)
        return False


def joined_rows(
    tenant: str, customer: Customer, facts: PilotFacts | None, settings: Pilot | None
) -> list[Statement]:
    """The rows of the customer's pending pilot send, when it is their first in the pilot."""
    if facts is None or facts.includes_customer or settings is None:
        return []
    return [
        row
        for event in customer.pending_events
        if isinstance(event, Customer.SendAuthorized) and event.pilot is not None
        for row in joined(tenant, event, customer.customer_id, settings.customers)
    ]


class PilotJudge:
    def __init__(
        self, writer: EventWriter, views: ViewReader, policies: PolicyService, db: Database
    ) -> None:
        self.writer = writer
        self.views = views
        self.policies = policies
        self.db = db

    def judge(
        self,
        tenant: str,
        sql: Sql,
        changes: Sequence[FlagChange],
        docs: Docs,
        feedback: Feedback,
        now: datetime,
        changed: Sequence[RegistryAggregate] = (),
    ) -> list[RegistryAggregate]:
        """The templates whose pilots the write's sends clear or breach, with those
        events. `changes` are the sends the write touches and the flags it newly sets on
        them (counted with the committed ones); `docs` holds their templates' documents;
        `changed` are the aggregates the write changes already (a template paused there
        is reused, not loaded twice)."""
        settings, since = self._settings(tenant)
        if settings is None or since is None:
            return []
        result: list[RegistryAggregate] = []
        templates = {
            (c.identity.template["name"], c.identity.template["language"]) for c in changes
        }
        for name, language in sorted(templates):
            doc = docs.get(("template", f"{name}/{language}"))
            judged = self._verdict(sql, tenant, doc, settings, since, feedback, now, changes)
            if judged is None:
                continue
            aggregate = self._template(tenant, name, language, changed)
            if aggregate is None:
                continue
            _record(aggregate, *judged, feedback, now)
            if aggregate.pending_events and all(a is not aggregate for a in changed):
                result.append(aggregate)
        return result

    def settle(self, tenant: str, template_key: str, now: datetime) -> bool:
        """For an authorization refused with `pilot_in_progress`: the template's pilot
        judged now (a full pilot's sends may have turned 24 h old since the last outcome
        reported for them) and its verdict recorded; whether one was."""
        settings, since = self._settings(tenant)
        if settings is None or since is None:
            return False
        docs, _ = self.views.read(tenant, [("tenant", ""), ("template", template_key)])
        policy, _ = self.policies.policy_of(tenant, docs.get(("tenant", "")))
        doc = docs.get(("template", template_key))
        with self.db.transaction() as sql:
            judged = self._verdict(sql, tenant, doc, settings, since, policy.feedback, now, ())
        if judged is None or doc is None:
            return False
        self.writer.write(
            tenant,
            template_aggregate_id(tenant, doc["name"], doc["language"]),
            None,
            lambda template: _record(template, *judged, policy.feedback, now),
        )
        return True

    def _settings(self, tenant: str) -> tuple[Pilot | None, datetime | None]:
        """The policy's pilot and when the tenant turned pilots on."""
        docs, _ = self.views.read(tenant, [("tenant", "")])
        tenant_doc = docs.get(("tenant", ""))
        policy, _ = self.policies.policy_of(tenant, tenant_doc)
        return policy.pilot, parse_iso((tenant_doc or {}).get("pilot_since"))

    def _verdict(
        self,
        sql: Sql,
        tenant: str,
        doc: dict[str, Any] | None,
        settings: Pilot,
        since: datetime,
        feedback: Feedback,
        now: datetime,
        changes: Sequence[FlagChange],
    ) -> tuple[tuple[str, str | None], PilotFigures, datetime] | None:
        """The verdict on the pilot of the template `doc` describes (None while it runs,
        or when no pilot holds the template), its figures and when it started."""
        template = template_facts(doc)
        if doc is None or template is None or template.approved_version is None:
            return None
        if template.category not in settings.categories or template.pilot_cleared:
            return None
        started = template.pilot_started_at
        if started is None or started < since:
            return None
        figures = self._figures(sql, tenant, doc, started, changes)
        verdict = pilot_verdict(figures, settings, feedback, now)
        return None if verdict is None else (verdict, figures, started)

    @staticmethod
    def _figures(
        sql: Sql,
        tenant: str,
        doc: dict[str, Any],
        started: datetime,
        changes: Sequence[FlagChange],
    ) -> PilotFigures:
        number = doc["pilot"]["number"]
        versions = [
            int(v["version"])
            for v in doc["versions"]
            if (v.get("review") or {}).get("decision") == "approve"
            and v.get("pilot", v["version"]) == number
        ]
        name, language = doc["name"], doc["language"]
        counts, latest = pilot_sends(sql, tenant, name, language, versions, started)
        flags = counts_with(
            counts,
            (
                (change.before, change.added)
                for change in changes
                if (change.identity.template["name"], change.identity.template["language"])
                == (name, language)
                and change.identity.template.get("version") in versions
                and change.identity.authorized_at >= started
            ),
        )
        return PilotFigures(
            customers=pilot_size(sql, tenant, f"{name}/{language}", number),
            delivered=flags["delivered"],
            complained=flags["complained"],
            opted_out=flags["opted_out"],
            latest_send_at=latest,
        )

    def _template(
        self, tenant: str, name: str, language: str, changed: Sequence[RegistryAggregate]
    ) -> Template | None:
        aggregate_id = template_aggregate_id(tenant, name, language)
        for aggregate in changed:
            if isinstance(aggregate, Template) and aggregate.id == aggregate_id:
                return aggregate
        try:
            template: Template = self.writer.get(aggregate_id)
        except NotFound:
            return None
        return template


def _record(
    template: Template,
    verdict: tuple[str, str | None],
    figures: PilotFigures,
    started: datetime,
    feedback: Feedback,
    now: datetime,
) -> None:
    pilot = template.pilot
    version = template.approved_version
    if pilot is None or version is None or template.feedback_pause is not None:
        return
    delivered = figures.delivered
    outcome, reason = verdict
    with acting_as(ACTOR_SYSTEM):
        if outcome == "cleared":
            template.clear_pilot(
                pilot=pilot["number"],
                version=version,
                customers=figures.customers,
                delivered=delivered,
                complained=figures.complained,
                opted_out=figures.opted_out,
                complaint_rate=rate_text(figures.complained, delivered),
                opt_out_rate=rate_text(figures.opted_out, delivered),
                complaint_threshold=str(feedback.template_pause_complaint_rate),
                opt_out_threshold=str(feedback.template_pause_opt_out_rate),
                min_delivered=feedback.min_delivered,
                latest_send_at=figures.latest_send_at,
                at=now,
            )
            return
        assert reason is not None  # a failed verdict names the rate that failed it
        count = figures.complained if reason == "complaint_rate" else figures.opted_out
        threshold = (
            feedback.template_pause_complaint_rate
            if reason == "complaint_rate"
            else feedback.template_pause_opt_out_rate
        )
        template.pause_for_feedback(
            **pause_figures(
                version=version,
                reason=reason,
                count=count,
                delivered=delivered,
                threshold=str(threshold),
                feedback=feedback,
                window_start=started,
                at=now,
            )
        )
