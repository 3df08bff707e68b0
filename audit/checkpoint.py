"""Signed tree heads: C2SP tlog-checkpoint bodies in C2SP signed notes, Ed25519.

A checkpoint body is `"<origin>\\n<tree_size>\\n<base64 root hash>\\n"`. The note is the body,
a blank line, and one signature line `"— <key name> <base64(key hash || signature)>\\n"`,
where the key hash is the first four bytes of SHA-256(key name || "\\n" || 0x01 || raw
public key) and 0x01 names Ed25519. The key name defaults to the origin, as in the C2SP
examples; one deployment key may sign many origins under a single name via `key_name`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from audit.merkle import HASH_SIZE

ED25519_ALGORITHM = b"\x01"
SIGNATURE_SIZE = 64
_DASH = "\u2014"


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    tree_size: int
    root_hash: bytes
    note: str  # the whole signed note: body, blank line, signature line
    signature: bytes  # raw Ed25519 signature over the body
    key_id: str  # hex of the signed-note key hash


def checkpoint_body(origin: str, tree_size: int, root_hash: bytes) -> str:
    if not origin or "\n" in origin:
        raise ValueError("a checkpoint origin must be one non-empty line")
    if tree_size < 0 or len(root_hash) != HASH_SIZE:
        raise ValueError("a checkpoint needs a tree size >= 0 and a 32-byte root hash")
    return f"{origin}\n{tree_size}\n{base64.b64encode(root_hash).decode('ascii')}\n"


def key_hash(name: str, public_key: Ed25519PublicKey) -> bytes:
    """The signed-note key hash: SHA-256(name || "\\n" || 0x01 || public key)[:4]."""
    material = name.encode("utf-8") + b"\n" + ED25519_ALGORITHM + _raw(public_key)
    return hashlib.sha256(material).digest()[:4]


def key_id(name: str, public_key: Ed25519PublicKey) -> str:
    return key_hash(name, public_key).hex()


def verifier_key(name: str, public_key: Ed25519PublicKey) -> str:
    """The signed-note verifier key string `<name>+<hex key hash>+<base64(0x01 || key)>`."""
    encoded = base64.b64encode(ED25519_ALGORITHM + _raw(public_key)).decode("ascii")
    return f"{name}+{key_id(name, public_key)}+{encoded}"


def sign_checkpoint(
    private_key: Ed25519PrivateKey,
    origin: str,
    size: int,
    root: bytes,
    *,
    key_name: str | None = None,
) -> Checkpoint:
    name = origin if key_name is None else key_name
    body = checkpoint_body(origin, size, root)
    return Checkpoint(
        origin=origin,
        tree_size=size,
        root_hash=root,
        note=sign_note(private_key, name, body),
        signature=private_key.sign(body.encode("utf-8")),
        key_id=key_id(name, private_key.public_key()),
    )


def sign_note(private_key: Ed25519PrivateKey, name: str, text: str) -> str:
    """A C2SP signed note of `text` (which ends with a newline) with one Ed25519 signature."""
    _check_key_name(name)
    if not text.endswith("\n"):
        raise ValueError("the text of a signed note must end with a newline")
    signature = private_key.sign(text.encode("utf-8"))
    stamp = base64.b64encode(key_hash(name, private_key.public_key()) + signature)
    return f"{text}\n{_DASH} {name} {stamp.decode('ascii')}\n"


def checkpoint_document(cp: Checkpoint) -> dict[str, Any]:
    return {
        "origin": cp.origin,
        "tree_size": cp.tree_size,
        "root_hash": cp.root_hash.hex(),
        "note": cp.note,
        "signature": base64.b64encode(cp.signature).decode("ascii"),
        "key_id": cp.key_id,
    }


def verify_checkpoint_document(doc: Mapping[str, Any], public_key: Ed25519PublicKey) -> bool:
    """True when the body rebuilt from the fields carries a valid signature, both as the
    `signature` field and as a line of the note whose key hash is `key_id`. Never raises."""
    try:
        origin, size, root = doc["origin"], doc["tree_size"], doc["root_hash"]
        if not (isinstance(origin, str) and _is_int(size) and isinstance(root, str)):
            return False
        body = checkpoint_body(origin, size, bytes.fromhex(root))
        signature = base64.b64decode(doc["signature"], validate=True)
        if len(signature) != SIGNATURE_SIZE or not _valid(public_key, signature, body):
            return False
        return _note_is_signed(doc["note"], body, doc["key_id"], public_key)
    except (KeyError, TypeError, ValueError, binascii.Error):
        return False


def _note_is_signed(note: Any, body: str, wanted_id: Any, public_key: Ed25519PublicKey) -> bool:
    if not isinstance(note, str) or not isinstance(wanted_id, str):
        return False
    if not note.startswith(body + "\n") or not note.endswith("\n"):
        return False
    for line in note[len(body) + 1 : -1].split("\n"):
        dash, _, rest = line.partition(" ")
        name, _, stamp = rest.partition(" ")
        if dash != _DASH or not name or " " in stamp:
            return False
        decoded = base64.b64decode(stamp, validate=True)
        expected = key_hash(name, public_key)
        if (
            decoded[:4] == expected
            and expected.hex() == wanted_id
            and len(decoded) == 4 + SIGNATURE_SIZE
            and _valid(public_key, decoded[4:], body)
        ):
            return True
    return False


def _check_key_name(name: str) -> None:
    if not name or "+" in name or any(ch.isspace() for ch in name):
        raise ValueError(f"signed-note key name {name!r} must be non-empty, no spaces or '+'")


def _valid(public_key: Ed25519PublicKey, signature: bytes, body: str) -> bool:
    try:
        public_key.verify(signature, body.encode("utf-8"))
    except InvalidSignature:
        return False
    return True


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _raw(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
