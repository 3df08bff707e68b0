"""Reading the platform's loosely typed JSON: ids as strings or integers, Unix times as
numbers or numeric strings, optional objects and lists. None (or an empty container)
for what is not there; `Malformed` for what a change cannot do without."""

from __future__ import annotations

import hashlib
import json
import math
from datetime import UTC, datetime

from registry.integrations.whatsapp_changes import Json


class Malformed(Exception):
    """One item of a change could not be understood; the reason goes to `Unrecognised`."""


def phone(value: object) -> str | None:
    """Digits of an E.164 number (`wa_id`, `from`, `recipient_id`); None if it is not one."""
    text = text_id(value)
    digits = text[1:] if text and text.startswith("+") else text
    return digits if digits and digits.isascii() and digits.isdigit() else None


def epoch(value: object) -> datetime | None:
    """Unix seconds as int, float or numeric string (the platform mixes them)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            return None
    if not isinstance(value, int | float):
        return None
    try:
        return datetime.fromtimestamp(value, UTC) if math.isfinite(value) else None
    except (OverflowError, OSError, ValueError):
        return None


def stripped(value: object) -> str | None:
    return (value.strip() or None) if isinstance(value, str) else None


def text_id(value: object) -> str | None:
    """Ids and codes arrive as strings or integers."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return stripped(value)


def upper(value: object) -> str | None:
    text = stripped(value)
    return text.upper() if text else None


def required(value: Json, key: str) -> str:
    text = stripped(value.get(key))
    if text is None:
        raise Malformed(f"{key} missing")
    return text


def required_upper(value: Json, key: str) -> str:
    return required(value, key).upper()


def json_object(item: object, where: str) -> Json:
    if not isinstance(item, dict):
        raise Malformed(f"an item of {where} is not an object")
    return item


def as_dict(value: object) -> Json:
    return value if isinstance(value, dict) else {}


def as_list(value: object) -> list[object]:
    return value if isinstance(value, list) else []


def digest(value: object) -> str:
    """SHA-256 of the canonical JSON of a value; `repr` for what JSON cannot express."""
    try:
        text = json.dumps(
            value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=repr
        )
    except (TypeError, ValueError, RecursionError):
        try:
            text = repr(value)
        except Exception:
            text = type(value).__name__
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
