"""registry.jsontext.loads reads every text exactly as json.loads does: the same value,
type for type, or the same refusal in the same words."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from registry.jsontext import loads

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats()
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=20,
)
# Fragments that make texts near JSON, valid or not, for the refusals.
near_json = st.lists(
    st.sampled_from(
        [
            "{",
            "}",
            "[",
            "]",
            '"',
            ":",
            ",",
            " ",
            "0",
            "7",
            "-",
            ".",
            "e",
            "+",
            "true",
            "null",
            "NaN",
            "Infinity",
            "\\",
            "u",
            "d800",
            "\\udc00",
            "\\u00e9",
            "\x01",
            "\t",
            "é",
            "12345678901234567890",
        ]
    ),
    max_size=14,
).map("".join)


def same(a: Any, b: Any) -> bool:
    """Equal, type for type: 1, 1.0 and True differ; NaN is itself; -0.0 is not 0.0."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return (math.isnan(a) and math.isnan(b)) or (
            a == b and math.copysign(1, a) == math.copysign(1, b)
        )
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    return bool(a == b)


def outcome(text: str) -> tuple[str, Any]:
    try:
        return ("value", json.loads(text))
    except (ValueError, RecursionError) as error:
        return ("refused", f"{type(error).__name__}: {error}")


def loads_outcome(text: str) -> tuple[str, Any]:
    try:
        return ("value", loads(text))
    except (ValueError, RecursionError) as error:
        return ("refused", f"{type(error).__name__}: {error}")


def assert_read_alike(text: str) -> None:
    expected, got = outcome(text), loads_outcome(text)
    assert expected[0] == got[0], (text, expected, got)
    assert same(expected[1], got[1]) if expected[0] == "value" else expected == got, (text, got)


@given(json_values, st.booleans(), st.sampled_from([None, 2]))
def test_written_json_reads_back_as_json_reads_it(
    value: Any, ascii_only: bool, indent: int | None
) -> None:
    assert_read_alike(json.dumps(value, ensure_ascii=ascii_only, indent=indent))


@given(near_json)
def test_texts_near_json_are_read_or_refused_as_json_does(text: str) -> None:
    assert_read_alike(text)


@pytest.mark.parametrize(
    "text",
    [
        "123456789012345678901234567890",  # orjson alone would give a float
        "-9223372036854775809",
        "[18446744073709551616, 1]",
        '{"min_position": 99999999999999999999}',
        "9223372036854775807",
        "NaN",
        "[Infinity, -Infinity]",
        "1e400",
        "-0.0",
        '"\\ud800"',  # a lone surrogate: json reads it, the guard then refuses it
        '"\\udc00\\ud800"',
        "[" * 1100 + "]" * 1100,  # deeper than orjson's limit
        '{"a": 1, "a": 2}',
        " \t\r\n[1]\n",
        "\ufeff{}",
        "",
        "[1,]",
    ],
)
def test_texts_orjson_reads_differently_or_refuses_are_read_as_json_does(text: str) -> None:
    assert_read_alike(text)
