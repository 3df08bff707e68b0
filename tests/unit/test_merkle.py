"""R-AUDIT: Merkle roots and proofs agree with RFC 9162 §2.1, written out here from the RFC.

The reference functions below transcribe the RFC's recursive definitions (MTH, PATH,
PROOF/SUBPROOF) over the leaf *data*; they share no code with `audit.merkle`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audit.merkle import (
    EMPTY_ROOT,
    NodeKey,
    ProofRangeError,
    canonical_json,
    consistency_proof_from_leaf_hashes,
    inclusion_proof_from_leaf_hashes,
    leaf_hash,
    node_hash,
    root_from_leaf_hashes,
    verify_consistency,
    verify_inclusion,
)
from audit.multiproof import inclusion_proofs

# --- RFC 9162 §2.1.1–2.1.4, transcribed ----------------------------------------------------


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def split_point(n: int) -> int:
    """k: the largest power of two smaller than n (n > 1)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(leaves: tuple[bytes, ...]) -> bytes:
    """§2.1.1 Merkle Tree Hash."""
    n = len(leaves)
    if n == 0:
        return sha256(b"")
    if n == 1:
        return sha256(b"\x00" + leaves[0])
    k = split_point(n)
    return sha256(b"\x01" + mth(leaves[:k]) + mth(leaves[k:]))


def path(m: int, leaves: tuple[bytes, ...]) -> list[bytes]:
    """§2.1.3.1 PATH(m, D[n])."""
    n = len(leaves)
    if n == 1:
        return []
    k = split_point(n)
    if m < k:
        return [*path(m, leaves[:k]), mth(leaves[k:])]
    return [*path(m - k, leaves[k:]), mth(leaves[:k])]


def proof(m: int, leaves: tuple[bytes, ...]) -> list[bytes]:
    """§2.1.4.1 PROOF(m, D[n]) = SUBPROOF(m, D[n], true)."""
    return subproof(m, leaves, True)


def subproof(m: int, leaves: tuple[bytes, ...], b: bool) -> list[bytes]:
    n = len(leaves)
    if m == n:
        return [] if b else [mth(leaves)]
    k = split_point(n)
    if m <= k:
        return [*subproof(m, leaves[:k], b), mth(leaves[k:])]
    return [*subproof(m - k, leaves[k:], False), mth(leaves[:k])]


# --- fixtures ------------------------------------------------------------------------------

MAX_EXHAUSTIVE = 70


@cache
def data(n: int) -> tuple[bytes, ...]:
    return tuple(f"leaf {i}".encode() for i in range(n))


@cache
def hashes(n: int) -> tuple[bytes, ...]:
    return tuple(leaf_hash(leaf) for leaf in data(n))


def flipped(digest: bytes) -> bytes:
    return bytes([digest[0] ^ 1]) + digest[1:]


# --- test vectors from the certificate-transparency reference implementation ---------------

CT_LEAVES = [
    b"",
    b"\x00",
    b"\x10",
    b"\x20\x21",
    b"\x30\x31",
    b"\x40\x41\x42\x43",
    b"\x50\x51\x52\x53\x54\x55\x56\x57",
    bytes(range(0x60, 0x70)),
]
CT_ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
CT_CONSISTENCY = {
    (1, 8): [
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
    (6, 8): [
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ],
    (2, 5): [
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    ],
}


def test_roots_match_the_certificate_transparency_vectors() -> None:
    ct_hashes = [leaf_hash(leaf) for leaf in CT_LEAVES]
    for size, expected in enumerate(CT_ROOTS):
        assert root_from_leaf_hashes(ct_hashes[:size]).hex() == expected
        assert mth(tuple(CT_LEAVES[:size])).hex() == expected


@pytest.mark.parametrize(("first", "second"), sorted(CT_CONSISTENCY))
def test_consistency_proofs_match_the_certificate_transparency_vectors(
    first: int, second: int
) -> None:
    ct_hashes = [leaf_hash(leaf) for leaf in CT_LEAVES]
    expected = [bytes.fromhex(node) for node in CT_CONSISTENCY[(first, second)]]
    assert consistency_proof_from_leaf_hashes(ct_hashes, first, second) == expected
    assert verify_consistency(
        first,
        second,
        bytes.fromhex(CT_ROOTS[first]),
        bytes.fromhex(CT_ROOTS[second]),
        expected,
    )


# --- primitives ----------------------------------------------------------------------------


def test_hashes_use_the_rfc_domain_separation_prefixes() -> None:
    assert leaf_hash(b"x") == sha256(b"\x00x")
    assert node_hash(b"l", b"r") == sha256(b"\x01lr")
    assert sha256(b"") == EMPTY_ROOT


def test_canonical_json_is_sorted_compact_utf8() -> None:
    event = {"b": [1, {"z": None, "a": True}], "a": "Привет 🎉", "c": 10**30}
    expected = json.dumps(event, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert canonical_json(event) == expected.encode("utf-8")
    assert canonical_json(event).startswith(b'{"a":"\xd0\x9f')


@pytest.mark.parametrize(
    "event",
    [{"amount": 1.5}, {"list": [1, [2, 0.0]]}, {"nested": {"deep": {"nan": float("nan")}}}, 2.0],
)
def test_canonical_json_refuses_floats_anywhere(event: object) -> None:
    with pytest.raises(ValueError, match="float"):
        canonical_json(event)


# --- every size up to 70 against the RFC text ----------------------------------------------


@pytest.mark.parametrize("size", range(MAX_EXHAUSTIVE + 1))
def test_root_equals_rfc_mth(size: int) -> None:
    assert root_from_leaf_hashes(hashes(size)) == mth(data(size))


@pytest.mark.parametrize("size", range(1, MAX_EXHAUSTIVE + 1))
def test_every_inclusion_proof_equals_rfc_path_and_verifies(size: int) -> None:
    root = mth(data(size))
    for index in range(size):
        expected = path(index, data(size))
        assert inclusion_proof_from_leaf_hashes(hashes(size), index, size) == expected
        assert verify_inclusion(hashes(size)[index], index, size, expected, root)


@pytest.mark.parametrize("second", range(MAX_EXHAUSTIVE + 1))
def test_every_consistency_proof_equals_rfc_proof_and_verifies(second: int) -> None:
    root_second = mth(data(second))
    for first in range(1, second + 1):
        expected = proof(first, data(second))
        assert consistency_proof_from_leaf_hashes(hashes(second), first, second) == expected
        assert verify_consistency(first, second, mth(data(first)), root_second, expected)


def test_consistency_from_the_empty_tree_is_the_empty_proof() -> None:
    assert consistency_proof_from_leaf_hashes(hashes(5), 0, 5) == []
    assert verify_consistency(0, 5, EMPTY_ROOT, mth(data(5)), [])
    assert not verify_consistency(0, 5, mth(data(1)), mth(data(5)), [])


def test_a_tree_is_consistent_with_itself_only_with_an_empty_proof() -> None:
    root = mth(data(6))
    assert verify_consistency(6, 6, root, root, [])
    assert not verify_consistency(6, 6, root, flipped(root), [])
    assert not verify_consistency(6, 6, root, root, [root])


# --- tampering -----------------------------------------------------------------------------


@pytest.mark.parametrize("size", [2, 3, 7, 8, 13, 64, 70])
def test_a_tampered_inclusion_proof_fails(size: int) -> None:
    root = mth(data(size))
    for index in range(size):
        good = path(index, data(size))
        leaf = hashes(size)[index]
        for position in range(len(good)):
            bad = [*good[:position], flipped(good[position]), *good[position + 1 :]]
            assert not verify_inclusion(leaf, index, size, bad, root)
        assert not verify_inclusion(flipped(leaf), index, size, good, root)
        assert not verify_inclusion(leaf, index, size, good[:-1], root)
        assert not verify_inclusion(leaf, index, size, [*good, leaf], root)
        assert not verify_inclusion(leaf, index, size, good, flipped(root))
        assert not verify_inclusion(leaf, size, size, good, root)


@pytest.mark.parametrize("second", [3, 5, 8, 9, 31, 70])
def test_a_tampered_consistency_proof_fails(second: int) -> None:
    root_second = mth(data(second))
    for first in range(1, second):
        root_first = mth(data(first))
        good = proof(first, data(second))
        for position in range(len(good)):
            bad = [*good[:position], flipped(good[position]), *good[position + 1 :]]
            assert not verify_consistency(first, second, root_first, root_second, bad)
        assert not verify_consistency(first, second, flipped(root_first), root_second, good)
        assert not verify_consistency(first, second, root_first, flipped(root_second), good)
        assert not verify_consistency(first, second, root_first, root_second, good[:-1])
        assert not verify_consistency(first, second, root_first, root_second, [])
        assert not verify_consistency(second, first, root_second, root_first, good)


def test_impossible_ranges_are_refused() -> None:
    with pytest.raises(ProofRangeError):
        inclusion_proof_from_leaf_hashes(hashes(4), 4, 4)
    with pytest.raises(ProofRangeError):
        inclusion_proof_from_leaf_hashes(hashes(4), 0, 5)
    with pytest.raises(ProofRangeError):
        consistency_proof_from_leaf_hashes(hashes(4), 3, 2)
    with pytest.raises(ProofRangeError):
        consistency_proof_from_leaf_hashes(hashes(4), 2, 5)
    assert issubclass(ProofRangeError, ValueError)


# --- random sizes --------------------------------------------------------------------------


@st.composite
def size_and_index(draw: st.DrawFn) -> tuple[int, int]:
    size = draw(st.integers(min_value=1, max_value=1500))
    return size, draw(st.integers(min_value=0, max_value=size - 1))


@settings(max_examples=60, deadline=None)
@given(size_and_index())
def test_random_inclusion_proofs_equal_rfc_path(case: tuple[int, int]) -> None:
    size, index = case
    expected = path(index, data(size))
    assert inclusion_proof_from_leaf_hashes(hashes(size), index, size) == expected
    assert verify_inclusion(hashes(size)[index], index, size, expected, mth(data(size)))


@settings(max_examples=60, deadline=None)
@given(size_and_index())
def test_random_consistency_proofs_equal_rfc_proof(case: tuple[int, int]) -> None:
    second, first = case[0], case[1] + 1
    expected = proof(first, data(second))
    assert consistency_proof_from_leaf_hashes(hashes(second), first, second) == expected
    assert verify_consistency(first, second, mth(data(first)), mth(data(second)), expected)


@settings(max_examples=60, deadline=None)
@given(size_and_index(), st.integers(min_value=0, max_value=31), st.integers(0, 7))
def test_any_flipped_bit_breaks_an_inclusion_proof(
    case: tuple[int, int], byte: int, bit: int
) -> None:
    size, index = case
    good = path(index, data(size))
    leaf = hashes(size)[index]
    root = mth(data(size))
    target = index % (len(good) + 1)  # 0..len: a proof node, or the leaf itself
    if target == len(good):
        leaf = leaf[:byte] + bytes([leaf[byte] ^ (1 << bit)]) + leaf[byte + 1 :]
    else:
        node = good[target]
        good = [*good[:target], node[:byte] + bytes([node[byte] ^ (1 << bit)]) + node[byte + 1 :]]
        good += path(index, data(size))[target + 1 :]
    assert not verify_inclusion(leaf, index, size, good, root)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.binary(max_size=40), min_size=1, max_size=200), st.data())
def test_arbitrary_leaf_data(leaves: list[bytes], draw: st.DataObject) -> None:
    leaf_data = tuple(leaves)
    digests = [leaf_hash(leaf) for leaf in leaf_data]
    size = len(leaf_data)
    assert root_from_leaf_hashes(digests) == mth(leaf_data)
    index = draw.draw(st.integers(0, size - 1))
    assert inclusion_proof_from_leaf_hashes(digests, index, size) == path(index, leaf_data)
    first = draw.draw(st.integers(1, size))
    assert consistency_proof_from_leaf_hashes(digests, first, size) == proof(first, leaf_data)


# --- many proofs at once (audit.multiproof) ------------------------------------------------


class CountingLookup:
    """Stored perfect subtrees of `size` leaves, counting calls and keys asked for."""

    def __init__(self, size: int) -> None:
        self.leaves = hashes(size)
        self.calls: list[list[NodeKey]] = []

    def __call__(self, keys: Sequence[NodeKey]) -> dict[NodeKey, bytes]:
        self.calls.append(list(keys))
        return {(level, index): self.perfect(level, index) for level, index in keys}

    def perfect(self, level: int, index: int) -> bytes:
        if level == 0:
            return self.leaves[index]
        return node_hash(self.perfect(level - 1, 2 * index), self.perfect(level - 1, 2 * index + 1))


@st.composite
def size_and_run(draw: st.DrawFn) -> tuple[int, list[int]]:
    size = draw(st.integers(min_value=1, max_value=1500))
    first = draw(st.integers(min_value=0, max_value=size - 1))
    last = draw(st.integers(min_value=first, max_value=min(size - 1, first + 600)))
    return size, list(range(first, last + 1))


@st.composite
def size_and_scattered(draw: st.DrawFn) -> tuple[int, list[int]]:
    size = draw(st.integers(min_value=1, max_value=1500))
    indexes = draw(st.sets(st.integers(min_value=0, max_value=size - 1), min_size=1, max_size=40))
    return size, sorted(indexes)


def assert_batch_equals_one_at_a_time(size: int, indexes: list[int]) -> CountingLookup:
    lookup = CountingLookup(size)
    proofs = inclusion_proofs(size, {i: hashes(size)[i] for i in indexes}, lookup)
    assert sorted(proofs) == indexes
    for index in indexes:
        assert list(proofs[index]) == inclusion_proof_from_leaf_hashes(hashes(size), index, size)
    assert len(lookup.calls) == 1
    return lookup


@settings(max_examples=120, deadline=None)
@given(size_and_run())
def test_page_proofs_equal_one_at_a_time_proofs_with_one_small_read(
    case: tuple[int, list[int]],
) -> None:
    size, run = case
    lookup = assert_batch_equals_one_at_a_time(size, run)
    wanted = lookup.calls[0]
    assert not {index for level, index in wanted if level == 0} & set(run)
    # each level adds at most a left and a right neighbour (the right one maybe ragged)
    assert len(wanted) <= 2 * size.bit_length() ** 2


@settings(max_examples=120, deadline=None)
@given(size_and_scattered())
def test_proofs_of_scattered_leaves_equal_one_at_a_time_proofs(
    case: tuple[int, list[int]],
) -> None:
    assert_batch_equals_one_at_a_time(*case)


@pytest.mark.parametrize("size", [1, 2, 3, 7, 8, 9, 64, 65, 100])
def test_proofs_of_every_leaf_at_once_need_no_stored_subtree(size: int) -> None:
    lookup = assert_batch_equals_one_at_a_time(size, list(range(size)))
    assert lookup.calls == [[]]


def test_page_proofs_refuse_leaves_outside_the_tree() -> None:
    assert inclusion_proofs(5, {}, CountingLookup(5)) == {}
    with pytest.raises(ProofRangeError):
        inclusion_proofs(5, {5: hashes(6)[5]}, CountingLookup(6))
    with pytest.raises(ProofRangeError):
        inclusion_proofs(5, {-1: hashes(5)[0]}, CountingLookup(5))
