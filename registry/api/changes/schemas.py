from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates

from registry.api.queries import position_field
from registry.domain.feed_items import KINDS
from registry.usecases.feed import MAX_WAIT_SECONDS


class ChangesQuerySchema(Schema):
    after_position = position_field(
        "a position from an earlier page (or 0 for the start)", load_default=0
    )
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))
    kinds = fields.String(
        load_default=None,
        metadata={"description": f"comma-separated, any of {', '.join(KINDS)}; default all"},
    )
    wait = fields.Float(
        load_default=0,
        validate=validate.Range(min=0, max=MAX_WAIT_SECONDS),
        metadata={
            "description": f"seconds to long-poll when nothing is new, at most {MAX_WAIT_SECONDS}"
        },
    )

    @validates("kinds")
    def _known_kinds(self, value: str | None, **_: Any) -> None:
        if value is None:
            return
        names = value.split(",")
        unknown = [name for name in names if name not in KINDS]
        if unknown or not value:
            raise ValidationError(f"comma-separated kinds among {', '.join(KINDS)}")

    @post_load
    def _kind_set(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        kinds = data.get("kinds")
        data["kinds"] = frozenset(KINDS if kinds is None else kinds.split(","))
        return data


class ChangeTemplateSchema(Schema):
    name = fields.String()
    language = fields.String()
    version = fields.Integer(allow_none=True)


class ChangeSchema(Schema):
    position = fields.Integer()
    kind = fields.String(metadata={"enum": list(KINDS)})
    type = fields.String(metadata={"description": "the event type, as in the history"})
    occurred_at = fields.String()
    customer_id = fields.String()
    channel = fields.String()
    purposes = fields.List(fields.String())
    status = fields.String()
    template = fields.Nested(ChangeTemplateSchema)
    receipt_id = fields.String()
    expires_at = fields.String()
    confirmation_expires_at = fields.String()
    confirmed_by = fields.String()
    cause = fields.String(allow_none=True)
    platform_status = fields.String()
    quality = fields.String()
    category = fields.String()
    rate = fields.String(allow_none=True)
    limit = fields.Integer(allow_none=True)
    tier = fields.String(allow_none=True)
    complaint_rate = fields.String(allow_none=True)
    threshold = fields.String(allow_none=True)
    until = fields.String(allow_none=True)


class ChangesSchema(Schema):
    changes = fields.List(fields.Nested(ChangeSchema))
    next_after_position = fields.Integer()
