"""The decision endpoints' common case without marshmallow's per-field machinery.

Campaigns send batches of a thousand decision requests; loading each item through
marshmallow costs more than deciding it. `load_*` here accept only plainly well-formed
input and return exactly what the schema would; anything unusual (a moment to parse,
a number given as a string, an unknown field, a bad value) returns None, and the schema
loads it and words the errors. `dump_*` do the same for answers. tests/unit/
test_plain_decision_requests.py checks both against the schemas on generated input.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from marshmallow import Schema

from registry.domain.vocabulary import CHANNELS, DEFAULT_CHANNEL

TEMPLATE_NAME = re.compile(r"^[a-z0-9_]{1,512}\Z")  # \Z: "$" also matches before a final newline
TEMPLATE_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}([_-][A-Za-z0-9]{2,8})*\Z")
EXPERIMENT_NAME = re.compile(
    r"^[A-Za-z0-9_.-]{1,128}\Z"
)  # as the schema's, without "\n" at the end
MAX_BATCH = 1000

_DECISION_FIELDS = frozenset(
    {"customer_id", "channel", "template", "experiment", "at", "min_position"}
)
_AUTHORIZATION_FIELDS = frozenset(
    {"customer_id", "channel", "template", "experiment", "message_ref"}
)
_BATCH_FIELDS = frozenset({"items", "min_position"})
_TEMPLATE_FIELDS = frozenset({"name", "language"})
_CHANNELS = frozenset(CHANNELS)
_MISSING = object()


def load_decision_request(data: Any) -> dict[str, Any] | None:
    if type(data) is not dict or not data.keys() <= _DECISION_FIELDS:
        return None
    loaded = _load_common(data)
    if loaded is None:
        return None
    if "at" in data:
        if data["at"] is not None:
            return None  # a moment to parse and range-check: the schema does it
        loaded["at"] = None
    if "min_position" in data:
        if not _plain_position(data["min_position"]):
            return None
        loaded["min_position"] = data["min_position"]
    return loaded


def load_authorization_request(data: Any) -> dict[str, Any] | None:
    if type(data) is not dict or not data.keys() <= _AUTHORIZATION_FIELDS:
        return None
    loaded = _load_common(data)
    if loaded is None or ("experiment" not in loaded and loaded["template"] is None):
        return None
    if "message_ref" in data:
        ref = data["message_ref"]
        if not (ref is None or (type(ref) is str and len(ref) <= 256 and ref.isprintable())):
            return None
        loaded["message_ref"] = ref
    return loaded


def load_batch_request(data: Any) -> dict[str, Any] | None:
    if type(data) is not dict or not data.keys() <= _BATCH_FIELDS:
        return None
    items = data.get("items")
    if type(items) is not list or not 1 <= len(items) <= MAX_BATCH:
        return None
    loaded_items = []
    for item in items:
        loaded = load_decision_request(item)
        if loaded is None:
            return None
        loaded_items.append(loaded)
    result: dict[str, Any] = {"items": loaded_items}
    if "min_position" in data:
        if not _plain_position(data["min_position"]):
            return None
        result["min_position"] = data["min_position"]
    return result


def _plain_position(value: Any) -> bool:
    """A `min_position` as the schema loads it unchanged: null or a non-negative int."""
    return value is None or (type(value) is int and value >= 0)


def _load_common(data: dict[str, Any]) -> dict[str, Any] | None:
    customer_id = data.get("customer_id")
    if (
        type(customer_id) is not str
        or not 1 <= len(customer_id) <= 128
        or not customer_id.isprintable()
    ):
        return None
    channel = data.get("channel", DEFAULT_CHANNEL)
    if type(channel) is not str or channel not in _CHANNELS:
        return None
    if "experiment" in data:  # in place of the template (R-EXPERIMENT), never beside it
        name = data["experiment"]
        if "template" in data or type(name) is not str or EXPERIMENT_NAME.match(name) is None:
            return None
        return {"customer_id": customer_id, "channel": channel, "experiment": name}
    template = data.get("template", _MISSING)
    if template is None:
        return {"customer_id": customer_id, "channel": channel, "template": None}
    if type(template) is not dict or template.keys() != _TEMPLATE_FIELDS:
        return None
    name, language = template["name"], template["language"]
    if (
        type(name) is not str
        or type(language) is not str
        or TEMPLATE_NAME.match(name) is None
        or TEMPLATE_LANGUAGE.match(language) is None
    ):
        return None
    return {
        "customer_id": customer_id,
        "channel": channel,
        "template": {"name": name, "language": language},
    }


def dump_decision(answer: Any, *, with_position: bool = True) -> dict[str, Any] | None:
    """A decision answer as DecisionSchema dumps it, when every value already has its
    declared type; None otherwise."""
    return _dump(answer, DECISION_FIELDS if with_position else BATCH_ITEM_FIELDS)


def dump_authorization(answer: Any) -> dict[str, Any] | None:
    return _dump(answer, AUTHORIZATION_FIELDS)


def dump_batch(answer: Any) -> dict[str, Any] | None:
    if type(answer) is not dict or not {"results", "position"}.issuperset(answer):
        return None
    if type(answer.get("results")) is not list:
        return None
    results = []
    for item in answer["results"]:
        dumped = _plain_batch_item(item) or _dump(item, BATCH_ITEM_FIELDS)
        if dumped is None:
            return None
        results.append(dumped)
    dumped_batch: dict[str, Any] = {"results": results}
    if "position" in answer:
        if type(answer["position"]) is not int:
            return None
        dumped_batch["position"] = answer["position"]
    return dumped_batch


def _plain_batch_item(item: Any) -> dict[str, Any] | None:
    """`_dump(item, BATCH_ITEM_FIELDS)` for the shape `decide_batch` answers with, in one
    expression (a batch dumps a thousand of them); None for any other shape."""
    if (
        type(item) is dict
        and item.keys() == _BATCH_ITEM_KEYS
        and type(item["allowed"]) is bool
        and _string_list(item["reasons"])
        and (item["template_version"] is None or type(item["template_version"]) is int)
        and (item["next_allowed_at"] is None or type(item["next_allowed_at"]) is str)
    ):
        return {
            "allowed": item["allowed"],
            "reasons": list(item["reasons"]),
            "template_version": item["template_version"],
            "next_allowed_at": item["next_allowed_at"],
        }
    return None


def _string_list(value: Any) -> bool:
    return type(value) is list and all(type(item) is str for item in value)


def _optional(kind: type) -> Any:
    return lambda value: value is None or type(value) is kind


def _exactly(kind: type) -> Any:
    return lambda value: type(value) is kind


# Answer fields and the plain type each must already have (bool is not an int here).
EXPERIMENT_FIELDS: dict[str, Any] = {  # a request naming an experiment (R-EXPERIMENT)
    "experiment": _exactly(str),
    "arm": _optional(str),
    "template": _optional(dict),
}
DECISION_FIELDS: dict[str, Any] = {
    "allowed": _exactly(bool),
    "reasons": _string_list,
    "template_version": _optional(int),
    "next_allowed_at": _optional(str),
    **EXPERIMENT_FIELDS,
    "position": _exactly(int),
}
BATCH_ITEM_FIELDS = {k: v for k, v in DECISION_FIELDS.items() if k != "position"}
_BATCH_ITEM_KEYS = frozenset({"allowed", "reasons", "template_version", "next_allowed_at"})
AUTHORIZATION_FIELDS: dict[str, Any] = {  # in AuthorizationSchema's order
    "authorization_id": _exactly(str),
    "allowed": _exactly(bool),
    "template_version": _optional(int),
    "receipt": _exactly(str),
    "reasons": _string_list,
    "next_allowed_at": _optional(str),
    **EXPERIMENT_FIELDS,
    "position": _exactly(int),
}


def _dump(answer: Any, fields: dict[str, Any]) -> dict[str, Any] | None:
    if type(answer) is not dict or not fields.keys() >= answer.keys():
        return None
    dumped: dict[str, Any] = {}
    for name, plainly_typed in fields.items():
        value = answer.get(name, _MISSING)
        if value is _MISSING:
            continue
        if not plainly_typed(value):
            return None
        kind = type(value)
        dumped[name] = list(value) if kind is list else dict(value) if kind is dict else value
    return dumped


class PlainPathSchema(Schema):
    """A schema that first tries its plain loader/dumper and falls back to itself."""

    plain_load: ClassVar[staticmethod[[Any], dict[str, Any] | None] | None] = None
    plain_dump: ClassVar[staticmethod[[Any], dict[str, Any] | None] | None] = None

    def load(
        self,
        data: Any,
        *,
        many: bool | None = None,
        partial: Any = None,
        unknown: Any = None,
    ) -> Any:
        loader = type(self).plain_load
        if loader is not None and not many and partial is None and unknown is None:
            loaded = loader(data)
            if loaded is not None:
                return loaded
        return super().load(data, many=many, partial=partial, unknown=unknown)

    def dump(self, obj: Any, *, many: bool | None = None) -> Any:
        dumper = type(self).plain_dump
        if dumper is not None and not many and not self.only and not self.exclude:
            dumped = dumper(obj)
            if dumped is not None:
                return dumped
        return super().dump(obj, many=many)
