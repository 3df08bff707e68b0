"""The envelope that opt-out and confirmation link tokens share: a version byte, a random
nonce and an AES-SIV seal of a compact payload, in strict base64url (one spelling per token,
so no altered character is ever accepted). Each kind of link has its own HKDF `info`, so a
token of one kind never opens as another."""

from __future__ import annotations

import base64
import binascii
import os
import re
from typing import Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESSIV
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

NONCE_BYTES: Final = 12
TAG_BYTES: Final = 16
_MAX_TOKEN_CHARS: Final = 2048
_TOKEN_ALPHABET: Final = re.compile(r"[A-Za-z0-9_-]+")


class ForgedToken(Exception):
    """Not a token this key sealed with this `info` and version."""


def seal(link_key: bytes, info: bytes, version: int, payload: bytes) -> str:
    prefix, nonce = bytes([version]), os.urandom(NONCE_BYTES)
    sealed = _cipher(link_key, info).encrypt(payload, [prefix, nonce])
    return base64.urlsafe_b64encode(prefix + nonce + sealed).rstrip(b"=").decode("ascii")


def unseal(link_key: bytes, info: bytes, version: int, token: str, *, min_payload: int) -> bytes:
    """The payload of an authentic token (at least `min_payload` bytes); `ForgedToken` else."""
    raw = _decode(token)
    if len(raw) < 1 + NONCE_BYTES + TAG_BYTES + min_payload or raw[0] != version:
        raise ForgedToken
    prefix, nonce, sealed = raw[:1], raw[1 : 1 + NONCE_BYTES], raw[1 + NONCE_BYTES :]
    try:
        return _cipher(link_key, info).decrypt(sealed, [prefix, nonce])
    except InvalidTag:
        raise ForgedToken from None


def uleb128(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def read_uleb128(data: bytes, offset: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[offset]
        offset += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, offset
        if shift > 28:
            raise ValueError("length too large")


def _cipher(link_key: bytes, info: bytes) -> AESSIV:
    if len(link_key) < 32:
        raise ValueError("link_key must hold at least 32 bytes of secret material")
    hkdf = HKDF(algorithm=hashes.SHA256(), length=64, salt=None, info=info)
    return AESSIV(hkdf.derive(link_key))


def _decode(token: str) -> bytes:
    if len(token) > _MAX_TOKEN_CHARS or not _TOKEN_ALPHABET.fullmatch(token):
        raise ForgedToken
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        raise ForgedToken from None
    if base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii") != token:
        raise ForgedToken
    return raw
