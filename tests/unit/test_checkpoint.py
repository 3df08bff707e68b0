"""R-AUDIT: checkpoints are C2SP tlog-checkpoints in C2SP signed notes, Ed25519."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from audit.checkpoint import (
    checkpoint_document,
    key_id,
    sign_checkpoint,
    sign_note,
    verifier_key,
    verify_checkpoint_document,
)

ROOT = hashlib.sha256(b"root").digest()
ORIGIN = "registry.example.com/acme"

# golang.org/x/mod/sumdb/note: the package documentation's example key and signed note.
GO_SIGNER_KEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_VERIFIER_KEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_NOTE = (
    GO_TEXT + "\n— PeterNeumann "
    "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)


@pytest.fixture(scope="module")
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture
def document(key: Ed25519PrivateKey) -> dict[str, Any]:
    return checkpoint_document(sign_checkpoint(key, ORIGIN, 42, ROOT))


def go_key() -> Ed25519PrivateKey:
    seed = base64.b64decode(GO_SIGNER_KEY.split("+", 4)[4])
    assert seed[0] == 1
    return Ed25519PrivateKey.from_private_bytes(seed[1:])


def test_notes_match_the_go_reference_implementation_byte_for_byte() -> None:
    private = go_key()
    assert sign_note(private, "PeterNeumann", GO_TEXT) == GO_NOTE
    assert key_id("PeterNeumann", private.public_key()) == "c74f20a3"
    assert verifier_key("PeterNeumann", private.public_key()) == GO_VERIFIER_KEY


def test_key_id_is_the_signed_note_key_hash(key: Ed25519PrivateKey) -> None:
    raw = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    expected = hashlib.sha256(ORIGIN.encode() + b"\n\x01" + raw).digest()[:4].hex()
    assert key_id(ORIGIN, key.public_key()) == expected


def test_document_carries_body_fields_note_and_signature(
    key: Ed25519PrivateKey, document: dict[str, Any]
) -> None:
    body = f"{ORIGIN}\n42\n{base64.b64encode(ROOT).decode()}\n"
    assert set(document) == {"origin", "tree_size", "root_hash", "note", "signature", "key_id"}
    assert document["root_hash"] == ROOT.hex()
    assert document["tree_size"] == 42
    signature = base64.b64decode(document["signature"])
    assert len(signature) == 64
    key.public_key().verify(signature, body.encode())
    stamp = base64.b64encode(bytes.fromhex(document["key_id"]) + signature).decode()
    assert document["note"] == f"{body}\n— {ORIGIN} {stamp}\n"


def test_a_genuine_document_verifies(key: Ed25519PrivateKey, document: dict[str, Any]) -> None:
    assert verify_checkpoint_document(document, key.public_key())


def test_the_empty_tree_has_a_checkpoint(key: Ed25519PrivateKey) -> None:
    empty = hashlib.sha256(b"").digest()
    doc = checkpoint_document(sign_checkpoint(key, ORIGIN, 0, empty))
    assert doc["note"].startswith(f"{ORIGIN}\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n\n")
    assert verify_checkpoint_document(doc, key.public_key())


def test_another_key_does_not_verify(document: dict[str, Any]) -> None:
    assert not verify_checkpoint_document(document, Ed25519PrivateKey.generate().public_key())


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("origin", "registry.example.com/globex"),
        ("tree_size", 43),
        ("tree_size", True),
        ("tree_size", "42"),
        ("root_hash", hashlib.sha256(b"other").hexdigest()),
        ("root_hash", "zz"),
        ("signature", base64.b64encode(bytes(64)).decode()),
        ("signature", "not base64!"),
        ("key_id", "00000000"),
        ("note", "registry.example.com/acme\n42\n"),
        ("note", None),
    ],
)
def test_any_altered_field_fails(
    key: Ed25519PrivateKey, document: dict[str, Any], field: str, value: Any
) -> None:
    assert not verify_checkpoint_document({**document, field: value}, key.public_key())


def test_a_missing_field_fails(key: Ed25519PrivateKey, document: dict[str, Any]) -> None:
    for field in document:
        partial = {k: v for k, v in document.items() if k != field}
        assert not verify_checkpoint_document(partial, key.public_key())


def test_a_note_signed_by_another_key_fails(
    key: Ed25519PrivateKey, document: dict[str, Any]
) -> None:
    other = checkpoint_document(sign_checkpoint(Ed25519PrivateKey.generate(), ORIGIN, 42, ROOT))
    assert not verify_checkpoint_document({**document, "note": other["note"]}, key.public_key())


def test_one_key_name_can_sign_every_tenant(key: Ed25519PrivateKey) -> None:
    cp = sign_checkpoint(key, ORIGIN, 1, ROOT, key_name="registry.example.com")
    assert cp.key_id == key_id("registry.example.com", key.public_key())
    assert cp.note.splitlines()[-1].startswith("— registry.example.com ")
    assert verify_checkpoint_document(checkpoint_document(cp), key.public_key())


@pytest.mark.parametrize("origin", ["", "two\nlines"])
def test_an_origin_must_be_one_line(key: Ed25519PrivateKey, origin: str) -> None:
    with pytest.raises(ValueError):
        sign_checkpoint(key, origin, 1, ROOT)


@pytest.mark.parametrize("name", ["has space", "plus+sign"])
def test_a_key_name_must_be_a_signed_note_name(key: Ed25519PrivateKey, name: str) -> None:
    with pytest.raises(ValueError):
        sign_checkpoint(key, ORIGIN, 1, ROOT, key_name=name)
