"""Opt-out link tokens (SPEC R-OPTOUT): short, URL-safe, authenticated and encrypted.

A token names a tenant, a customer, a channel and the purposes to stop, and nobody who sees
the link (a mail provider, a link scanner, a shoulder surfer) learns any of them from it.

Layout, base64url without padding::

    version (1 byte, 0x01) | nonce (12 bytes) | AES-256-SIV(payload) incl. 16-byte tag

AES-SIV (RFC 5297) rather than AES-GCM because it is misuse-resistant: a repeated random
nonce only reveals that two tokens carry the same claims, whereas a repeated GCM nonce leaks
the authentication key, and a registry may mint billions of links under one key. The
AES-SIV key (512 bits: MAC half and CTR half) is derived from the link key with HKDF-SHA256
so the link key material is never used directly. The version byte and the nonce are
authenticated as associated data.

Payload (version 1)::

    expires_at (uint32, Unix seconds) | channel code (1) | language code (1)
    | purpose bitmask (1) | tenant length (LEB128) | tenant (UTF-8) | customer id (UTF-8)

The code books below belong to version 1: entries may be appended, never reordered.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final, Literal

from registry.sealed_links import ForgedToken, read_uleb128, seal, uleb128, unseal

VERSION: Final = 1
_HEADER: Final = struct.Struct(">IBBB")
_HKDF_INFO: Final = b"consent-registry/optout-link/v1/aes-siv"

CHANNEL_CODES: Final = ("whatsapp", "sms", "viber", "telegram", "email")
PURPOSE_CODES: Final = (
    "service",
    "authentication",
    "recommendations",
    "alerts",
    "promotions",
    "reminders",
)
# "" means the language was not chosen when the link was made: the page follows the browser.
LANGUAGE_CODES: Final = ("", "ru", "en")

InvalidReason = Literal["forged", "expired"]


class InvalidLink(Exception):
    """The token cannot be trusted (`forged`: altered, truncated, another key) or is too old."""

    def __init__(self, reason: InvalidReason) -> None:
        super().__init__(reason)
        self.reason: InvalidReason = reason


@dataclass(frozen=True)
class LinkClaims:
    """What an opt-out link stands for.

    Purposes are kept in the vocabulary's order without duplicates, and `expires_at` in UTC
    truncated to whole seconds, so that what is issued is exactly what is opened.
    """

    tenant: str
    customer_id: str
    channel: str
    purposes: tuple[str, ...]
    lang: str  # "ru" | "en" | "" (not chosen: follow Accept-Language)
    expires_at: datetime

    def __post_init__(self) -> None:
        if not self.tenant or not self.customer_id:
            raise ValueError("tenant and customer_id must not be empty")
        if self.channel not in CHANNEL_CODES:
            raise ValueError(f"unknown channel {self.channel!r}")
        if self.lang not in LANGUAGE_CODES:
            raise ValueError(f"unknown language {self.lang!r}")
        unknown = [p for p in self.purposes if p not in PURPOSE_CODES]
        if unknown or not self.purposes:
            raise ValueError(f"purposes must be a non-empty subset of {PURPOSE_CODES}")
        if self.expires_at.tzinfo is None:
            raise ValueError("expires_at must be timezone-aware")
        ordered = tuple(p for p in PURPOSE_CODES if p in self.purposes)
        object.__setattr__(self, "purposes", ordered)
        utc = self.expires_at.astimezone(UTC).replace(microsecond=0)
        object.__setattr__(self, "expires_at", utc)


def issue_token(link_key: bytes, claims: LinkClaims) -> str:
    """Encrypt and authenticate `claims`; the result is safe to put in a URL path."""
    expires = int(claims.expires_at.timestamp())
    if not 0 <= expires <= 0xFFFFFFFF:
        raise ValueError("expires_at is outside the token's range (1970-2106)")
    tenant = claims.tenant.encode("utf-8")
    payload = b"".join(
        (
            _HEADER.pack(
                expires,
                CHANNEL_CODES.index(claims.channel),
                LANGUAGE_CODES.index(claims.lang),
                _purpose_mask(claims.purposes),
            ),
            uleb128(len(tenant)),
            tenant,
            claims.customer_id.encode("utf-8"),
        )
    )
    return seal(link_key, _HKDF_INFO, VERSION, payload)


def open_token(link_key: bytes, token: str, *, now: datetime) -> LinkClaims:
    """Return the claims of an authentic, unexpired token; raise `InvalidLink` otherwise."""
    try:
        payload = unseal(link_key, _HKDF_INFO, VERSION, token, min_payload=_HEADER.size)
    except ForgedToken:
        raise InvalidLink("forged") from None
    try:
        claims = _parse(payload)
    except (ValueError, IndexError, struct.error):
        # Authentic but unreadable: made by a newer code book. Treat it as unusable.
        raise InvalidLink("forged") from None
    if now >= claims.expires_at:
        raise InvalidLink("expired")
    return claims


def _parse(payload: bytes) -> LinkClaims:
    expires, channel, lang, mask = _HEADER.unpack_from(payload)
    tenant_length, offset = read_uleb128(payload, _HEADER.size)
    tenant_end = offset + tenant_length
    if tenant_end > len(payload):
        raise ValueError("truncated payload")
    if mask >> len(PURPOSE_CODES):
        raise ValueError("unknown purpose bit")
    return LinkClaims(
        tenant=payload[offset:tenant_end].decode("utf-8"),
        customer_id=payload[tenant_end:].decode("utf-8"),
        channel=CHANNEL_CODES[channel],
        purposes=tuple(p for bit, p in enumerate(PURPOSE_CODES) if mask & (1 << bit)),
        lang=LANGUAGE_CODES[lang],
        expires_at=datetime.fromtimestamp(expires, UTC),
    )


def _purpose_mask(purposes: tuple[str, ...]) -> int:
    mask = 0
    for purpose in purposes:
        mask |= 1 << PURPOSE_CODES.index(purpose)
    return mask
