"""Merkle Tree Hash, inclusion and consistency proofs of RFC 9162 §2.1.

Everything here is pure. Hashes of ranges are assembled from *perfect subtrees* (level k,
index i covers leaves [i·2^k, (i+1)·2^k)), so a store that keeps those subtrees (see
`audit.log`) can answer any root or proof from O(log n) of them. The `*_from_leaf_hashes`
functions compute the same subtrees from an in-memory list of leaf hashes.

Sizes the RFC leaves undefined are handled as follows: the consistency proof from the
empty tree or from a tree to itself is the empty list (nothing to prove).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any

NodeKey = tuple[int, int]  # (level, index) of a perfect subtree
Range = tuple[int, int]  # leaves [lo, hi)

EMPTY_ROOT = hashlib.sha256(b"").digest()
HASH_SIZE = 32


class ProofRangeError(ValueError):
    """A root or proof was asked for sizes or indexes that cannot exist."""


def canonical_json(obj: Any) -> bytes:
    """The leaf bytes of R-AUDIT; refuses floats, whose text form is not canonical."""
    _refuse_floats(obj)
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    )


def _refuse_floats(obj: Any) -> None:
    pending = [obj]
    while pending:
        item = pending.pop()
        if isinstance(item, float):
            raise ValueError("a Merkle leaf must not contain floats")
        if isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list | tuple):
            pending.extend(item)


def leaf_hash(leaf: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


# --- planning: which perfect subtrees and ranges a root or proof is made of -----------------


def _largest_power_of_two_below(n: int) -> int:
    """The k of RFC 9162: the largest power of two smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def perfect_subtrees(lo: int, hi: int) -> list[NodeKey]:
    """The perfect subtrees, left to right, whose right fold is MTH(D[lo:hi]).

    Valid for every range the RFC recursion produces, i.e. where `lo` is a multiple of a
    power of two no smaller than `hi - lo`.
    """
    keys: list[NodeKey] = []
    start = lo
    while start < hi:
        level = (hi - start).bit_length() - 1
        while start % (1 << level):
            level -= 1
        keys.append((level, start >> level))
        start += 1 << level
    return keys


def fold_subtrees(hashes: Sequence[bytes]) -> bytes:
    """MTH of a range from its perfect subtrees (largest first): a right fold."""
    if not hashes:
        return EMPTY_ROOT
    result = hashes[-1]
    for left in reversed(hashes[:-1]):
        result = node_hash(left, result)
    return result


def inclusion_ranges(index: int, size: int) -> list[Range]:
    """PATH(index, D[size]) of RFC 9162 §2.1.3.1 as the leaf ranges whose MTHs it lists."""
    if not 0 <= index < size:
        raise ProofRangeError(f"leaf index {index} is outside a tree of size {size}")
    ranges: list[Range] = []
    lo, hi = 0, size
    while hi - lo > 1:
        mid = lo + _largest_power_of_two_below(hi - lo)
        if index < mid:
            ranges.append((mid, hi))
            hi = mid
        else:
            ranges.append((lo, mid))
            lo = mid
    ranges.reverse()
    return ranges


def consistency_ranges(first: int, second: int) -> list[Range]:
    """PROOF(first, D[second]) of RFC 9162 §2.1.4.1 as leaf ranges; empty when nothing to prove."""
    if not 0 <= first <= second:
        raise ProofRangeError(f"no consistency proof from size {first} to size {second}")
    if first in (0, second):
        return []
    ranges: list[Range] = []
    lo, hi = 0, second
    complete = True  # the b flag of SUBPROOF
    while first != hi:
        mid = lo + _largest_power_of_two_below(hi - lo)
        if first <= mid:
            ranges.append((mid, hi))
            hi = mid
        else:
            ranges.append((lo, mid))
            lo = mid
            complete = False
    if not complete:
        ranges.append((lo, hi))
    ranges.reverse()
    return ranges


def ranges_hashes(
    ranges: Iterable[Range], lookup: Callable[[Sequence[NodeKey]], dict[NodeKey, bytes]]
) -> list[bytes]:
    """The MTH of each range, from perfect subtrees fetched in one call to `lookup`."""
    plans = [perfect_subtrees(lo, hi) for lo, hi in ranges]
    wanted = sorted({key for plan in plans for key in plan})
    nodes = lookup(wanted)
    return [fold_subtrees([nodes[key] for key in plan]) for plan in plans]


# --- the same, over an in-memory list of leaf hashes ---------------------------------------


def _memory_lookup(hashes: Sequence[bytes]) -> Callable[[Sequence[NodeKey]], dict[NodeKey, bytes]]:
    def perfect(level: int, index: int) -> bytes:
        if level == 0:
            return hashes[index]
        return node_hash(perfect(level - 1, 2 * index), perfect(level - 1, 2 * index + 1))

    def lookup(keys: Sequence[NodeKey]) -> dict[NodeKey, bytes]:
        return {key: perfect(*key) for key in keys}

    return lookup


def root_from_leaf_hashes(hashes: Sequence[bytes]) -> bytes:
    if not hashes:
        return EMPTY_ROOT
    return ranges_hashes([(0, len(hashes))], _memory_lookup(hashes))[0]


def inclusion_proof_from_leaf_hashes(hashes: Sequence[bytes], index: int, size: int) -> list[bytes]:
    if size > len(hashes):
        raise ProofRangeError(f"tree size {size} exceeds the {len(hashes)} leaves given")
    return ranges_hashes(inclusion_ranges(index, size), _memory_lookup(hashes))


def consistency_proof_from_leaf_hashes(hashes: Sequence[bytes], m: int, n: int) -> list[bytes]:
    if n > len(hashes):
        raise ProofRangeError(f"tree size {n} exceeds the {len(hashes)} leaves given")
    return ranges_hashes(consistency_ranges(m, n), _memory_lookup(hashes))


# --- verification, exactly as RFC 9162 §2.1.3.2 and §2.1.4.2 --------------------------------


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """RFC 9162 §2.1.3.2."""
    if index < 0 or index >= size:
        return False
    fn, sn = index, size - 1
    r = leaf_hash
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(
    m: int, n: int, root_m: bytes, root_n: bytes, proof: Sequence[bytes]
) -> bool:
    """RFC 9162 §2.1.4.2, plus the trivial cases m == 0 and m == n (empty proof)."""
    if m < 0 or m > n:
        return False
    if m == n:
        return not proof and root_m == root_n
    if m == 0:
        return not proof and root_m == EMPTY_ROOT
    if not proof:
        return False
    path = list(proof)
    if m & (m - 1) == 0:
        path.insert(0, root_m)
    fn, sn = m - 1, n - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == root_m and sr == root_n and sn == 0
