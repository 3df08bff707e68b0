"""`GET /v1/consents/{receipt_id}` (SPEC §17) on both databases: the grant as recorded, its
status now, and an ISO/IEC TS 27560-shaped record signed by the audit key, which
`python -m audit verify-consent` checks offline."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from tests.conftest import ApiClient

GRANT = {
    "customer_id": "anna",
    "channel": "whatsapp",
    "purposes": ["promotions", "alerts"],
    "source": {"kind": "web_form", "evidence": "form v3", "notice_version": "2026-11"},
    "locale": "ru-RU",
    "phone": "+79123456789",
}


def granted(api: ApiClient, **extra: Any) -> dict[str, Any]:
    answer = api.post("/v1/consents", json={**GRANT, **extra})
    assert answer.status_code == 201, answer.get_json()
    body: dict[str, Any] = answer.get_json()
    return body


def record_of(api: ApiClient, receipt_id: str) -> dict[str, Any]:
    answer = api.get(f"/v1/consents/{receipt_id}")
    assert answer.status_code == 200, answer.get_json()
    body: dict[str, Any] = answer.get_json()
    return body


def payload_of(record: str) -> dict[str, Any]:
    payload: dict[str, Any] = jwt.decode(record, options={"verify_signature": False})
    return payload


def verify_consent(tmp_path: Path, record: str | dict[str, Any], key: bytes) -> Any:
    record_file, key_file = tmp_path / "record.json", tmp_path / "key.pem"
    record_file.write_text(record if isinstance(record, str) else json.dumps(record))
    key_file.write_bytes(key)
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "audit",
            "verify-consent",
            str(record_file),
            "--public-key",
            str(key_file),
        ],
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_answer_is_the_grant_as_recorded_and_its_status_now(api: ApiClient) -> None:
    grant = granted(api)
    body = record_of(api, grant["receipt_id"])
    assert body["customer_id"] == "anna"
    assert body["status"] == "granted"
    assert body["purposes"] == {"alerts": "granted", "promotions": "granted"}
    assert body["grant"]["type"] == "Customer.ConsentGranted"
    assert body["grant"]["position"] == grant["position"]
    assert body["grant"]["data"]["source"] == GRANT["source"]


def test_the_record_names_every_field_of_iso_27560(api: ApiClient) -> None:
    assert api.put("/v1/policy", json={"display_name": "Ромашка"}).status_code == 200
    grant = granted(api)
    payload = payload_of(record_of(api, grant["receipt_id"])["record"])
    assert payload["record_id"] == grant["receipt_id"]
    assert payload["pii_principal_id"] == "anna"
    assert payload["purposes"] == ["alerts", "promotions"]
    assert payload["notice_version"] == "2026-11"
    assert payload["language"] == "ru-RU"
    assert payload["controller"] == "Ромашка"
    assert payload["collection_method"] == "web_form"
    assert payload["timestamp"] == payload["validity"]["from"]
    assert payload["validity"]["until"] is None
    assert payload["state"] == "granted"
    assert payload["withdrawal_method"]
    assert payload["schema_version"].startswith("ISO/IEC TS 27560")
    assert "79123456789" not in json.dumps(payload)  # the phone is not part of the record


def test_the_status_follows_a_withdrawal_of_one_purpose(api: ApiClient) -> None:
    grant = granted(api)
    answer = api.post(
        "/v1/opt-outs",
        json={"customer_id": "anna", "channel": "whatsapp", "purposes": ["alerts"]},
    )
    assert answer.status_code == 201
    body = record_of(api, grant["receipt_id"])
    assert body["purposes"] == {"alerts": "withdrawn", "promotions": "granted"}
    assert body["status"] == "partly_active"
    assert payload_of(body["record"])["state"] == "partly_active"


def test_a_pending_grant_is_pending_until_confirmed(api: ApiClient) -> None:
    grant = granted(api, confirmation="required")
    assert record_of(api, grant["receipt_id"])["status"] == "pending"
    assert api.client.post(urlsplit(grant["confirmation_url"]).path).status_code == 200
    body = record_of(api, grant["receipt_id"])
    assert body["status"] == "granted"
    assert body["grant"]["type"] == "Customer.ConsentRequested"


def test_an_imported_grant_has_a_record_too(api: ApiClient) -> None:
    line = json.dumps({"customer_id": "imp", "purposes": ["alerts"], "source": {"kind": "import"}})
    answer = api.post(
        "/v1/consents/import", data=line + "\n", headers={"Content-Type": "application/x-ndjson"}
    )
    assert answer.status_code == 201, answer.get_json()
    history = api.get("/v1/customers/imp/history").get_json()["events"]
    receipt = next(e for e in history if e["type"] == "Customer.ConsentGranted")["data"]
    body = record_of(api, receipt["receipt_id"])
    assert (body["customer_id"], body["status"]) == ("imp", "granted")
    assert payload_of(body["record"])["collection_method"] == "import"


def test_an_unknown_receipt_or_another_tenants_is_404(api: ApiClient, app: Any, token: Any) -> None:
    grant = granted(api)
    assert api.get("/v1/consents/rcpt_0000").status_code == 404
    other = ApiClient(app.test_client(), token(tenant_id="elsewhere-" + grant["receipt_id"][-6:]))
    assert other.get(f"/v1/consents/{grant['receipt_id']}").status_code == 404


def test_the_record_needs_the_consents_read_scope(app: Any, token: Any, api: ApiClient) -> None:
    grant = granted(api)
    reader = ApiClient(app.test_client(), token("decisions"))
    assert reader.get(f"/v1/consents/{grant['receipt_id']}").status_code == 403


def test_the_record_verifies_offline_with_the_audit_public_key(
    api: ApiClient, tmp_path: Path
) -> None:
    body = record_of(api, granted(api)["receipt_id"])
    key = api.get("/v1/audit/public-key").get_data()
    checked = verify_consent(tmp_path, body, key)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert json.loads(checked.stdout)["record_id"] == body["receipt_id"]
    assert verify_consent(tmp_path, body["record"], key).returncode == 0


def test_an_altered_record_or_another_key_fails_verification(
    api: ApiClient, tmp_path: Path
) -> None:
    record = record_of(api, granted(api)["receipt_id"])["record"]
    key = api.get("/v1/audit/public-key").get_data()
    header, payload, signature = record.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["state"] = "withdrawn"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    altered = verify_consent(tmp_path, f"{header}.{forged}.{signature}", key)
    assert altered.returncode == 1
    assert "signature" in altered.stdout
    stranger = Ed25519PrivateKey.generate().public_key()
    other_key = stranger.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    assert verify_consent(tmp_path, record, other_key).returncode == 1


@pytest.mark.parametrize("field", ["state", "controller"])
def test_a_record_missing_a_field_fails_even_when_signed(tmp_path: Path, field: str) -> None:
    key = Ed25519PrivateKey.generate()
    claims = {
        name: "x"
        for name in (
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
    }
    del claims[field]
    token = jwt.encode({**claims, "iat": 1}, key, algorithm="EdDSA")
    public = key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    checked = verify_consent(tmp_path, token, public)
    assert checked.returncode == 1
    assert field in checked.stdout
