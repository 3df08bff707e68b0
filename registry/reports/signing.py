"""The report's signature (SPEC §19): a compact JWS, `EdDSA` with the audit key, whose
payload is the report without `signature`, serialised as R-AUDIT serialises a leaf
(`audit.merkle.canonical_json`: sorted keys, no spaces, UTF-8, no floats)."""

from __future__ import annotations

from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from audit.merkle import canonical_json


def signed(report: dict[str, Any], key: Ed25519PrivateKey, key_id: str) -> dict[str, Any]:
    """The report with its `signature` (Ed25519 is deterministic: the same report and
    key always give the same signature)."""
    unsigned = {k: v for k, v in report.items() if k != "signature"}
    token = jwt.api_jws.encode(
        canonical_json(unsigned),
        key,
        algorithm="EdDSA",
        headers={"kid": key_id, "typ": "registry-report+jws"},
    )
    return {**unsigned, "signature": token}
