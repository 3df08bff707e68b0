"""SPEC §11 attribution and §12 automatic changes, decided in the transaction of the
feedback that causes them (SPEC §19).

- An opt-out or a suppression of a customer is attributed to their most recent send on
  that channel (suppression: on any channel) within `feedback.attribution_hours`
  (`Customer.FeedbackAttributed`, saved with it: `companions`, the writer's hook).
- After any write that changes a send's outcomes, each template version it touches is
  judged on its rolling `window_days` (sends authorized since the window's start, or since
  a reviewer last resumed that version, whichever is later): a complaint or opt-out rate
  at or over its threshold, with at least `min_delivered` delivered, pauses the version
  (`Template.PausedForFeedback`, actor `system`). Each channel it touches is judged the
  same way on its complaint rate for the tenant's warning (registry.domain.channel).
The figures are counted from `registry_sends` as committed plus what the write adds, so
they are the ones a recount of the log gives once the write is in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from registry.clock import Clock
from registry.domain.base import RegistryAggregate, acting_as
from registry.domain.channel import Channel, RateFigures, channel_aggregate_id, next_step
from registry.domain.customer import Customer
from registry.domain.exceptions import NotFound
from registry.domain.feedback import Feedback, pause_figures, rate_text, reaches
from registry.domain.outcome_counts import counts_with
from registry.domain.send import FlagChange, SendIdentity
from registry.domain.template import template_aggregate_id
from registry.domain.vocabulary import ACTOR_SYSTEM
from registry.projections.send_reads import channel_window, sends_by_id, version_window
from registry.timefmt import parse_iso
from registry.usecases.experiment_guardrails import ArmGuardrails
from registry.usecases.pilots import PilotJudge

if TYPE_CHECKING:
    from registry.projections.reader import ViewReader
    from registry.store.database import Database
    from registry.store.writer import EventWriter
    from registry.usecases.policy import PolicyService


@dataclass
class Touched:
    """A send whose flags a write sets. With `before` (the flags of the send's committed
    row, as the writer read it) `flags` are all new; without, some may be set already
    and the row is read here."""

    identity: SendIdentity
    flags: set[str] = field(default_factory=set)
    before: frozenset[str] | None = None


class FeedbackRules:
    def __init__(
        self,
        writer: EventWriter,
        views: ViewReader,
        policies: PolicyService,
        db: Database,
        clock: Clock,
    ) -> None:
        self.writer = writer
        self.views = views
        self.policies = policies
        self.db = db
        self.clock = clock
        self.arm_guardrails = ArmGuardrails(writer, views)  # experiment arms (SPEC §13)
        self.pilots = PilotJudge(writer, views, policies, db)  # SPEC §13: their pilots

    # ---- the writer's hook ------------------------------------------------------------

    def companions(self, tenant: str, aggregate: RegistryAggregate) -> list[RegistryAggregate]:
        if not isinstance(aggregate, Customer) or not aggregate.last_sends:
            return []
        causes = [
            e
            for e in aggregate.pending_events
            if isinstance(e, Customer.ConsentWithdrawn | Customer.Suppressed)
        ]
        if not causes:
            return []
        docs, _ = self.views.read(tenant, [("tenant", "")])
        policy, _ = self.policies.policy_of(tenant, docs.get(("tenant", "")))
        within = timedelta(hours=policy.feedback.attribution_hours)
        touched: list[Touched] = []
        for cause in causes:
            withdrawal = isinstance(cause, Customer.ConsentWithdrawn)
            if isinstance(cause, Customer.ConsentWithdrawn):
                send = aggregate.attribute_feedback(
                    kind="opted_out",
                    cause="Customer.ConsentWithdrawn",
                    at=cause.withdrawn_at,
                    source_kind=(cause.source or {}).get("kind"),
                    purposes=list(cause.purposes),
                    channel=cause.channel,
                    within=within,
                )
            else:
                send = aggregate.attribute_feedback(
                    kind="suppressed",
                    cause="Customer.Suppressed",
                    at=cause.timestamp,
                    source_kind=None,
                    purposes=[],
                    channel=None,
                    within=within,
                )
            if send is not None:
                identity = SendIdentity(
                    send["authorization_id"],
                    aggregate.customer_id,
                    send["channel"],
                    send["template"],
                    send["purpose"],
                    send["authorized_at"],
                )
                touched.append(Touched(identity, {"opted_out" if withdrawal else "suppressed"}))
        return self.judge(tenant, touched, policy.feedback) if touched else []

    # ---- judging ------------------------------------------------------------------------

    def judge(
        self, tenant: str, touched: Sequence[Touched], feedback: Feedback
    ) -> list[RegistryAggregate]:
        """The Template and Channel aggregates with the events these changes cause."""
        now = self.clock.now()
        window_start = now - timedelta(days=feedback.window_days)
        versions = {
            (
                t.identity.template["name"],
                t.identity.template["language"],
                t.identity.template["version"],
            )
            for t in touched
            if t.identity.template.get("version") is not None
        }
        channels = {t.identity.channel for t in touched}
        keys = [("template", f"{n}/{lang}") for n, lang, _ in versions]
        keys += [("channel", channel) for channel in channels]
        docs, _ = self.views.read(tenant, sorted(set(keys)))
        changed: list[RegistryAggregate] = []
        with self.db.transaction() as sql:
            changes = _changes(sql, tenant, touched)
            for name, language, version in sorted(versions):
                doc = docs.get(("template", f"{name}/{language}"))
                if doc is None or str(version) in (doc.get("feedback_paused") or {}):
                    continue
                resumed = parse_iso((doc.get("feedback_resumed_at") or {}).get(str(version)))
                start = max(window_start, resumed) if resumed else window_start
                counts = _plus(
                    version_window(sql, tenant, name, language, version, start),
                    [
                        change
                        for change in changes
                        if change.identity.template["name"] == name
                        and change.identity.template["language"] == language
                        and change.identity.template["version"] == version
                        and change.identity.authorized_at >= start
                    ],
                )
                pause = _template_breach(counts, feedback)
                if pause is not None:
                    changed += self._pause(
                        tenant, name, language, version, pause, start, now, feedback
                    )
            changed += self.pilots.judge(tenant, sql, changes, docs, feedback, now, changed)
            for channel in sorted(channels):
                counts = _plus(
                    channel_window(sql, tenant, channel, window_start),
                    [
                        change
                        for change in changes
                        if change.identity.channel == channel
                        and change.identity.authorized_at >= window_start
                    ],
                )
                changed += self._judge_channel(
                    tenant, channel, docs.get(("channel", channel)), counts, feedback, now
                )
            changed += self.arm_guardrails.judge(tenant, sql, changes, feedback)
        return changed

    def _pause(
        self,
        tenant: str,
        name: str,
        language: str,
        version: int,
        pause: tuple[str, int, int, str],
        start: datetime,
        now: datetime,
        feedback: Feedback,
    ) -> list[RegistryAggregate]:
        reason, count, delivered, threshold = pause
        try:
            template = self.writer.get(template_aggregate_id(tenant, name, language))
        except NotFound:
            return []
        with acting_as(ACTOR_SYSTEM):
            template.pause_for_feedback(
                **pause_figures(
                    version=version,
                    reason=reason,
                    count=count,
                    delivered=delivered,
                    threshold=threshold,
                    feedback=feedback,
                    window_start=start,
                    at=now,
                )
            )
        return [template] if template.pending_events else []

    def _judge_channel(
        self,
        tenant: str,
        channel: str,
        doc: dict[str, Any] | None,
        counts: dict[str, int],
        feedback: Feedback,
        now: datetime,
    ) -> list[RegistryAggregate]:
        delivered, complained = counts["delivered"], counts["complained"]
        above = delivered >= feedback.min_delivered and reaches(
            complained, delivered, feedback.tenant_warn_complaint_rate
        )
        halved = bool(doc and doc.get("halved"))
        recovering = parse_iso(doc.get("recovering_since")) if doc else None
        if next_step(halved, recovering, above, now) is None:
            return []
        try:
            aggregate: Channel = self.writer.get(channel_aggregate_id(tenant, channel))
        except NotFound:
            aggregate = Channel.register(tenant, channel)
        figures = RateFigures(
            complained=complained,
            delivered=delivered,
            rate=rate_text(complained, delivered),
            threshold=str(feedback.tenant_warn_complaint_rate),
            window_days=feedback.window_days,
            min_delivered=feedback.min_delivered,
        )
        with acting_as(ACTOR_SYSTEM):
            aggregate.evaluate(figures, at_or_above=above, at=now)
        return [aggregate] if aggregate.pending_events else []


def _changes(sql: Any, tenant: str, touched: Sequence[Touched]) -> list[FlagChange]:
    """Each touched send's committed flags, and those the write adds to them."""
    unsure = [t.identity.authorization_id for t in touched if t.before is None]
    stored = sends_by_id(sql, tenant, unsure)
    changes = []
    for t in touched:
        before = t.before
        if before is None:
            row = stored.get(t.identity.authorization_id)
            before = (
                frozenset() if row is None else frozenset(f for f, on in row.flags.items() if on)
            )
        changes.append(FlagChange(t.identity, before, frozenset(t.flags) - before))
    return changes


def _plus(counts: dict[str, int], changes: Sequence[FlagChange]) -> dict[str, int]:
    """`counts` once these changes are in, each send counted by the outcome rule (a
    complaint on a send never reported delivered makes it count as delivered too)."""
    return counts_with(counts, ((change.before, change.added) for change in changes))


def _template_breach(
    counts: dict[str, int], feedback: Feedback
) -> tuple[str, int, int, str] | None:
    """(reason, count, delivered, threshold) when the version is to be paused."""
    delivered = counts["delivered"]
    if delivered < feedback.min_delivered or delivered == 0:
        return None
    complained, opted_out = counts["complained"], counts["opted_out"]
    if reaches(complained, delivered, feedback.template_pause_complaint_rate):
        return "complaint_rate", complained, delivered, str(feedback.template_pause_complaint_rate)
    if reaches(opted_out, delivered, feedback.template_pause_opt_out_rate):
        return "opt_out_rate", opted_out, delivered, str(feedback.template_pause_opt_out_rate)
    return None
