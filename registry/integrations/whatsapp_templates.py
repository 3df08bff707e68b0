"""Template changes from the platform's webhooks: status (APPROVED, PAUSED, DISABLED …),
quality score, and completed category changes (the advance notice is ignored: the
completed change follows within a day and is what the registry acts on)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Final

from registry.domain.vocabulary import normalise_language
from registry.integrations import whatsapp_fields as fields
from registry.integrations.whatsapp_changes import (
    Change,
    Json,
    TemplateCategoryChanged,
    TemplateQualityChanged,
    TemplateStatusChanged,
)

QUALITY_SCORES: Final = frozenset({"GREEN", "YELLOW", "RED", "UNKNOWN"})


def _template_fields(value: Json) -> tuple[str, str, str | None]:
    name, language = (
        fields.stripped(value.get("message_template_name")),
        fields.stripped(value.get("message_template_language")),
    )
    if name is None or language is None:
        raise fields.Malformed("template name or language missing")
    return name, normalise_language(language), fields.text_id(value.get("message_template_id"))


def _template_key(value: Json, entry_time: datetime | None, *parts: str) -> str:
    """Template events carry no id of their own: the event's content plus the entry time."""
    name, language, template_id = _template_fields(value)
    when = str(int(entry_time.timestamp())) if entry_time else "h" + fields.digest(value)[:16]
    return ":".join(("tpl", template_id or f"name={name}", language, *parts, when))


def parse_status(value: Json, at: datetime | None, problems: list[str]) -> Iterator[Change]:
    try:
        name, language, template_id = _template_fields(value)
        status = fields.required_upper(value, "event")
    except fields.Malformed as malformed:
        problems.append(str(malformed))
        return
    other_info = value.get("other_info")
    info = other_info if isinstance(other_info, dict) else {}
    yield TemplateStatusChanged(
        dedupe_key=_template_key(value, at, "status", status),
        occurred_at=at,
        name=name,
        language=language,
        status=status,
        reason=fields.stripped(value.get("reason")),
        template_id=template_id,
        category=fields.upper(value.get("message_template_category")),
        other_info_title=fields.stripped(info.get("title")),
        other_info_description=fields.stripped(info.get("description")),
    )


def parse_quality(value: Json, at: datetime | None, problems: list[str]) -> Iterator[Change]:
    try:
        name, language, template_id = _template_fields(value)
        quality = fields.required_upper(value, "new_quality_score")
        if quality not in QUALITY_SCORES:
            raise fields.Malformed(f"unknown quality score {quality[:40]!r}")
    except fields.Malformed as malformed:
        problems.append(str(malformed))
        return
    yield TemplateQualityChanged(
        dedupe_key=_template_key(value, at, "quality", quality),
        occurred_at=at,
        name=name,
        language=language,
        quality=quality,
        previous=fields.upper(value.get("previous_quality_score")),
        template_id=template_id,
    )


def parse_category(value: Json, at: datetime | None, problems: list[str]) -> Iterator[Change]:
    if "correct_category" in value:
        return  # the advance notice; see this module's docstring
    try:
        name, language, template_id = _template_fields(value)
        new_category = fields.required_upper(value, "new_category")
    except fields.Malformed as malformed:
        problems.append(str(malformed))
        return
    yield TemplateCategoryChanged(
        dedupe_key=_template_key(value, at, "category", new_category),
        occurred_at=at,
        name=name,
        language=language,
        new_category=new_category,
        previous_category=fields.upper(value.get("previous_category")),
        template_id=template_id,
    )
