"""The export's fast line parts equal their straightforward forms for every input:
`readable_state_json` against `history.readable` + `json.dumps`, and the proofs as JSON text
against `inclusion_proofs` written out with `json`, also from the subtrees read ahead
(`subtrees_needed`)."""

from __future__ import annotations

import hashlib
import json
import os
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from audit.multiproof import inclusion_proofs, inclusion_proofs_json, subtrees_needed
from audit.readable import readable_state_json
from registry.crypto import seal
from registry.personal_data import key_opener
from registry.projections.history import readable

KEY = os.urandom(32)
OTHER_KEY = os.urandom(32)
CONTEXT = "acme/c1"


def reference(state_json: str, open_value: Any) -> str | None:
    """The export's readable member as first written: parse, open, serialise with json."""
    opened_any = False

    def tracked(value: Any) -> Any:
        nonlocal opened_any
        opened = open_value(value)
        opened_any = opened_any or opened is not None
        return opened

    state = readable(json.loads(state_json), tracked)
    if not opened_any or not isinstance(state, dict):
        return None
    return json.dumps(state, separators=(",", ":"), ensure_ascii=False)


texts = st.text(st.characters(exclude_categories=("Cs",)), max_size=12)
sealed = texts.map(lambda plain: seal(KEY, plain, context=CONTEXT))
foreign = texts.map(lambda plain: seal(OTHER_KEY, plain, context=CONTEXT))  # does not open
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**80), max_value=2**80),  # past 64 bits orjson makes floats
    st.floats(allow_nan=False, allow_infinity=False),
    texts,
    st.sampled_from(["enc:v1:", "enc:v1:!!", "enc:v2:abc", "ENC:v1:x"]),
    sealed,
    foreign,
)
transcoded = st.fixed_dictionaries(
    {"_type_": st.sampled_from(["datetime_iso", "uuid"]), "_data_": st.one_of(texts, sealed)}
)
values = st.recursive(
    st.one_of(scalars, transcoded),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4),
    max_leaves=20,
)
states = st.one_of(st.dictionaries(texts, values, max_size=6), values)


def state_text(state: Any) -> str:
    return json.dumps(state, separators=(",", ":"), ensure_ascii=False)


@settings(max_examples=400, deadline=None)
@given(states)
def test_readable_json_equals_readable_serialised_with_json(state: Any) -> None:
    opener = key_opener("acme", "c1", KEY)
    text = state_text(state)
    assert readable_state_json(text, opener) == reference(text, opener)


def test_readable_json_opens_sealed_values_and_shows_transcoded_data() -> None:
    phone = seal(KEY, "+7 999 «тест»\u2028\x00", context=CONTEXT)
    state = {
        "timestamp": {"_type_": "datetime_iso", "_data_": "2026-01-01T00:00:00+00:00"},
        "profile": {"phone": phone, "kept": seal(OTHER_KEY, "x", context=CONTEXT)},
        "big": 2**70,
    }
    text = state_text(state)
    opened = readable_state_json(text, key_opener("acme", "c1", KEY))
    assert opened == reference(text, key_opener("acme", "c1", KEY))
    assert (
        opened is not None and json.loads(opened)["profile"]["phone"] == "+7 999 «тест»\u2028\x00"
    )
    assert json.loads(opened)["big"] == 2**70


def test_readable_json_is_none_when_nothing_opens() -> None:
    text = state_text({"phone": seal(OTHER_KEY, "x", context=CONTEXT), "n": 1})
    assert readable_state_json(text, key_opener("acme", "c1", KEY)) is None
    assert readable_state_json(text, key_opener("acme", "c1", None)) is None


def test_readable_json_takes_the_json_path_for_text_orjson_refuses() -> None:
    phone = seal(KEY, "+7", context=CONTEXT)
    text = state_text({"phone": phone, "lone": "\ud800"}).replace("\ud800", "\\ud800")
    assert readable_state_json(text, key_opener("acme", "c1", KEY)) == reference(
        text, key_opener("acme", "c1", KEY)
    )


def leaf_hashes(size: int) -> list[bytes]:
    return [hashlib.sha256(b"\x00" + str(i).encode()).digest() for i in range(size)]


@settings(max_examples=200, deadline=None)
@given(
    st.integers(min_value=1, max_value=300).flatmap(
        lambda size: st.tuples(st.just(size), st.sets(st.integers(0, size - 1), min_size=1))
    )
)
def test_proofs_as_json_text_are_the_proofs_written_with_json(case: tuple[int, set[int]]) -> None:
    size, indexes = case
    hashes = leaf_hashes(size)
    memory = _memory_lookup(hashes)
    leaves = {i: hashes[i] for i in indexes}
    as_bytes = inclusion_proofs(size, leaves, memory)
    as_text = inclusion_proofs_json(size, leaves, memory)
    assert as_text == {
        i: json.dumps([node.hex() for node in proof], separators=(",", ":"))
        for i, proof in as_bytes.items()
    }
    read_ahead = memory(subtrees_needed(size, indexes))
    assert inclusion_proofs_json(size, leaves, lambda keys: read_ahead) == as_text


def _memory_lookup(hashes: list[bytes]) -> Any:
    def perfect(level: int, index: int) -> bytes:
        if level == 0:
            return hashes[index]
        left, right = perfect(level - 1, 2 * index), perfect(level - 1, 2 * index + 1)
        return hashlib.sha256(b"\x01" + left + right).digest()

    return lambda keys: {key: perfect(*key) for key in keys}
