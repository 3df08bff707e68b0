from __future__ import annotations

from marshmallow import Schema, fields, validate

from registry.api.fields import LOCALE, Phone, TimeZone, channel_field, moment_field
from registry.domain.vocabulary import NON_TRANSACTIONAL, PURPOSES


class ConsentStateSchema(Schema):
    channel = fields.String()
    purpose = fields.String()
    status = fields.String(metadata={"enum": ["granted", "pending", "withdrawn", "expired"]})
    granted_at = fields.String(allow_none=True)
    withdrawn_at = fields.String(allow_none=True)
    expires_at = fields.String(allow_none=True)
    receipt_id = fields.String(allow_none=True)
    source = fields.Dict()
    confirmation_expires_at = fields.String(allow_none=True)  # a grant awaiting confirmation
    confirmed_at = fields.String(allow_none=True)


class CustomerSchema(Schema):
    customer_id = fields.String()
    phone = fields.String(allow_none=True)
    timezone = fields.String(allow_none=True)
    locale = fields.String(allow_none=True)
    erased = fields.Boolean()
    suppressed = fields.Boolean()
    last_inbound_at = fields.String(allow_none=True)
    consents = fields.List(fields.Nested(ConsentStateSchema))
    position = fields.Integer()


class HistoryEventSchema(Schema):
    position = fields.Integer()
    type = fields.String()
    occurred_at = fields.String(allow_none=True)
    actor = fields.String(allow_none=True)
    request_id = fields.String(allow_none=True)
    data = fields.Dict()


class HistorySchema(Schema):
    events = fields.List(fields.Nested(HistoryEventSchema))
    position = fields.Integer()


class ProfileSchema(Schema):
    phone = Phone(allow_none=True)
    timezone = TimeZone(allow_none=True)
    locale = fields.String(validate=LOCALE, allow_none=True)


class InboundSchema(Schema):
    channel = channel_field(load_default="whatsapp")
    received_at = moment_field(calculated=True, allow_none=True)
    text = fields.String(validate=validate.Length(max=4096), allow_none=True)


class InboundAnswerSchema(Schema):
    customer_id = fields.String()
    channel = fields.String()
    opt_out_keyword = fields.Boolean()
    withdrawn = fields.Boolean()
    position = fields.Integer()


class ReasonSchema(Schema):
    reason = fields.String(validate=validate.Length(max=1024), allow_none=True)


class SuppressionAnswerSchema(Schema):
    customer_id = fields.String()
    suppressed = fields.Boolean()
    position = fields.Integer()


class ErasureAnswerSchema(Schema):
    customer_id = fields.String()
    erased = fields.Boolean()
    position = fields.Integer()


class OptOutLinkRequestSchema(Schema):
    channel = channel_field(load_default="whatsapp")
    purposes = fields.List(
        fields.String(validate=validate.OneOf(PURPOSES)),
        validate=validate.Length(min=1),
        load_default=lambda: list(NON_TRANSACTIONAL),
    )
    lang = fields.String(validate=validate.OneOf(["ru", "en"]), load_default="ru")
    expires_in_days = fields.Integer(validate=validate.Range(1, 3660), load_default=365)


class OptOutLinkSchema(Schema):
    url = fields.String()
    token = fields.String()
    expires_at = fields.String()
