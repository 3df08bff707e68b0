from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from registry.api.fields import (
    LOCALE,
    IpAddress,
    Phone,
    TimeZone,
    channel_field,
    customer_id_field,
    moment_field,
    purposes_field,
)
from registry.domain.vocabulary import OPT_OUT_SOURCE_KINDS, PURPOSES, SOURCE_KINDS

TEXT = validate.Length(max=4096)


class GrantSourceSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(SOURCE_KINDS))
    evidence = fields.String(validate=TEXT, allow_none=True)
    notice_version = fields.String(validate=validate.Length(max=128), allow_none=True)
    ip = IpAddress(allow_none=True)
    user_agent = fields.String(validate=validate.Length(max=1024), allow_none=True)


class GrantSchema(Schema):
    customer_id = customer_id_field(required=True)
    channel = channel_field(load_default="whatsapp")
    purposes = purposes_field(required=True)
    source = fields.Nested(GrantSourceSchema, required=True)
    phone = Phone(allow_none=True)
    timezone = TimeZone(allow_none=True)
    locale = fields.String(validate=LOCALE, allow_none=True)
    granted_at = moment_field(allow_none=True)
    expires_at = moment_field(allow_none=True)

    @validates_schema
    def _times(self, data: dict[str, Any], **_: Any) -> None:
        now = datetime.now(UTC)
        granted_at = data.get("granted_at") or now
        if granted_at > now + timedelta(minutes=5):
            raise ValidationError("must not be in the future", "granted_at")
        expires_at = data.get("expires_at")
        if expires_at is not None and expires_at <= granted_at:
            raise ValidationError("must be after granted_at", "expires_at")
        if granted_at.year < 1970:
            raise ValidationError("is too far in the past", "granted_at")


class ConsentGrantSchema(GrantSchema):
    """`POST /v1/consents`: a grant, which may ask for double opt-in (R-CONFIRM)."""

    confirmation = fields.String(
        load_default=None,
        validate=validate.OneOf(["required", "none"]),
        metadata={"description": '"required": pending until the customer confirms'},
    )


class GrantAnswerSchema(Schema):
    receipt_id = fields.String()
    customer_id = fields.String()
    channel = fields.String()
    purposes = fields.List(fields.String())
    status = fields.String(metadata={"description": "pending when confirmation is required"})
    confirmation_url = fields.String()
    confirmation_expires_at = fields.String()
    position = fields.Integer()


class PurposesOrAll(fields.Field[Any]):
    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if value == "all":
            return "all"
        if not isinstance(value, list) or not value:
            raise ValidationError('must be a non-empty list of purposes or "all"')
        bad = [v for v in value if v not in PURPOSES]
        if bad:
            raise ValidationError(f"unknown purposes: {bad}; known: {list(PURPOSES)}")
        return value


class OptOutSourceSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(OPT_OUT_SOURCE_KINDS))
    evidence = fields.String(validate=TEXT, allow_none=True)


class OptOutSchema(Schema):
    customer_id = customer_id_field(required=True)
    channel = channel_field(load_default="whatsapp")
    purposes = PurposesOrAll(required=True, metadata={"description": 'a list of purposes or "all"'})
    source = fields.Nested(OptOutSourceSchema, load_default=lambda: {"kind": "api"})


class OptOutAnswerSchema(Schema):
    customer_id = fields.String()
    channel = fields.String()
    purposes = fields.List(fields.String())
    position = fields.Integer()


class ImportAnswerSchema(Schema):
    imported = fields.Integer()
    position = fields.Integer()


class ConsentRecordSchema(Schema):
    receipt_id = fields.String()
    customer_id = fields.String()
    grant = fields.Dict(metadata={"description": "the grant event as recorded (as in history)"})
    status = fields.String(
        metadata={
            "description": "granted, pending, withdrawn, expired or superseded for every "
            "purpose, or partly_active when they differ",
        }
    )
    purposes = fields.Dict(metadata={"description": "each purpose's status now"})
    record = fields.String(
        metadata={
            "description": "ISO/IEC TS 27560-shaped consent record, a compact JWS "
            "(EdDSA, the audit key); check it with python -m audit verify-consent"
        }
    )
    position = fields.Integer()
