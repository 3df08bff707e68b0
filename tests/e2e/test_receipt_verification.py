"""Authorization receipts: one key has one id, and a receipt verifies offline
(`python -m audit verify-receipt`), on SQLite and PostgreSQL (issue #20 item 8)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import jwt
import pytest

from tests.conftest import promotions_grant

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def receipt(api: Any, approved_template: dict[str, str], any_time_policy: None) -> str:
    assert api.post("/v1/consents", json=promotions_grant("anna")).status_code == 201
    answer = api.post(
        "/v1/authorizations", json={"customer_id": "anna", "template": approved_template}
    )
    assert answer.status_code == 201, answer.get_json()
    return str(answer.get_json()["receipt"])


def _verify(tmp_path: Path, receipt: str, key_pem: bytes) -> subprocess.CompletedProcess[str]:
    (tmp_path / "receipt.jws").write_text(receipt)
    (tmp_path / "key.pem").write_bytes(key_pem)
    return subprocess.run(
        [sys.executable, "-m", "audit", "verify-receipt", str(tmp_path / "receipt.jws"),
         "--public-key", str(tmp_path / "key.pem")],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_a_receipts_kid_is_the_checkpoints_key_id(api: Any, receipt: str) -> None:
    checkpoint = api.get("/v1/audit/checkpoint").get_json()
    assert jwt.get_unverified_header(receipt)["kid"] == checkpoint["key_id"]


def test_a_genuine_receipt_verifies_offline(api: Any, receipt: str, tmp_path: Path) -> None:
    result = _verify(tmp_path, receipt, api.get("/v1/audit/public-key").get_data())
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("OK: authorization ") and "customer anna" in result.stdout


def test_a_receipt_with_an_altered_claim_fails(api: Any, receipt: str, tmp_path: Path) -> None:
    header, _payload, signature = receipt.split(".")
    claims = jwt.decode(receipt, options={"verify_signature": False})
    forged_payload = jwt.utils.base64url_encode(
        jwt.api_jws.json.dumps({**claims, "customer_id": "boris"}).encode()
    ).decode()
    result = _verify(tmp_path, f"{header}.{forged_payload}.{signature}", api.get(
        "/v1/audit/public-key").get_data())  # fmt: skip
    assert result.returncode == 1
    assert "signature does not verify" in result.stdout


def test_a_receipt_checked_with_another_key_fails(receipt: str, tmp_path: Path) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    other = Ed25519PrivateKey.generate().public_key()
    result = _verify(
        tmp_path, receipt, other.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    )
    assert result.returncode == 1
