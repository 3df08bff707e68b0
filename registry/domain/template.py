"""A message template (name + language) with its versions in WhatsApp's format,
our review (four eyes), our pause/resume/disable, and the platform's own view of it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from registry.domain.base import RegistryAggregate, current_actor, natural_id
from registry.domain.exceptions import (
    FourEyesViolation,
    NotFound,
    TemplateStateConflict,
    VersionNotPending,
)
from registry.domain.rules.pilot import pilot_for
from registry.domain.vocabulary import purpose_fits_category

STATUSES = ("PENDING", "APPROVED", "REJECTED", "PAUSED", "DISABLED")  # `Template.status`


def template_aggregate_id(tenant: str, name: str, language: str) -> UUID:
    return natural_id(tenant, "template", name, language)


class Template(RegistryAggregate):
    """v2 keeps the registry's own pauses of versions for feedback (`feedback_paused`,
    `feedback_resumed_at`); v1 snapshots read back with none. v3 numbers the pilots
    (SPEC §13, registry.domain.rules.pilot: `pilots_started`, each approved version's
    `pilot`) and keeps those that cleared (`pilots_cleared`); in a v2 snapshot each
    version counts as a pilot of its own, numbered as the version."""

    class_version = 3
    name: str
    language: str

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        state.setdefault("feedback_paused", {})
        state.setdefault("feedback_resumed_at", {})

    @staticmethod
    def upcast_v2_v3(state: dict[str, Any]) -> None:
        state.setdefault("pilots_cleared", {})
        state.setdefault("pilots_started", len(state.get("versions", [])))

    class Registered(RegistryAggregate.Created):
        name: str
        language: str

    class VersionSubmitted(RegistryAggregate.Event):
        version: int
        category: str
        purpose: str
        components: list[dict[str, Any]]
        parameter_format: str | None
        lint: list[dict[str, str]]
        status: str

        def apply(self, template: Template) -> None:
            template.versions.append(
                {
                    "version": self.version,
                    "category": self.category,
                    "purpose": self.purpose,
                    "components": self.components,
                    "parameter_format": self.parameter_format,
                    "lint": self.lint,
                    "status": self.status,
                    "submitted_by": self.actor,
                    "submitted_at": self.timestamp,
                    "review": None,
                }
            )

    class VersionReviewed(RegistryAggregate.Event):
        version: int
        decision: str
        reason: str | None

        def apply(self, template: Template) -> None:
            entry = template.versions[self.version - 1]
            entry["status"] = "APPROVED" if self.decision == "approve" else "REJECTED"
            entry["review"] = {
                "decision": self.decision,
                "reason": self.reason,
                "reviewed_by": self.actor,
                "reviewed_at": self.timestamp,
            }
            if self.decision == "approve":
                entry["pilot"] = pilot_for(
                    template.versions,
                    template.approved_version,
                    self.version,
                    template.pilots_started,
                )
                template.pilots_started = max(template.pilots_started, entry["pilot"])
                if template.approved_version is not None:
                    template.versions[template.approved_version - 1]["status"] = "SUPERSEDED"
                template.approved_version = self.version
                template.approved_event_version = self.originator_version
                template.category_blocked = False
                template.disabled = False

    class Paused(RegistryAggregate.Event):
        reason: str | None
        cause: str

        def apply(self, template: Template) -> None:
            template.paused = True
            template.pause_cause = self.cause

    class Resumed(RegistryAggregate.Event):
        reason: str | None

        def apply(self, template: Template) -> None:
            template.paused = False
            template.pause_cause = None
            version = template.approved_version
            if version is not None and template.feedback_paused.pop(str(version), {}):
                template.feedback_resumed_at[str(version)] = self.timestamp

    class PausedForFeedback(RegistryAggregate.Event):
        """The registry's own pause of a version whose rolling complaint or opt-out rate
        reached its threshold (SPEC §12), with the figures it judged; actor `system`."""

        version: int
        reason: str  # complaint_rate | opt_out_rate
        rate: str | None  # decimal string
        count: int  # complained or opted out
        delivered: int
        threshold: str
        window_days: int
        min_delivered: int
        window_start: datetime
        at: datetime

        def apply(self, template: Template) -> None:
            template.feedback_paused[str(self.version)] = {
                "reason": self.reason,
                "rate": self.rate,
                "count": self.count,
                "delivered": self.delivered,
                "threshold": self.threshold,
                "at": self.at,
            }

    class PilotCleared(RegistryAggregate.Event):
        """A pilot's sends passed (SPEC §13, registry.domain.rules.pilot): the figures it
        was judged on; actor `system`. Its versions then go to everyone."""

        pilot: int
        version: int  # the approved version when it cleared
        customers: int
        delivered: int
        complained: int
        opted_out: int
        complaint_rate: str | None  # decimal strings (no floats in events)
        opt_out_rate: str | None
        complaint_threshold: str
        opt_out_threshold: str
        min_delivered: int
        latest_send_at: datetime | None
        at: datetime

        def apply(self, template: Template) -> None:
            template.pilots_cleared[str(self.pilot)] = {
                "version": self.version,
                "customers": self.customers,
                "delivered": self.delivered,
                "at": self.at,
            }

    class Disabled(RegistryAggregate.Event):
        reason: str | None

        def apply(self, template: Template) -> None:
            template.disabled = True

    class PlatformStatusChanged(RegistryAggregate.Event):
        status: str
        reason: str | None

        def apply(self, template: Template) -> None:
            template.platform_status = self.status
            template.platform_reason = self.reason

    class QualityChanged(RegistryAggregate.Event):
        quality: str

        def apply(self, template: Template) -> None:
            template.quality = self.quality

    class CategoryChanged(RegistryAggregate.Event):
        new_category: str
        previous_category: str | None

        def apply(self, template: Template) -> None:
            template.platform_category = self.new_category
            template.category_blocked = not purpose_fits_category(
                template.purpose or "", self.new_category
            )

    def __init__(self, tenant: str, name: str, language: str) -> None:
        self.tenant = tenant
        self.name = name
        self.language = language
        self.versions: list[dict[str, Any]] = []
        self.approved_version: int | None = None
        self.approved_event_version: int | None = None
        self.paused = False
        self.pause_cause: str | None = None
        self.disabled = False
        self.platform_status: str | None = None
        self.platform_reason: str | None = None
        self.platform_category: str | None = None
        self.category_blocked = False
        self.quality = "UNKNOWN"
        self.feedback_paused: dict[str, dict[str, Any]] = {}  # version → figures
        self.feedback_resumed_at: dict[str, datetime] = {}  # version → last resume
        self.pilots_started = 0
        self.pilots_cleared: dict[str, dict[str, Any]] = {}  # pilot number → figures

    @classmethod
    def register(cls, tenant: str, name: str, language: str) -> Template:
        template: Template = cls._create(
            cls.Registered,
            id=template_aggregate_id(tenant, name, language),
            tenant=tenant,
            name=name,
            language=language,
        )
        return template

    @property
    def current(self) -> dict[str, Any] | None:
        """The version decisions use: the approved one, else the latest submitted."""
        if self.approved_version is not None:
            return self.versions[self.approved_version - 1]
        return self.versions[-1] if self.versions else None

    @property
    def purpose(self) -> str | None:
        current = self.current
        return None if current is None else str(current["purpose"])

    @property
    def pilot(self) -> dict[str, Any] | None:
        """The approved version's pilot: its number, its first version and when that was
        approved, and the figures it cleared with (None while it runs)."""
        if self.approved_version is None:
            return None
        number = int(self.versions[self.approved_version - 1].get("pilot", self.approved_version))
        first = next(
            v
            for v in self.versions
            if v["review"]
            and v["review"]["decision"] == "approve"
            and v.get("pilot", v["version"]) == number
        )
        return {
            "number": number,
            "first_version": first["version"],
            "started_at": first["review"]["reviewed_at"],
            "cleared": self.pilots_cleared.get(str(number)),
        }

    def clear_pilot(self, **figures: Any) -> None:
        """Records that pilot `figures["pilot"]` cleared (actor `system`), once."""
        if str(figures["pilot"]) not in self.pilots_cleared:
            self.trigger_event(self.PilotCleared, **figures)

    @property
    def feedback_pause(self) -> dict[str, Any] | None:
        """The approved version's pause for feedback, if any."""
        if self.approved_version is None:
            return None
        return self.feedback_paused.get(str(self.approved_version))

    @property
    def effectively_paused(self) -> bool:
        return self.paused or self.feedback_pause is not None

    @property
    def status(self) -> str:
        if self.disabled:
            return "DISABLED"
        if self.effectively_paused:
            return "PAUSED"
        if self.approved_version is not None:
            return "APPROVED"
        return str(self.versions[-1]["status"]) if self.versions else "PENDING"

    def submit(
        self,
        *,
        category: str,
        purpose: str,
        components: list[dict[str, Any]],
        parameter_format: str | None,
        lint: list[dict[str, str]],
    ) -> int:
        version = len(self.versions) + 1
        has_error = any(f["severity"] == "error" for f in lint)
        self.trigger_event(
            self.VersionSubmitted,
            version=version,
            category=category,
            purpose=purpose,
            components=components,
            parameter_format=parameter_format,
            lint=lint,
            status="REJECTED" if has_error else "PENDING",
        )
        return version

    def review(self, *, version: int, decision: str, reason: str | None) -> None:
        if not 1 <= version <= len(self.versions):
            raise NotFound(f"template {self.name}/{self.language} has no version {version}")
        entry = self.versions[version - 1]
        if entry["status"] != "PENDING":
            raise VersionNotPending(
                f"version {version} is {entry['status']}, not PENDING",
                version=version,
                status=entry["status"],
            )
        if entry["submitted_by"] == current_actor():
            raise FourEyesViolation("the reviewer must not be the submitter of this version")
        self.trigger_event(self.VersionReviewed, version=version, decision=decision, reason=reason)

    def pause(self, reason: str | None, *, cause: str = "review") -> None:
        if self.disabled:
            raise TemplateStateConflict("a disabled template cannot be paused")
        if not self.paused:
            self.trigger_event(self.Paused, reason=reason, cause=cause)

    def resume(self, reason: str | None) -> None:
        if self.disabled:
            raise TemplateStateConflict(
                "a disabled template is not resumed; approve a new version instead"
            )
        if self.effectively_paused:
            self.trigger_event(self.Resumed, reason=reason)

    def disable(self, reason: str | None) -> None:
        if not self.disabled:
            self.trigger_event(self.Disabled, reason=reason)

    def pause_for_feedback(self, **figures: Any) -> None:
        """Pauses `figures["version"]` (actor `system`) unless it is paused for feedback
        already; see `registry.usecases.feedback`."""
        if str(figures["version"]) not in self.feedback_paused:
            self.trigger_event(self.PausedForFeedback, **figures)

    def record_platform_status(self, status: str, reason: str | None) -> None:
        self.trigger_event(self.PlatformStatusChanged, status=status, reason=reason)

    def record_quality(self, quality: str) -> None:
        """RED quality pauses the template here too (SPEC §8)."""
        self.trigger_event(self.QualityChanged, quality=quality)
        if quality == "RED" and not self.paused and not self.disabled:
            self.trigger_event(self.Paused, reason="platform quality RED", cause="quality")

    def record_category_change(self, new_category: str) -> None:
        current = self.current
        self.trigger_event(
            self.CategoryChanged,
            new_category=new_category,
            previous_category=None if current is None else current["category"],
        )
