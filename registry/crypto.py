"""Encryption of personal data under per-customer data keys (crypto-shredding).

Each customer's data key is random, stored only wrapped under the master key, and
deleted on erasure; ciphertexts in events, views and exports then stay as they are
but can no longer be opened by anyone. Sealed values are strings `enc:v1:<base64>`
so they fit in JSON events without floats or bytes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from collections.abc import Mapping

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

PREFIX = "enc:v1:"


class Unreadable(Exception):
    """The key is gone (erased) or the ciphertext does not open."""


def seal(key: bytes, plaintext: str, *, context: str) -> str:
    nonce = os.urandom(12)
    ciphertext = AESGCM(key).encrypt(nonce, plaintext.encode("utf-8"), context.encode())
    return PREFIX + base64.urlsafe_b64encode(nonce + ciphertext).decode().rstrip("=")


def open_sealed(key: bytes, sealed: str, *, context: str) -> str:
    return SealedValues(key, context=context).open(sealed)


class SealedValues:
    """Opens many values sealed under one key and context (an export page, a history)
    with one cipher object."""

    def __init__(self, key: bytes, *, context: str) -> None:
        self._aead = AESGCM(key)
        self._context = context.encode()

    def open(self, sealed: str) -> str:
        if not sealed.startswith(PREFIX):
            raise Unreadable("not a sealed value")
        raw = sealed[len(PREFIX) :]
        try:
            blob = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
            return self._aead.decrypt(blob[:12], blob[12:], self._context).decode("utf-8")
        except (InvalidTag, ValueError) as error:
            raise Unreadable("the value cannot be opened") from error


def is_sealed(value: object) -> bool:
    return isinstance(value, str) and value.startswith(PREFIX)


def wrap_key(master: bytes, data_key: bytes, *, owner: str) -> bytes:
    return wrap_keys(master, {owner: data_key})[owner]


def unwrap_key(master: bytes, wrapped: bytes, *, owner: str) -> bytes:
    return unwrap_keys(master, {owner: wrapped})[owner]


def wrap_keys(master: bytes, data_keys: Mapping[str, bytes]) -> dict[str, bytes]:
    """Wraps each owner's data key under the master key (one cipher for the batch)."""
    aead = AESGCM(master)
    wrapped = {}
    for owner, data_key in data_keys.items():
        nonce = os.urandom(12)
        wrapped[owner] = nonce + aead.encrypt(nonce, data_key, owner.encode())
    return wrapped


def unwrap_keys(master: bytes, wrapped: Mapping[str, bytes]) -> dict[str, bytes]:
    aead = AESGCM(master)
    try:
        return {
            owner: aead.decrypt(blob[:12], blob[12:], owner.encode())
            for owner, blob in wrapped.items()
        }
    except InvalidTag as error:
        raise Unreadable("the data key does not unwrap under this master key") from error


def new_data_key() -> bytes:
    return AESGCM.generate_key(bit_length=256)


def blind_index(key: bytes, *parts: str) -> str:
    """A keyed hash to find a customer by phone or platform id without storing either."""
    return hmac.new(key, "\x1f".join(parts).encode(), hashlib.sha256).hexdigest()


def keyed_digest(key: bytes, data: bytes) -> str:
    return hmac.new(key, data, hashlib.sha256).hexdigest()
