"""Offline verification of a JSON-lines audit export: `python -m audit verify EXPORT`.

Needs only the file and the registry's public key. Checks, line by line, stopping at the
first failure: the checkpoint's signature; each event's leaf hash and inclusion proof
against the checkpoint root; leaf indexes strictly increasing; the end line's count; and
that nothing follows the end line. `position` and `readable` are carried along for the
reader but are not covered by the hashes (the leaf is `event`).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from audit.checkpoint import verify_checkpoint_document
from audit.merkle import HASH_SIZE, canonical_json, leaf_hash, verify_inclusion


class LineFailure(Exception):
    def __init__(self, line: int, reason: str) -> None:
        super().__init__(f"line {line}: {reason}")
        self.line = line
        self.reason = reason


@dataclass(frozen=True)
class Verified:
    origin: str
    tree_size: int
    root_hash: str
    events: int


def verify_lines(lines: Iterable[bytes], public_key: Ed25519PublicKey) -> Verified:
    """Raises `LineFailure` naming the first line (1-based) that does not hold."""
    numbered = enumerate(lines, start=1)
    number, first = next(numbered, (1, None))
    if first is None:
        raise LineFailure(number, "the file is empty; expected the checkpoint line")
    checkpoint = _object(number, first)
    if checkpoint.get("kind") != "checkpoint":
        raise LineFailure(number, "expected the checkpoint line first")
    if not verify_checkpoint_document(checkpoint, public_key):
        raise LineFailure(number, "checkpoint signature does not verify with this key")
    size: int = checkpoint["tree_size"]
    root = bytes.fromhex(checkpoint["root_hash"])
    previous = -1
    for count, (number, raw) in enumerate(numbered):
        line = _object(number, raw)
        kind = line.get("kind")
        if kind == "end":
            if line.get("count") != count or not _is_int(line.get("count")):
                raise LineFailure(number, f"end count {line.get('count')!r} but {count} events")
            after = next(numbered, None)
            if after is not None:
                raise LineFailure(after[0], "content after the end line")
            return Verified(checkpoint["origin"], size, checkpoint["root_hash"], count)
        if kind != "event":
            raise LineFailure(number, f"unexpected line kind {kind!r}")
        previous = _check_event(number, line, previous, size, root)
    raise LineFailure(number + 1, "the file ends without an end line")


def _check_event(number: int, line: dict[str, Any], previous: int, size: int, root: bytes) -> int:
    if not _is_int(line.get("leaf_index")) or not _is_int(line.get("position")):
        raise LineFailure(number, "leaf_index and position must be integers")
    index: int = line["leaf_index"]
    event, proof = line.get("event"), line.get("proof")
    if index <= previous:
        raise LineFailure(number, f"leaf_index {index} does not follow {previous}")
    if index >= size:
        raise LineFailure(number, f"leaf_index {index} is outside the tree of size {size}")
    if not isinstance(event, dict):
        raise LineFailure(number, "event must be a JSON object")
    if "readable" in line and not isinstance(line["readable"], dict):
        raise LineFailure(number, "readable must be a JSON object")
    try:
        digest = leaf_hash(canonical_json(event))
    except ValueError as error:
        raise LineFailure(number, f"event cannot be a leaf: {error}") from None
    nodes = _proof(number, proof)
    if not verify_inclusion(digest, index, size, nodes, root):
        raise LineFailure(number, f"inclusion proof for leaf {index} does not match the root")
    return index


def _proof(number: int, proof: Any) -> list[bytes]:
    if not isinstance(proof, list) or not all(isinstance(node, str) for node in proof):
        raise LineFailure(number, "proof must be a list of hex strings")
    try:
        nodes = [bytes.fromhex(node) for node in proof]
    except ValueError:
        raise LineFailure(number, "proof must be a list of hex strings") from None
    if any(len(node) != HASH_SIZE for node in nodes):
        raise LineFailure(number, "proof hashes must be 32 bytes")
    return nodes


def _object(number: int, raw: bytes) -> dict[str, Any]:
    try:
        value = json.loads(raw.decode("utf-8"), object_pairs_hook=_no_duplicates)
    except UnicodeDecodeError:
        raise LineFailure(number, "not valid UTF-8") from None
    except (ValueError, RecursionError) as error:
        raise LineFailure(number, f"not valid JSON ({error})") from None
    if not isinstance(value, dict):
        raise LineFailure(number, "not a JSON object")
    return value


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise ValueError("duplicate key")
    return result


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _read_lines(stream: BinaryIO, progress: Any) -> Iterator[bytes]:
    for raw in stream:
        if progress is not None:
            progress.update(len(raw))
        yield raw


def load_public_key(path: Path) -> Ed25519PublicKey:
    key = load_pem_public_key(path.read_bytes())
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("not an Ed25519 public key")
    return key


def run(args: argparse.Namespace) -> int:
    """The `verify` subcommand: 0 when everything holds, 1 naming the first failing line."""
    try:
        public_key = load_public_key(Path(args.public_key))
    except (OSError, ValueError) as error:
        print(f"error: cannot use public key {args.public_key}: {error}", file=sys.stderr)
        return 2
    path = Path(args.export)
    try:
        stream = path.open("rb")
    except OSError as error:
        print(f"error: cannot read {path}: {error.strerror}", file=sys.stderr)
        return 2
    from registry.progress import progress

    with stream, progress("audit verify", total=os.stat(path).st_size, unit="bytes") as shown:
        try:
            result = verify_lines(_read_lines(stream, shown), public_key)
        except LineFailure as failure:
            print(failure)
            return 1
    print(
        f"OK: {result.events} events verified against the checkpoint of {result.origin} "
        f"(tree size {result.tree_size}, root {result.root_hash})"
    )
    return 0
