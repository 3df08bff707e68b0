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

import struct
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from registry.sealed_links import ForgedToken, read_uleb128, seal, uleb128, unseal

LANGUAGE_CODES: Final = ("", "ru", "en")  # as the opt-out links' code book


class InvalidConfirmLink(Exception):
    """The token cannot be trusted (forged, altered, truncated, another key) or expired."""


VERSION: Final = 2
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
            uleb128(len(tenant)),
            tenant,
            uleb128(len(customer)),
            customer,
            claims.receipt_id.encode("utf-8"),
        )
    )
    return seal(link_key, _HKDF_INFO, VERSION, payload)


def open_confirm_token(link_key: bytes, token: str, *, now: datetime) -> ConfirmClaims:
    """The claims of an authentic, unexpired token; `InvalidConfirmLink` otherwise."""
    try:
        payload = unseal(link_key, _HKDF_INFO, VERSION, token, min_payload=_HEADER.size)
        claims = _parse(payload)
    except (ForgedToken, ValueError, IndexError, struct.error):
        raise InvalidConfirmLink("forged") from None
    if now >= claims.expires_at:
        raise InvalidConfirmLink("expired")
    return claims


def _parse(payload: bytes) -> ConfirmClaims:
    expires, lang = _HEADER.unpack_from(payload)
    tenant_length, offset = read_uleb128(payload, _HEADER.size)
    tenant_end = offset + tenant_length
    customer_length, customer_start = read_uleb128(payload, tenant_end)
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
