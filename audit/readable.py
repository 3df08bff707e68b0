"""The `readable` member of an export line: the event's state with its personal data
opened, as compact JSON text.

It is `registry.projections.history.readable` of the parsed state, serialised with
`json.dumps(…, separators=(",", ":"), ensure_ascii=False)`, and stays byte for byte that
(tests/unit/test_export_lines.py). The fast path parses and serialises with orjson, whose
output equals `json`'s for strings, integers up to 64 bits, booleans, null, lists and
dicts; anything else (a float, including the float orjson makes of a larger integer, or
text orjson refuses) takes the `json` path.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import orjson

from registry.crypto import PREFIX
from registry.projections.history import readable

Opener = Callable[[Any], Any]


class _Float(Exception):
    """The value holds a float: orjson and `json` may write it differently."""


def readable_json(event_json: str, open_value: Opener) -> str | None:
    """The readable state of the leaf object `event_json`; None when nothing opened."""
    try:
        state = orjson.loads(event_json)["state"]
        opened: list[bool] = []
        result = _opened_list([state], open_value, opened)[0]
        if not opened or type(result) is not dict:
            return None
        return orjson.dumps(result).decode()
    except (_Float, orjson.JSONDecodeError, orjson.JSONEncodeError):
        return _readable_json_reference(event_json, open_value)


def _readable_json_reference(event_json: str, open_value: Opener) -> str | None:
    opened_any = False

    def open_tracked(value: Any) -> Any:
        nonlocal opened_any
        opened = open_value(value)
        opened_any = opened_any or opened is not None
        return opened

    state = readable(json.loads(event_json)["state"], open_tracked)
    if not opened_any or not isinstance(state, dict):
        return None
    return json.dumps(state, separators=(",", ":"), ensure_ascii=False)


# `readable` unrolled for the types a JSON parse makes: scalars are handled inline instead
# of by a call each, which is most of the cost of an event's state.


def _opened_dict(value: dict[str, Any], open_value: Opener, opened: list[bool]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, item in value.items():
        kind = type(item)
        if kind is str:
            if item.startswith(PREFIX) and (plain := open_value(item)) is not None:
                opened.append(True)
                item = plain
        elif kind is dict:
            if len(item) == 2 and "_type_" in item and "_data_" in item:
                item = item["_data_"]
            else:
                item = _opened_dict(item, open_value, opened)
        elif kind is list:
            item = _opened_list(item, open_value, opened)
        elif kind is float:
            raise _Float
        result[key] = item
    return result


def _opened_list(value: list[Any], open_value: Opener, opened: list[bool]) -> list[Any]:
    result: list[Any] = []
    for item in value:
        kind = type(item)
        if kind is str:
            if item.startswith(PREFIX) and (plain := open_value(item)) is not None:
                opened.append(True)
                item = plain
        elif kind is dict:
            if len(item) == 2 and "_type_" in item and "_data_" in item:
                item = item["_data_"]
            else:
                item = _opened_dict(item, open_value, opened)
        elif kind is list:
            item = _opened_list(item, open_value, opened)
        elif kind is float:
            raise _Float
        result.append(item)
    return result
