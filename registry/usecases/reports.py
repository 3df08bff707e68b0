"""R-REPORT: the signed monthly review of a tenant, computed from its log as of a
checkpoint (SPEC §14, §19)."""

from __future__ import annotations

import importlib.util
import itertools
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from audit import log as audit_log
from audit.checkpoint import checkpoint_document, sign_checkpoint
from registry.clock import Clock
from registry.domain.base import natural_id
from registry.domain.exceptions import InvalidRequest
from registry.domain.experiment import experiment_aggregate_id
from registry.domain.feedback import Feedback
from registry.domain.policy import Policy
from registry.domain.template import template_aggregate_id
from registry.domain.tenant import tenant_aggregate_id
from registry.domain.vocabulary import CHANNELS
from registry.keys import KeyRing
from registry.reports import experiments, reader, sections
from registry.reports.figures import CUSTOMER_EVENT_TYPES, OUTCOME_EVENT_TYPES, MonthTally
from registry.reports.months import Month, MonthInvalid, parse_month
from registry.reports.sections import OUTCOMES_MISSING, TemplateEvent, Thresholds
from registry.reports.signing import signed
from registry.store.database import Database

# SPEC §12's defaults, used while the policy has no `feedback` section.
DEFAULT_ATTRIBUTION_HOURS = 72
DEFAULT_PAUSE_COMPLAINT_RATE = Decimal("0.005")
DEFAULT_PAUSE_OPT_OUT_RATE = Decimal("0.02")
_TEMPLATE_KINDS = frozenset(
    {"QualityChanged", "Paused", "PausedForFeedback", "Resumed", "PlatformStatusChanged"}
)
# Whether this registry version records send outcomes (R-OUTCOME, the `Send` aggregate).
OUTCOMES_RECORDED = importlib.util.find_spec("registry.domain.send") is not None
# Whether it records the platform's limits and effective limits (the `Channel` aggregate).
CHANNELS_RECORDED = importlib.util.find_spec("registry.domain.channel") is not None


class ReportService:
    def __init__(self, db: Database, keyring: KeyRing, origin_host: str, clock: Clock) -> None:
        self.db = db
        self.keyring = keyring
        self.origin_host = origin_host
        self.clock = clock

    def monthly(self, tenant: str, month: str, tree_size: int | None = None) -> dict[str, Any]:
        """The signed report of `month` (YYYY-MM, in the policy's timezone) computed from
        the tenant's log of `tree_size` leaves (default: the whole log now)."""
        now = self.clock.now()
        size, position, root = self._tree(tenant, tree_size)
        policy_doc, policy_version = self._policy_as_of(tenant, position)
        policy = Policy.from_document(policy_doc, tenant=tenant) if policy_doc else None
        timezone = policy.timezone if policy else Policy.default(tenant).timezone
        try:
            period = parse_month(month, timezone, now)
        except MonthInvalid as error:
            raise InvalidRequest(str(error), month=[str(error)]) from None
        attribution, thresholds = _feedback(policy_doc)
        tally = self._tally(tenant, period, attribution, size)
        histories = self._template_histories(tenant, position)
        origin = f"{self.origin_host}/{tenant}"
        checkpoint = checkpoint_document(
            sign_checkpoint(self.keyring.signing_key, origin, size, root)
        )
        report = {
            "report": "monthly",
            "tenant": tenant,
            "month": period.label,
            "timezone": timezone,
            "period": {"start": _iso(period.start), "end": _iso(period.end)},
            "partial": not period.is_over(now),
            "policy_version": policy_version,
            "attribution_hours": int(attribution.total_seconds() // 3600),
            "outcomes": {"available": True}
            if tally.outcomes
            else {"available": False, "reason": OUTCOMES_MISSING},
            "summary": {
                "authorized": sum(t.counts["authorized"] for t in tally.channels.values()),
                "customers_sent_to": tally.customers_sent_to,
                "templates_sent": len(tally.templates),
            },
            "channels": sections.channels(
                tally, self._channel_histories(tenant, position) if CHANNELS_RECORDED else None
            ),
            "templates": sections.templates(tally, histories),
            "frequency": sections.frequency(tally, thresholds),
            "satisfaction": sections.satisfaction(tally),
            "experiments": experiments.section(
                period,
                self._experiment_histories(tenant, position),
                tally.arms,
                _min_delivered(policy_doc),
            ),
            "daily": sections.daily(tally, now),
            "checkpoint": checkpoint,
        }
        # kid: the checkpoint's signed-note key id (as receipts name it)
        return signed(report, self.keyring.signing_key, checkpoint["key_id"])

    def _tree(self, tenant: str, wanted: int | None) -> tuple[int, int, bytes]:
        with self.db.transaction() as sql:
            current = reader.tree_size(sql, tenant)
            size = current if wanted is None else wanted
            if not 0 <= size <= current:
                message = f"tree_size must be from 0 to the log's size now, {current}"
                raise InvalidRequest(message, tree_size=[message])
            return (
                size,
                reader.last_position(sql, tenant, size),
                audit_log.root_hash(sql, tenant, size),
            )

    def _policy_as_of(self, tenant: str, position: int) -> tuple[dict[str, Any] | None, int]:
        """The policy in force at the checkpoint, and its version (0: the defaults)."""
        doc, version = None, 0
        events = reader.aggregate_events(
            self.db, tenant_aggregate_id(tenant), up_to_position=position
        )
        for _, topic, state in events:
            if topic.endswith("Tenant.PolicyReplaced"):
                doc, version = state["policy"], version + 1
        return doc, version

    def _tally(self, tenant: str, month: Month, attribution: timedelta, size: int) -> MonthTally:
        """Customer events from `attribution` before the month (the sends an opt-out in it
        may be attributed to) to `attribution` after it (opt-outs attributed to its sends);
        with outcomes, theirs up to the checkpoint (they name their send)."""
        tally = MonthTally(month=month, attribution=attribution, outcomes=OUTCOMES_RECORDED)
        events = reader.customer_events(
            self.db,
            tenant,
            since=month.start - attribution,
            until=month.end + attribution,
            size=size,
            event_types=CUSTOMER_EVENT_TYPES,
            late_types=OUTCOME_EVENT_TYPES if OUTCOMES_RECORDED else (),
        )
        for _, of_one in itertools.groupby(events, key=lambda e: e.customer_id):
            tally.add_customer(of_one)
        return tally.fold()

    def _channel_histories(self, tenant: str, position: int) -> dict[str, list[TemplateEvent]]:
        """Each channel's events (R-THROTTLE) up to the checkpoint."""
        histories: dict[str, list[TemplateEvent]] = {}
        for channel in CHANNELS:
            events = []
            aggregate_id = natural_id(tenant, "channel", channel)
            for _, topic, state in reader.aggregate_events(
                self.db, aggregate_id, up_to_position=position
            ):
                at = reader.transcoded_time(state.get("at")) or reader.event_time(state)
                if at is not None:
                    events.append(TemplateEvent(topic.rpartition(".")[2], at, state))
            histories[channel] = events
        return histories

    def _experiment_histories(
        self, tenant: str, position: int
    ) -> list[experiments.ExperimentHistory]:
        """Each experiment as of the checkpoint (a view names it; its events tell)."""
        histories = []
        for name in reader.view_keys(self.db, tenant, "experiment"):
            events = [
                (topic.rpartition(".")[2], state, reader.event_time(state))
                for _, topic, state in reader.aggregate_events(
                    self.db, experiment_aggregate_id(tenant, name), up_to_position=position
                )
            ]
            history = experiments.history_of(name, events)
            if history is not None:
                histories.append(history)
        return histories

    def _template_histories(
        self, tenant: str, position: int
    ) -> dict[tuple[str, str], list[TemplateEvent]]:
        histories: dict[tuple[str, str], list[TemplateEvent]] = {}
        for name, language in reader.template_keys(self.db, tenant):
            aggregate_id = template_aggregate_id(tenant, name, language)
            events = []
            for _, topic, state in reader.aggregate_events(
                self.db, aggregate_id, up_to_position=position
            ):
                kind = topic.rpartition(".")[2]
                at = reader.transcoded_time(state.get("at")) or reader.event_time(state)
                if kind in _TEMPLATE_KINDS and at is not None:
                    events.append(TemplateEvent(kind, at, state))
            histories[(name, language)] = events
        return histories


def _feedback(policy: dict[str, Any] | None) -> tuple[timedelta, Thresholds]:
    """Attribution window and pause thresholds from the policy's `feedback` (SPEC §12),
    or its defaults while the policy has none."""
    feedback = (policy or {}).get("feedback")
    if not isinstance(feedback, dict):
        return timedelta(hours=DEFAULT_ATTRIBUTION_HOURS), Thresholds(
            DEFAULT_PAUSE_COMPLAINT_RATE,
            DEFAULT_PAUSE_OPT_OUT_RATE,
            "SPEC R-THROTTLE defaults (the policy has no feedback section)",
        )
    hours = Decimal(str(feedback.get("attribution_hours", DEFAULT_ATTRIBUTION_HOURS)))
    return timedelta(hours=float(hours)), Thresholds(
        Decimal(str(feedback.get("template_pause_complaint_rate", DEFAULT_PAUSE_COMPLAINT_RATE))),
        Decimal(str(feedback.get("template_pause_opt_out_rate", DEFAULT_PAUSE_OPT_OUT_RATE))),
        "policy feedback",
    )


def _min_delivered(policy: dict[str, Any] | None) -> int:
    """The policy's `feedback.min_delivered` (experiment guardrails are judged past it)."""
    feedback = (policy or {}).get("feedback")
    default = Feedback().min_delivered
    return int(feedback.get("min_delivered", default)) if isinstance(feedback, dict) else default


def _iso(moment: datetime) -> str:
    from registry.timefmt import iso

    return str(iso(moment))
