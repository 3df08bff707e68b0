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


def readable_state_json(state_json: str, open_value: Opener) -> str | None:
    """The readable form of the stored state `state_json` (JSON text); None when nothing
    opened."""
    try:
        return _opened_json(orjson.loads(state_json), open_value)
    except (_Float, orjson.JSONDecodeError, orjson.JSONEncodeError):
        return _readable_json_reference(json.loads(state_json), open_value)


def _opened_json(state: Any, open_value: Opener) -> str | None:
    opened: list[bool] = []
    top = [state]  # the parse is ours: it is opened in place
    _open_list(top, open_value, opened)
    if not opened or type(top[0]) is not dict:
        return None
    return orjson.dumps(top[0]).decode()


def _readable_json_reference(state: Any, open_value: Opener) -> str | None:
    opened_any = False

    def open_tracked(value: Any) -> Any:
        nonlocal opened_any
        opened = open_value(value)
        opened_any = opened_any or opened is not None
        return opened

    state = readable(state, open_tracked)
    if not opened_any or not isinstance(state, dict):
        return None
    return json.dumps(state, separators=(",", ":"), ensure_ascii=False)


# `readable` unrolled for the types a JSON parse makes, in place: scalars are handled
# inline instead of by a call each, and only the values that change are stored.


def _open_dict(value: dict[str, Any], open_value: Opener, opened: list[bool]) -> None:
    for key, item in value.items():  # replacing a value does not resize the dict
        kind = type(item)
        if kind is str:
            if item.startswith(PREFIX) and (plain := open_value(item)) is not None:
                opened.append(True)
                value[key] = plain
        elif kind is dict:
            if len(item) == 2 and "_type_" in item and "_data_" in item:
                value[key] = item["_data_"]
            else:
                _open_dict(item, open_value, opened)
        elif kind is list:
            _open_list(item, open_value, opened)
        elif kind is float:
            raise _Float


def _open_list(value: list[Any], open_value: Opener, opened: list[bool]) -> None:
    for index, item in enumerate(value):
        kind = type(item)
        if kind is str:
            if item.startswith(PREFIX) and (plain := open_value(item)) is not None:
                opened.append(True)
                value[index] = plain
        elif kind is dict:
            if len(item) == 2 and "_type_" in item and "_data_" in item:
                value[index] = item["_data_"]
            else:
                _open_dict(item, open_value, opened)
        elif kind is list:
            _open_list(item, open_value, opened)
        elif kind is float:
            raise _Float
