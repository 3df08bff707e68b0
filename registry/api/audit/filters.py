"""The filters of `GET /v1/audit/events` (SPEC §18), parsed and documented by one schema."""

from __future__ import annotations

import re
from typing import Any

from marshmallow import Schema, ValidationError, fields, post_load, validate

from registry.api.fields import customer_id_field, moment_field
from registry.domain.base import RegistryAggregate
from registry.domain.vocabulary import normalise_language

TEMPLATE_FILTER = re.compile(r"^[a-z0-9_]{1,512}(/[A-Za-z]{2,3}([_-][A-Za-z0-9]{2,8})*)?\Z")


_BASES = ("Event", "Created")  # the classes every aggregate's own events derive from


def event_types() -> frozenset[str]:
    """Every event type as the history's `type` field spells it (`Customer.ConsentWithdrawn`):
    the events nested in each aggregate class known when asked."""
    types: set[str] = set()
    pending: list[type] = [RegistryAggregate]
    while pending:
        aggregate = pending.pop()
        pending.extend(aggregate.__subclasses__())
        if aggregate is RegistryAggregate:
            continue
        for value in vars(aggregate).values():
            if (
                isinstance(value, type)
                and issubclass(value, RegistryAggregate.Event)
                and value.__name__ not in _BASES
            ):
                types.add(value.__qualname__)
    return frozenset(types)


def _known_type(value: str) -> None:
    known = event_types()
    if value not in known:
        raise ValidationError(
            f"unknown event type; one of: {', '.join(sorted(known))}"
            if "." in value
            else f"an event type as the history spells it, e.g. Customer.{value}"
        )


class ExportQuery(Schema):
    format = fields.String(
        load_default="jsonl",
        validate=validate.OneOf(["jsonl", "csv"]),
        metadata={"description": "`jsonl` (with proofs, verifiable offline) or `csv`."},
    )
    customer_id = customer_id_field(metadata={"description": "Only this customer's events."})
    template = fields.String(
        validate=validate.Regexp(TEMPLATE_FILTER, error="must be name or name/language"),
        metadata={
            "description": "`name` (every language) or `name/language`: the template's "
            "events and the authorizations of it."
        },
    )
    type = fields.List(
        fields.String(validate=_known_type),
        metadata={
            "description": "Only events of this type, spelled as the history's `type` field "
            "(`Customer.ConsentWithdrawn`); repeat the parameter for several."
        },
    )
    since = moment_field(metadata={"description": "Events that occurred at or after (RFC 3339)."})
    until = moment_field(metadata={"description": "Events that occurred before (RFC 3339)."})

    @post_load
    def normalise(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        template = data.get("template")
        if template is not None and "/" in template:
            name, language = template.split("/", 1)
            data["template"] = f"{name}/{normalise_language(language)}"
        return data
