"""An aggregate's events as the history endpoints show them: position, type,
moment, actor, and the event's data with personal data opened where it still can be."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from registry.crypto import PREFIX as SEALED_PREFIX
from registry.crypto import is_sealed
from registry.store.unit_of_work import event_type
from registry.timefmt import iso, parse_iso

EVENT_META_FIELDS = (
    "timestamp",
    "actor",
    "request_id",
    "originator_topic",
    "tenant",
    "class_version",
)
Opener = Callable[[Any], Any]
_SCALARS = frozenset({int, float, bool, type(None)})


def readable(value: Any, open_value: Opener | None) -> Any:
    """Sealed personal data opened where the key still exists; erased stays sealed.
    Transcoded values (`{"_type_", "_data_"}`) are shown as their data."""
    kind = type(value)
    if kind is str:  # most leaves: one type check, one prefix check
        if open_value is not None and value.startswith(SEALED_PREFIX):
            opened = open_value(value)
            return value if opened is None else opened
        return value
    if kind in _SCALARS:
        return value
    if isinstance(value, dict):
        if len(value) == 2 and "_type_" in value and "_data_" in value:
            return value["_data_"]
        return {k: readable(v, open_value) for k, v in value.items()}
    if isinstance(value, list):
        return [readable(v, open_value) for v in value]
    if is_sealed(value) and open_value is not None:
        opened = open_value(value)
        return value if opened is None else opened
    return value


def history_entry(
    position: int, topic: str, state: bytes, open_value: Opener | None
) -> dict[str, Any]:
    data = json.loads(state)
    stamp = data.get("timestamp", {})
    return {
        "position": position,
        "type": event_type(topic),
        "occurred_at": iso(parse_iso(stamp.get("_data_"))) if isinstance(stamp, dict) else None,
        "actor": data.get("actor"),
        "request_id": data.get("request_id"),
        "data": readable({k: v for k, v in data.items() if k not in EVENT_META_FIELDS}, open_value),
    }
