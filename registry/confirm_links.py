"""Confirmation link tokens (SPEC §17, R-CONFIRM), made as opt-out link tokens are
(registry/web/optout_token.py, whose strict base64url and LEB128 helpers are repeated here
so that the use cases need nothing of the web layer): AES-256-SIV under a key derived from `REGISTRY_LINK_KEY` with
HKDF, a random nonce, base64url. The key is derived with its own label and the version byte
differs, so an opt-out token never opens as a confirmation token, nor the reverse.

Payload (version 2)::

    expires_at (uint32, Unix seconds) | language code (1)
    | tenant length (LEB128) | tenant | customer id length (LEB128) | customer id | receipt id
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import struct
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESSIV
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

LANGUAGE_CODES: Final = ("", "ru", "en")  # as the opt-out links' code book
_MAX_TOKEN_CHARS: Final = 2048
_TOKEN_ALPHABET: Final = re.compile(r"[A-Za-z0-9_-]+")


class InvalidConfirmLink(Exception):
    """The token cannot be trusted (forged, altered, truncated, another key) or expired."""


VERSION: Final = 2
_NONCE_BYTES: Final = 12
_TAG_BYTES: Final = 16
_HEADER: Final = struct.Struct(">IB")
_HKDF_INFO: Final = b"consent-registry/confirm-link/v2/aes-siv"


@dataclass(frozen=True)
class ConfirmClaims:
    tenant: str
    customer_id: str
    receipt_id: str
    lang: str  # "ru" | "en" | "" (follow the browser)
    expires_at: datetime

    def __post_init__(self) -> None:
        if not self.tenant or not self.customer_id or not self.receipt_id:
            raise ValueError("tenant, customer_id and receipt_id must not be empty")
        if self.lang not in LANGUAGE_CODES:
            raise ValueError(f"unknown language {self.lang!r}")
        if self.expires_at.tzinfo is None:
            raise ValueError("expires_at must be timezone-aware")
        utc = self.expires_at.astimezone(UTC).replace(microsecond=0)
        object.__setattr__(self, "expires_at", utc)


def issue_confirm_token(link_key: bytes, claims: ConfirmClaims) -> str:
    expires = int(claims.expires_at.timestamp())
    if not 0 <= expires <= 0xFFFFFFFF:
        raise ValueError("expires_at is outside the token's range (1970-2106)")
    tenant = claims.tenant.encode("utf-8")
    customer = claims.customer_id.encode("utf-8")
    payload = b"".join(
        (
            _HEADER.pack(expires, LANGUAGE_CODES.index(claims.lang)),
            _uleb128(len(tenant)),
            tenant,
            _uleb128(len(customer)),
            customer,
            claims.receipt_id.encode("utf-8"),
        )
    )
    prefix, nonce = bytes([VERSION]), os.urandom(_NONCE_BYTES)
    sealed = _cipher(link_key).encrypt(payload, [prefix, nonce])
    return base64.urlsafe_b64encode(prefix + nonce + sealed).rstrip(b"=").decode("ascii")


def open_confirm_token(link_key: bytes, token: str, *, now: datetime) -> ConfirmClaims:
    """The claims of an authentic, unexpired token; `InvalidConfirmLink` otherwise."""
    raw = _decode(token)
    if len(raw) < 1 + _NONCE_BYTES + _TAG_BYTES + _HEADER.size or raw[0] != VERSION:
        raise InvalidConfirmLink("forged")
    prefix, nonce, sealed = raw[:1], raw[1 : 1 + _NONCE_BYTES], raw[1 + _NONCE_BYTES :]
    try:
        payload = _cipher(link_key).decrypt(sealed, [prefix, nonce])
        claims = _parse(payload)
    except (InvalidTag, ValueError, IndexError, struct.error):
        raise InvalidConfirmLink("forged") from None
    if now >= claims.expires_at:
        raise InvalidConfirmLink("expired")
    return claims


def _cipher(link_key: bytes) -> AESSIV:
    if len(link_key) < 32:
        raise ValueError("link_key must hold at least 32 bytes of secret material")
    hkdf = HKDF(algorithm=hashes.SHA256(), length=64, salt=None, info=_HKDF_INFO)
    return AESSIV(hkdf.derive(link_key))


def _parse(payload: bytes) -> ConfirmClaims:
    expires, lang = _HEADER.unpack_from(payload)
    tenant_length, offset = _read_uleb128(payload, _HEADER.size)
    tenant_end = offset + tenant_length
    customer_length, customer_start = _read_uleb128(payload, tenant_end)
    customer_end = customer_start + customer_length
    if customer_end >= len(payload):
        raise ValueError("truncated payload")
    return ConfirmClaims(
        tenant=payload[offset:tenant_end].decode("utf-8"),
        customer_id=payload[customer_start:customer_end].decode("utf-8"),
        receipt_id=payload[customer_end:].decode("utf-8"),
        lang=LANGUAGE_CODES[lang],
        expires_at=datetime.fromtimestamp(expires, UTC),
    )


def _decode(token: str) -> bytes:
    """Strict base64url: one spelling per token, so no altered character is ever accepted."""
    if len(token) > _MAX_TOKEN_CHARS or not _TOKEN_ALPHABET.fullmatch(token):
        raise InvalidConfirmLink("forged")
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        raise InvalidConfirmLink("forged") from None
    if base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii") != token:
        raise InvalidConfirmLink("forged")
    return raw


def _uleb128(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _read_uleb128(data: bytes, offset: int) -> tuple[int, int]:
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
