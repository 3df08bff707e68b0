"""Field types shared by the resource schemas."""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

import phonenumbers
from marshmallow import ValidationError, fields, validate

from registry.domain.vocabulary import CHANNELS, PURPOSES

_ZONES = frozenset(available_timezones())


def _printable(value: str) -> None:
    if not value.isprintable():
        raise ValidationError("must contain only printable characters")


def customer_id_field(**kwargs: Any) -> fields.String:
    return fields.String(validate=[validate.Length(1, 128), _printable], **kwargs)


def reference_field(max_length: int, *, min_length: int = 1, **kwargs: Any) -> fields.String:
    """An identifier another system gave (a platform message id, an authorization id):
    printable text, so that no NUL or control character reaches a lookup (PostgreSQL's
    text refuses NUL)."""
    return fields.String(validate=[validate.Length(min_length, max_length), _printable], **kwargs)


def channel_field(**kwargs: Any) -> fields.String:
    return fields.String(validate=validate.OneOf(CHANNELS), **kwargs)


def purposes_field(**kwargs: Any) -> fields.List[str]:
    return fields.List(
        fields.String(validate=validate.OneOf(PURPOSES)), validate=validate.Length(min=1), **kwargs
    )


class Phone(fields.String):
    """E.164, normalised (`+7 912 345-67-89` → `+79123456789`)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            number = phonenumbers.parse(text, None)
        except phonenumbers.NumberParseException:
            raise ValidationError(
                "must be a phone number in E.164 form, e.g. +79123456789"
            ) from None
        if not phonenumbers.is_possible_number(number):
            raise ValidationError("is not a possible phone number")
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


class TimeZone(fields.String):
    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if text not in _ZONES:
            raise ValidationError("must be an IANA time zone such as Europe/Moscow")
        ZoneInfo(text)
        return text


class IpAddress(fields.String):
    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return str(ipaddress.ip_address(text))
        except ValueError:
            raise ValidationError("must be an IPv4 or IPv6 address") from None


class Moment(fields.AwareDateTime):
    """An RFC 3339 moment with an offset, within the range the registry computes with.

    Out-of-range moments (year 0001, or 9999-12-31T23:59-23:59, which is past datetime's
    range in UTC) are a 422 here rather than an OverflowError later. Stored moments such
    as a consent's `expires_at` may go up to the last second of 9999 ("never expires");
    moments the registry calculates from (a decision's `at`) stop at 2999."""

    EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
    LATEST = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)

    def __init__(self, *, latest: datetime | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.latest = latest or self.LATEST

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        moment = super()._deserialize(value, attr, data, **kwargs)
        try:
            in_range = self.EARLIEST <= moment.astimezone(UTC) <= self.latest
        except OverflowError:
            in_range = False
        if not in_range:
            raise ValidationError(
                f"must be between 1970-01-01 and {self.latest.date().isoformat()} (UTC)"
            )
        return moment


CALCULATION_LATEST = datetime(2999, 12, 31, 23, 59, 59, tzinfo=UTC)


def moment_field(*, calculated: bool = False, **kwargs: Any) -> fields.AwareDateTime:
    return Moment(format="iso", latest=CALCULATION_LATEST if calculated else None, **kwargs)


LOCALE = validate.Regexp(
    r"^[A-Za-z]{2,3}([_-][A-Za-z0-9]{2,8})*\Z", error="must be a locale like ru_RU"
)
