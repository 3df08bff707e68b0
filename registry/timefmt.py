"""R-TIME: RFC 3339 with offset; stored and returned in UTC."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any


def iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def parse_iso(value: str | None) -> datetime | None:
    if value is None:
        return None
    moment = datetime.fromisoformat(value)  # Python 3.11+ reads a trailing "Z" too
    return moment if moment.tzinfo is UTC else moment.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


_PLAIN = frozenset({str, int, float, bool, type(None)})


def jsonable(value: Any) -> Any:
    """Datetimes become RFC 3339 strings, recursively; everything else is kept."""
    if type(value) in _PLAIN:  # most values of a document: one set look-up
        return value
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value
