"""`python -m audit verify-receipt RECEIPT --public-key KEY.pem`: check an authorization
receipt offline, with nothing but the receipt and the registry's public key.

RECEIPT is a file holding the compact JWS (`receipt` of `POST /v1/authorizations`), or `-`
for standard input. It holds when: the algorithm is EdDSA and the signature verifies with
the key; the claims name the issuer (`iss`, the tenant's checkpoint origin), the tenant,
the authorization (`jti`), the customer and the template; and the header's `kid` is the
key's id under that origin, the same `key_id` as in the tenant's checkpoints. Exits 0 and
prints what the receipt says, 1 naming what fails, 2 when a file cannot be read."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from audit.checkpoint import key_id
from audit.verify import load_public_key

REQUIRED = ("iss", "iat", "jti", "tenant", "customer_id", "template")


class ReceiptFailure(Exception):
    pass


def verify_receipt(token: str, public_key: Ed25519PublicKey) -> dict[str, Any]:
    """The receipt's claims when it holds; ReceiptFailure naming what fails otherwise."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as error:
        raise ReceiptFailure(f"not a compact JWS: {error}") from None
    if header.get("alg") != "EdDSA":
        raise ReceiptFailure(f"the algorithm is {header.get('alg')!r}, not EdDSA")
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            public_key,
            algorithms=["EdDSA"],
            options={"require": list(REQUIRED[:3]), "verify_aud": False},
        )
    except jwt.InvalidSignatureError:
        raise ReceiptFailure("the signature does not verify with this public key") from None
    except jwt.PyJWTError as error:
        raise ReceiptFailure(f"the receipt is not valid: {error}") from None
    missing = [name for name in REQUIRED if name not in claims]
    if missing:
        raise ReceiptFailure(f"the receipt lacks {', '.join(missing)}")
    issuer = claims["iss"]
    if not isinstance(issuer, str) or not issuer.endswith("/" + str(claims["tenant"])):
        raise ReceiptFailure("the issuer is not the tenant's checkpoint origin")
    expected = key_id(issuer, public_key)
    if header.get("kid") != expected:
        raise ReceiptFailure(f"kid {header.get('kid')!r} is not this key's id {expected!r}")
    return claims


def run(args: argparse.Namespace) -> int:
    try:
        public_key = load_public_key(Path(args.public_key))
    except (OSError, ValueError) as error:
        print(f"error: cannot use public key {args.public_key}: {error}", file=sys.stderr)
        return 2
    try:
        text = sys.stdin.read() if args.receipt == "-" else Path(args.receipt).read_text()
    except (OSError, UnicodeDecodeError) as error:
        print(f"error: cannot read {args.receipt}: {error}", file=sys.stderr)
        return 2
    try:
        claims = verify_receipt(text.strip(), public_key)
    except ReceiptFailure as failure:
        print(f"FAILED: {failure}")
        return 1
    template = claims["template"]
    name = f"{template.get('name')}/{template.get('language')} v{template.get('version')}"
    print(
        f"OK: authorization {claims['jti']} of {claims['tenant']} for customer "
        f"{claims['customer_id']}, template {name}, at {claims.get('authorized_at')}, "
        f"signed by key {key_id(claims['iss'], public_key)}"
    )
    return 0
