"""What a WhatsApp webhook delivery can tell the registry: one `Change` per fact, each
with a `dedupe_key` that is the same when the platform redelivers it (see whatsapp.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TypeAlias

Json: TypeAlias = dict[str, object]


@dataclass(frozen=True, kw_only=True)
class TemplateStatusChanged:
    dedupe_key: str
    occurred_at: datetime | None
    name: str
    language: str
    status: str
    reason: str | None
    template_id: str | None
    category: str | None = None
    other_info_title: str | None = None
    other_info_description: str | None = None


@dataclass(frozen=True, kw_only=True)
class TemplateQualityChanged:
    dedupe_key: str
    occurred_at: datetime | None
    name: str
    language: str
    quality: str
    previous: str | None
    template_id: str | None


@dataclass(frozen=True, kw_only=True)
class TemplateCategoryChanged:
    dedupe_key: str
    occurred_at: datetime | None
    name: str
    language: str
    new_category: str
    previous_category: str | None
    template_id: str | None


@dataclass(frozen=True, kw_only=True)
class InboundMessage:
    dedupe_key: str
    occurred_at: datetime | None
    wa_id: str | None
    user_id: str | None
    message_id: str
    received_at: datetime | None
    text: str | None
    is_stop_promotions: bool
    profile_name: str | None = None
    message_type: str | None = None


@dataclass(frozen=True, kw_only=True)
class MarketingStoppedByError:
    dedupe_key: str
    occurred_at: datetime | None
    wa_id: str | None
    user_id: str | None
    message_id: str | None


@dataclass(frozen=True, kw_only=True)
class MessageStatus:
    """A `statuses[]` item: what became of a message the business sent (R-OUTCOME)."""

    dedupe_key: str
    occurred_at: datetime | None
    wa_id: str | None
    user_id: str | None
    message_id: str
    status: str  # sent | delivered | read | failed
    error_codes: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class PhoneNumberLimitChanged:
    """`phone_number_quality_update`: the phone number's messaging limit and quality."""

    dedupe_key: str
    occurred_at: datetime | None
    display_phone_number: str | None
    event: str | None
    tier: str | None  # as sent, e.g. TIER_2K
    previous_tier: str | None
    limit: int | None  # None: unlimited or not set
    quality: str | None


@dataclass(frozen=True, kw_only=True)
class PreferenceChanged:
    dedupe_key: str
    occurred_at: datetime | None
    wa_id: str | None
    user_id: str | None
    category: str
    value: str
    detail: str | None = None


@dataclass(frozen=True, kw_only=True)
class Unrecognised:
    dedupe_key: str
    occurred_at: datetime | None
    field: str | None
    reason: str
    raw: Json


Change: TypeAlias = (
    TemplateStatusChanged
    | TemplateQualityChanged
    | TemplateCategoryChanged
    | InboundMessage
    | MarketingStoppedByError
    | MessageStatus
    | PhoneNumberLimitChanged
    | PreferenceChanged
    | Unrecognised
)


_FIELDS: dict[type, str] = {
    TemplateStatusChanged: "message_template_status_update",
    TemplateQualityChanged: "message_template_quality_update",
    TemplateCategoryChanged: "template_category_update",
    InboundMessage: "messages",
    MarketingStoppedByError: "messages",
    PreferenceChanged: "user_preferences",
    MessageStatus: "messages",
    PhoneNumberLimitChanged: "phone_number_quality_update",
}
_KNOWN_FIELDS = frozenset(_FIELDS.values())


def field_of(change: Change) -> str:
    """The webhook field a change came in (`other` for a field the parser does not know,
    so that a payload cannot invent metric labels)."""
    if isinstance(change, Unrecognised):
        return change.field if change.field in _KNOWN_FIELDS else "other"
    return _FIELDS[type(change)]
