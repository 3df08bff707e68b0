"""The report's signature: a compact JWS over the report as R-AUDIT serialises it, and
`python -m audit verify-report` naming what fails."""

from __future__ import annotations

import base64
import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from audit.checkpoint import checkpoint_document, sign_checkpoint
from audit.merkle import EMPTY_ROOT, canonical_json
from audit.verify_report import ReportFailure, verify_report
from registry.reports.signing import signed

KEY = Ed25519PrivateKey.generate()
OTHER = Ed25519PrivateKey.generate()


def report(key: Ed25519PrivateKey = KEY) -> dict[str, Any]:
    checkpoint = checkpoint_document(sign_checkpoint(key, "registry.test/t1", 0, EMPTY_ROOT))
    body = {
        "report": "monthly",
        "tenant": "t1",
        "month": "2026-11",
        "templates": [{"name": "sale", "language": "ru", "complaint_rate": "0.004000"}],
        "summary": {"authorized": 12},
        "checkpoint": checkpoint,
    }
    return signed(body, key, "kid1")


def test_the_payload_is_the_report_without_signature_serialised_as_r_audit() -> None:
    signed_report = report()
    payload = jwt.api_jws.decode(signed_report["signature"], KEY.public_key(), algorithms=["EdDSA"])
    unsigned = {k: v for k, v in signed_report.items() if k != "signature"}
    assert payload == canonical_json(unsigned)
    assert jwt.get_unverified_header(signed_report["signature"])["alg"] == "EdDSA"


def test_the_same_report_signs_to_the_same_signature() -> None:
    assert report()["signature"] == report()["signature"]


def test_an_untouched_report_verifies() -> None:
    assert verify_report(report(), KEY.public_key())["tree_size"] == 0


def test_a_changed_figure_is_named() -> None:
    tampered = report()
    tampered["templates"][0]["complaint_rate"] = "0.000100"
    with pytest.raises(ReportFailure, match=r"templates\[0\]\.complaint_rate"):
        verify_report(tampered, KEY.public_key())


def test_an_added_field_is_named() -> None:
    tampered = report()
    tampered["summary"]["bonus"] = 1
    with pytest.raises(ReportFailure, match=r"summary\.bonus"):
        verify_report(tampered, KEY.public_key())


def test_another_key_does_not_verify() -> None:
    with pytest.raises(ReportFailure, match="does not verify with this public key"):
        verify_report(report(), OTHER.public_key())


def test_a_swapped_checkpoint_signed_by_another_key_is_refused() -> None:
    foreign = report(OTHER)["checkpoint"]
    body = {k: v for k, v in report().items() if k != "signature"}
    resigned = signed({**body, "checkpoint": foreign}, KEY, "kid1")
    with pytest.raises(ReportFailure, match="checkpoint"):
        verify_report(resigned, KEY.public_key())


def test_an_unsigned_alg_none_token_is_refused() -> None:
    tampered = copy.deepcopy(report())
    header = base64.urlsafe_b64encode(b'{"alg":"none"}').rstrip(b"=").decode()
    payload = tampered["signature"].split(".")[1]
    tampered["signature"] = f"{header}.{payload}."
    with pytest.raises(ReportFailure, match="alg is 'none'"):
        verify_report(tampered, KEY.public_key())


def test_a_missing_signature_is_named() -> None:
    unsigned = {k: v for k, v in report().items() if k != "signature"}
    with pytest.raises(ReportFailure, match="signature: missing"):
        verify_report(unsigned, KEY.public_key())


def _cli(tmp_path: Path, content: dict[str, Any]) -> subprocess.CompletedProcess[str]:
    (tmp_path / "report.json").write_text(json.dumps(content, ensure_ascii=False))
    (tmp_path / "key.pem").write_bytes(
        KEY.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    )
    return subprocess.run(
        [sys.executable, "-m", "audit", "verify-report", "report.json", "--public-key", "key.pem"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )


def test_verify_report_exits_zero_for_a_good_report(tmp_path: Path) -> None:
    result = _cli(tmp_path, report())
    assert result.returncode == 0, result.stderr
    assert "OK" in result.stdout


def test_verify_report_exits_non_zero_naming_the_changed_field(tmp_path: Path) -> None:
    tampered = report()
    tampered["summary"]["authorized"] = 13
    result = _cli(tmp_path, tampered)
    assert result.returncode == 1
    assert "summary.authorized" in result.stderr
