"""`python -m audit verify-consent RECORD --public-key KEY`: checks a consent record offline.

RECORD is a file holding either the compact JWS itself or the JSON answer of
`GET /v1/consents/{receipt_id}` (its `record`). The check needs nothing of ours but the file
and the registry's Ed25519 public key (`GET /v1/audit/public-key`): the signature must be
EdDSA by that key, and the payload must name every field of the record (SPEC §17). Exit 0
and the payload on stdout when it holds; 1 naming what failed; 2 for an unusable file or key.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import jwt

from audit.verify import load_public_key

REQUIRED_FIELDS = (
    "schema_version",
    "record_id",
    "pii_principal_id",
    "purposes",
    "notice_version",
    "language",
    "controller",
    "collection_method",
    "timestamp",
    "validity",
    "state",
    "withdrawal_method",
)


class RecordInvalid(Exception):
    pass


def compact_jws_of(text: str) -> str:
    """The JWS in a file: the text itself, or the `record` of a JSON answer."""
    stripped = text.strip()
    if stripped.startswith("{"):
        try:
            answer = json.loads(stripped)
        except ValueError as error:
            raise RecordInvalid(f"the file is neither a JWS nor JSON: {error}") from None
        record = answer.get("record") if isinstance(answer, dict) else None
        if not isinstance(record, str):
            raise RecordInvalid("the JSON has no 'record' string")
        return record
    return stripped


def verify_record(token: str, public_key: Any) -> dict[str, Any]:
    """The payload of a record signed by `public_key`; `RecordInvalid` otherwise."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as error:
        raise RecordInvalid(f"not a compact JWS: {error}") from None
    if header.get("alg") != "EdDSA":
        raise RecordInvalid(f"the algorithm is {header.get('alg')!r}, not EdDSA")
    try:
        payload: dict[str, Any] = jwt.decode(
            token,
            public_key,
            algorithms=["EdDSA"],
            options={"verify_aud": False, "require": ["iat"]},
        )
    except jwt.InvalidSignatureError:
        raise RecordInvalid("the signature does not match this public key") from None
    except jwt.PyJWTError as error:
        raise RecordInvalid(f"the record does not verify: {error}") from None
    missing = [name for name in REQUIRED_FIELDS if name not in payload]
    if missing:
        raise RecordInvalid(f"the record lacks {', '.join(missing)}")
    return payload


def run(args: argparse.Namespace) -> int:
    try:
        public_key = load_public_key(Path(args.public_key))
    except (OSError, ValueError) as error:
        print(f"error: cannot use public key {args.public_key}: {error}", file=sys.stderr)
        return 2
    try:
        text = Path(args.record).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        print(f"error: cannot read {args.record}: {error}", file=sys.stderr)
        return 2
    try:
        payload = verify_record(compact_jws_of(text), public_key)
    except RecordInvalid as failure:
        print(f"FAILED: {failure}")
        return 1
    print(json.dumps(payload, ensure_ascii=False, indent=2))
    print(f"OK: consent record {payload['record_id']} is signed by this key", file=sys.stderr)
    return 0
