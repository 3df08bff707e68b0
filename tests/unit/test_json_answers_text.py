"""Responses written by orjson (RegistryJSONProvider) are the text `json.dumps` wrote,
except that a float's exponent is written without padding (`1e-7`, not `1e-07`): the
same number."""

from __future__ import annotations

import datetime
import decimal
import json
import uuid
from typing import Any

from flask import Flask
from hypothesis import given
from hypothesis import strategies as st

from registry.api.app import RegistryJSONProvider

PROVIDER = RegistryJSONProvider(Flask("answers"))
COMPACT = {"separators": (",", ":")}

values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()  # past 64 bits too
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()  # lone surrogates too
    | st.decimals(allow_nan=False, allow_infinity=False)
    | st.uuids()
    | st.datetimes(timezones=st.just(datetime.UTC)),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=5) | st.integers(), inner, max_size=4)
    ),
    max_leaves=12,
)


def as_json_wrote(value: Any) -> str:
    return json.dumps(value, default=PROVIDER.default, ensure_ascii=False, separators=(",", ":"))


def has_float(value: Any) -> bool:
    if isinstance(value, float):
        return True
    if isinstance(value, dict):
        return any(has_float(v) for v in value.values())
    return isinstance(value, list) and any(has_float(v) for v in value)


@given(values)
def test_a_response_body_is_the_text_json_dumps_wrote(value: Any) -> None:
    ours = PROVIDER.dumps(value, **COMPACT)
    assert json.loads(ours) == json.loads(as_json_wrote(value))
    if not has_float(value):
        assert ours == as_json_wrote(value)


def test_a_small_float_is_the_same_number_without_exponent_padding() -> None:
    assert PROVIDER.dumps({"p": 1e-07}, **COMPACT) == '{"p":1e-7}'
    assert PROVIDER.dumps({"r": 0.25}, **COMPACT) == as_json_wrote({"r": 0.25})


def test_dates_decimals_and_ids_keep_flasks_conversion() -> None:
    value = {
        "at": datetime.datetime(2026, 12, 2, 7, 0, tzinfo=datetime.UTC),
        "rate": decimal.Decimal("0.50"),
        "id": uuid.UUID(int=7),
    }
    assert PROVIDER.dumps(value, **COMPACT) == (
        '{"at":"Wed, 02 Dec 2026 07:00:00 GMT","rate":"0.50",'
        '"id":"00000000-0000-0000-0000-000000000007"}'
    )
