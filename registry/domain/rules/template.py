"""The template asked for: found, approved, not paused or disabled by us, not blocked by
the platform, and deliverable on the channel."""

from __future__ import annotations

from typing import TYPE_CHECKING

from registry.domain.reasons import (
    CHANNEL_NOT_SUPPORTED,
    PLATFORM_BLOCKED,
    TEMPLATE_DISABLED,
    TEMPLATE_NOT_APPROVED,
    TEMPLATE_NOT_FOUND,
    TEMPLATE_PAUSED,
)

if TYPE_CHECKING:
    from registry.domain.decision import TemplateFacts

PLATFORM_BLOCKING = frozenset({"PAUSED", "DISABLED", "REJECTED"})


def template_reasons(template: TemplateFacts | None, channel: str) -> list[str]:
    if template is None:
        return [TEMPLATE_NOT_FOUND]
    reasons: list[str] = []
    if template.approved_version is None:
        reasons.append(TEMPLATE_NOT_APPROVED)
    if template.paused:
        reasons.append(TEMPLATE_PAUSED)
    if template.disabled:
        reasons.append(TEMPLATE_DISABLED)
    if template.platform_status in PLATFORM_BLOCKING or template.category_blocked:
        reasons.append(PLATFORM_BLOCKED)
    if channel == "sms" and not template.sms_deliverable:
        reasons.append(CHANNEL_NOT_SUPPORTED)
    return reasons
