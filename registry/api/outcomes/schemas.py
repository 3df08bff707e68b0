"""R-OUTCOME and R-THROTTLE request and answer schemas."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from registry.api.fields import moment_field, reference_field
from registry.domain.send import OUTCOME_STATUSES

MAX_OUTCOMES = 1000


class ErrorCode(fields.Field):  # type: ignore[type-arg]
    """A platform error code as text: 131049 and "131049" are the same code."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise ValidationError('must be a code such as 131049 or "131049"')
        text = str(value).strip()
        if not 1 <= len(text) <= 64 or not text.isprintable():
            raise ValidationError("must be 1 to 64 printable characters")
        return text


class OutcomeItemSchema(Schema):
    authorization_id = reference_field(128)
    message_ref = reference_field(256)
    status = fields.String(required=True, validate=validate.OneOf(OUTCOME_STATUSES))
    at = moment_field(allow_none=True)
    error_code = ErrorCode(allow_none=True)
    detail = fields.String(validate=validate.Length(max=2000), allow_none=True)

    @validates_schema
    def names_a_send(self, data: dict[str, Any], **_: Any) -> None:
        if not data.get("authorization_id") and not data.get("message_ref"):
            raise ValidationError(
                "an outcome names its send by authorization_id or message_ref",
                "authorization_id",
            )


class OutcomesRequestSchema(Schema):
    items = fields.List(
        fields.Nested(OutcomeItemSchema),
        required=True,
        validate=validate.Length(1, MAX_OUTCOMES),
    )


class OutcomesAnswerSchema(Schema):
    recorded = fields.Integer()
    duplicates = fields.Integer()
    unknown_items = fields.Integer(data_key="unknown", attribute="unknown")
    position = fields.Integer()


class MessageRefSchema(Schema):
    message_ref = reference_field(256, required=True)


class MessageRefAnswerSchema(Schema):
    authorization_id = fields.String()
    message_ref = fields.String()
    position = fields.Integer()


class TemplateVersionRefSchema(Schema):
    name = fields.String()
    language = fields.String()
    version = fields.Integer(allow_none=True)


class OutcomeSchema(Schema):
    status = fields.String()
    at = fields.String()
    error_code = fields.String(allow_none=True)
    detail = fields.String(allow_none=True)
    source = fields.String()
    hold_until = fields.String(allow_none=True)
    recorded_at = fields.String()
    actor = fields.String()
    position = fields.Integer()


class AuthorizationStateSchema(Schema):
    authorization_id = fields.String()
    customer_id = fields.String()
    channel = fields.String()
    template = fields.Nested(TemplateVersionRefSchema)
    purpose = fields.String()
    authorized_at = fields.String()
    message_ref = fields.String(allow_none=True)
    outcomes = fields.List(fields.Nested(OutcomeSchema))
    opted_out = fields.Boolean()
    suppressed = fields.Boolean()
    position = fields.Integer()


class UnknownOutcomesSchema(Schema):
    items = fields.List(fields.Dict())
    position = fields.Integer()


class FiguresSchema(Schema):
    authorized = fields.Integer()
    sent = fields.Integer()
    delivered = fields.Integer()
    read = fields.Integer()
    failed = fields.Integer()
    clicked = fields.Integer()
    replied = fields.Integer()
    converted = fields.Integer()
    opted_out = fields.Integer()
    complained = fields.Integer()
    delivery_rate = fields.Float(allow_none=True)
    read_rate = fields.Float(allow_none=True)
    reply_rate = fields.Float(allow_none=True)
    click_rate = fields.Float(allow_none=True)
    conversion_rate = fields.Float(allow_none=True)
    opt_out_rate = fields.Float(allow_none=True)
    complaint_rate = fields.Float(allow_none=True)


class VersionFiguresSchema(FiguresSchema):
    version = fields.Integer(allow_none=True)


class StatsSchema(Schema):
    name = fields.String()
    language = fields.String()
    since = fields.String(allow_none=True)
    until = fields.String(allow_none=True)
    total = fields.Nested(FiguresSchema)
    versions = fields.List(fields.Nested(VersionFiguresSchema))
    position = fields.Integer()


class ChannelLimitsSchema(Schema):
    channel = fields.String()
    configured = fields.Integer(allow_none=True)
    platform = fields.Integer(allow_none=True)
    effective = fields.Integer(allow_none=True)
    customers_24h = fields.Integer()
    complaint_rate = fields.Float(allow_none=True)
    opt_out_rate = fields.Float(allow_none=True)
    reasons = fields.List(fields.String())
    delivered = fields.Integer()
    complained = fields.Integer()
    opted_out = fields.Integer()
    window_days = fields.Integer()
    halved = fields.Boolean()
    recovering_since = fields.String(allow_none=True)
    platform_tier = fields.String(allow_none=True)
    quality = fields.String(allow_none=True)


class LimitsSchema(Schema):
    channels = fields.List(fields.Nested(ChannelLimitsSchema))
    position = fields.Integer()
