"""`python -m audit verify-report REPORT.json --public-key KEY`: offline check of a
monthly report (R-REPORT) with nothing of ours but the file and the key.

Checks, stopping at the first failure: the file is a JSON object with a `signature`; the
signature is a compact JWS whose header says `EdDSA`; it verifies with the key; its
payload is exactly the report without `signature` as R-AUDIT serialises it; and the
report's `checkpoint` (which names the log it was computed from) is signed by the key.
"""

from __future__ import annotations

import argparse
import binascii
import json
import sys
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from audit.checkpoint import verify_checkpoint_document
from audit.merkle import canonical_json


class ReportFailure(Exception):
    """What does not hold, in words."""


def verify_report(report: Any, public_key: Ed25519PublicKey) -> dict[str, Any]:
    """The report's checkpoint when everything holds; raises `ReportFailure` otherwise."""
    if not isinstance(report, dict):
        raise ReportFailure("the report is not a JSON object")
    token = report.get("signature")
    if not isinstance(token, str) or token.count(".") != 2:
        raise ReportFailure("signature: missing, or not a compact JWS (three dot-separated parts)")
    try:
        header = jwt.get_unverified_header(token)
    except jwt.InvalidTokenError as error:
        raise ReportFailure(f"signature: the JWS header cannot be read ({error})") from None
    if header.get("alg") != "EdDSA":
        raise ReportFailure(f"signature: alg is {header.get('alg')!r}, expected 'EdDSA'")
    try:
        payload = jwt.api_jws.decode(token, public_key, algorithms=["EdDSA"])
    except jwt.InvalidSignatureError:
        raise ReportFailure("signature: does not verify with this public key") from None
    except jwt.InvalidTokenError as error:
        raise ReportFailure(f"signature: not a valid JWS ({error})") from None
    unsigned = {k: v for k, v in report.items() if k != "signature"}
    try:
        expected = canonical_json(unsigned)
    except ValueError as error:
        raise ReportFailure(
            f"the report cannot be serialised as R-AUDIT requires: {error}"
        ) from None
    if payload != expected:
        raise ReportFailure(
            f"the report differs from what was signed: {_difference(payload, unsigned)}"
        )
    checkpoint = report.get("checkpoint")
    if not isinstance(checkpoint, dict) or not verify_checkpoint_document(checkpoint, public_key):
        raise ReportFailure("checkpoint: its signature does not verify with this public key")
    return checkpoint


def _difference(payload: bytes, report: dict[str, Any]) -> str:
    """The first field (as a path) where the report and the signed payload differ."""
    try:
        signed = json.loads(payload)
    except ValueError:
        return "the signed payload is not JSON"
    path = _first_difference(signed, report, "")
    return f"field {path or '(the whole report)'} was changed after signing"


def _first_difference(signed: Any, given: Any, path: str) -> str | None:
    if isinstance(signed, dict) and isinstance(given, dict):
        for key in sorted(set(signed) | set(given)):
            if key not in signed or key not in given:
                return f"{path}.{key}" if path else key
            found = _first_difference(signed[key], given[key], f"{path}.{key}" if path else key)
            if found is not None:
                return found
        return None
    if isinstance(signed, list) and isinstance(given, list):
        if len(signed) != len(given):
            return path
        for number, (a, b) in enumerate(zip(signed, given, strict=True)):
            found = _first_difference(a, b, f"{path}[{number}]")
            if found is not None:
                return found
        return None
    same = type(signed) is type(given) and signed == given
    return None if same else path


def run(args: argparse.Namespace) -> int:
    try:
        key = load_pem_public_key(Path(args.public_key).read_bytes())
    except (OSError, ValueError) as error:
        print(f"{args.public_key}: cannot read the public key ({error})", file=sys.stderr)
        return 2
    if not isinstance(key, Ed25519PublicKey):
        print(f"{args.public_key}: not an Ed25519 public key", file=sys.stderr)
        return 2
    try:
        report = json.loads(Path(args.report).read_bytes())
    except OSError as error:
        print(f"{args.report}: cannot read it ({error})", file=sys.stderr)
        return 2
    except (ValueError, binascii.Error) as error:
        print(f"{args.report}: not JSON ({error})", file=sys.stderr)
        return 1
    try:
        checkpoint = verify_report(report, key)
    except ReportFailure as failure:
        print(f"{args.report}: FAILED: {failure}", file=sys.stderr)
        return 1
    print(
        f"{args.report}: OK: signed report of {report.get('tenant')} for {report.get('month')}, "
        f"computed from {checkpoint['origin']} at tree size {checkpoint['tree_size']} "
        f"(root {checkpoint['root_hash']})"
    )
    return 0
