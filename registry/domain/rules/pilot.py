"""The pilot before a mass send (SPEC §13): `pilot_in_progress`, and when a pilot clears.

- **Which pilot.** Each approved version belongs to one pilot, numbered 1, 2, … per
  template in the order they start (`pilot`, set in `Template.VersionReviewed`). A version
  approved with the BODY text of the version it supersedes stays in that version's pilot,
  cleared or not; a changed BODY starts the next pilot (`pilot_for`). The approved
  version's pilot is therefore always the template's latest.
- **Which versions are held.** Policy `pilot` set, the template's category in
  `pilot.categories`, a non-transactional purpose (as the daily limit, SPEC §18), the pilot
  not cleared, and the pilot started (its first version approved) at or after the moment
  the tenant's policy turned pilots on (`since`): versions approved before then are not
  "newly approved" and go on as before.
- **The rule.** At most `pilot.customers` distinct customers: a customer already in the
  pilot may be sent to again; anyone else is refused with `pilot_in_progress` once that
  many are in. The count is atomic across workers (registry/usecases/pilots.py).
- **Clearing** (`pilot_verdict`): once at least `feedback.min_delivered` of the pilot's
  sends are delivered, or once the pilot is full and its latest send is 24 h old with at
  least one delivered, the pilot clears when its complaint and opt-out rates are both
  under the template pause thresholds (`PilotCleared`, actor `system`), and otherwise
  breaches them, which pauses the version as SPEC §12's automatic pause does.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final, NamedTuple

from registry.domain.feedback import Feedback, reaches
from registry.domain.reasons import PILOT_IN_PROGRESS

if TYPE_CHECKING:
    from registry.domain.decision import TemplateFacts
    from registry.domain.pilot import Pilot

SETTLING_TIME: Final = timedelta(hours=24)


class PilotFacts(NamedTuple):
    """What a decision's read finds of the template's current pilot (`TemplateFacts.
    pilot`): the distinct customers in it and whether the customer is one, and
    when the tenant's policy turned pilots on (the tenant document's `pilot_since`)."""

    since: datetime | None
    customers: int = 0
    includes_customer: bool = False


class PilotFigures(NamedTuple):
    """A pilot's sends as counted from the log: distinct customers, delivered, complained,
    opted out, and the moment of its latest authorized send."""

    customers: int
    delivered: int
    complained: int
    opted_out: int
    latest_send_at: datetime | None


def body_text(components: Sequence[dict[str, Any]]) -> str | None:
    """The BODY component's text (None without one)."""
    for component in components:
        if component.get("type") == "BODY":
            text = component.get("text")
            return text if isinstance(text, str) else None
    return None


def pilot_for(
    versions: Sequence[dict[str, Any]], superseded: int | None, approved: int, started: int
) -> int:
    """The pilot of version `approved`, approved while `superseded` was the approved one,
    after `started` pilots of the template."""
    if superseded is not None:
        previous = versions[superseded - 1]
        if body_text(previous["components"]) == body_text(versions[approved - 1]["components"]):
            return int(previous.get("pilot", superseded))
    return started + 1


def held_pilot(
    template: TemplateFacts | None, settings: Pilot | None, facts: PilotFacts | None
) -> int | None:
    """The pilot (its number) that holds the template's approved version back, None when
    there is none or it is over; an authorization then counts in it."""
    if template is None or settings is None or facts is None or facts.since is None:
        return None
    holds = (
        template.category in settings.categories
        and not template.pilot_cleared
        and template.pilot_started_at is not None
        and template.pilot_started_at >= facts.since
    )
    return template.pilot if holds else None


def pilot_reasons(
    template: TemplateFacts | None, settings: Pilot | None, facts: PilotFacts | None
) -> list[str]:
    if held_pilot(template, settings, facts) is None:
        return []
    assert settings is not None and facts is not None
    if facts.includes_customer or facts.customers < settings.customers:
        return []
    return [PILOT_IN_PROGRESS]


def pilot_verdict(
    figures: PilotFigures, settings: Pilot, feedback: Feedback, at: datetime
) -> tuple[str, str | None] | None:
    """None while the pilot is still running; else ("cleared", None) or ("breached",
    reason) with reason `complaint_rate` or `opt_out_rate` (the first one reached)."""
    delivered = figures.delivered
    settled = (
        figures.customers >= settings.customers
        and figures.latest_send_at is not None
        and at - figures.latest_send_at >= SETTLING_TIME
    )
    if delivered == 0 or (delivered < feedback.min_delivered and not settled):
        return None
    if reaches(figures.complained, delivered, feedback.template_pause_complaint_rate):
        return "breached", "complaint_rate"
    if reaches(figures.opted_out, delivered, feedback.template_pause_opt_out_rate):
        return "breached", "opt_out_rate"
    return "cleared", None
