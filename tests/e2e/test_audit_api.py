"""R-AUDIT through the HTTP API: checkpoints, proofs, exports, offline verification,
replay and authorization receipts, on SQLite and PostgreSQL.

The verifiers here are written from RFC 9162 and C2SP tlog-checkpoint, independently of
the product's `audit` package, so that they check it rather than agree with it."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from tests import helpers

ROOT = Path(__file__).resolve().parents[2]
PYTHON = ROOT / ".venv" / "bin" / "python"
EXPORT_PAGE_IN_TEST = 3


# ---- an independent RFC 9162 verifier ----------------------------------------------------


def leaf_hash(leaf: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def canonical(event: Any) -> bytes:
    return json.dumps(event, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    )


def merkle_root(leaves: list[bytes]) -> bytes:
    """RFC 9162 2.1.1 MTH over already hashed leaves."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return node_hash(merkle_root(leaves[:k]), merkle_root(leaves[k:]))


def verify_inclusion(
    hashed_leaf: bytes, index: int, size: int, proof: list[bytes], root: bytes
) -> bool:
    """RFC 9162 2.1.3.2."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, hashed_leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(
    first: int, second: int, proof: list[bytes], first_root: bytes, second_root: bytes
) -> bool:
    """RFC 9162 2.1.4.2."""
    if first == second:
        return not proof and first_root == second_root
    if first == 0 or first > second or not proof:
        return False
    if first & (first - 1) == 0:  # a power of two: the first root is the first node
        proof = [first_root, *proof]
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == first_root and sr == second_root


# ---- helpers -----------------------------------------------------------------------------


def public_key(api: Any) -> Ed25519PublicKey:
    answer = api.get("/v1/audit/public-key")
    assert answer.status_code == 200
    key = load_pem_public_key(answer.get_data())
    assert isinstance(key, Ed25519PublicKey)
    return key


def export_lines(api: Any, query: str = "") -> list[dict[str, Any]]:
    answer = api.get(f"/v1/audit/events{query}")
    assert answer.status_code == 200
    assert answer.content_type.startswith("application/x-ndjson")
    return [json.loads(line) for line in answer.get_data(as_text=True).splitlines()]


def grant(api: Any, customer_id: str = "anna", **extra: Any) -> dict[str, Any]:
    return helpers.grant(
        api,
        customer_id,
        source={"kind": "web_form", "evidence": extra.pop("evidence", "form v3")},
        phone="+79161234567",
        timezone="Europe/Moscow",
        **extra,
    )


@pytest.fixture
def some_events(api: Any, approved_template: dict[str, str], any_time_policy: None) -> None:
    grant(api, "anna")
    grant(api, "boris")
    api.post("/v1/opt-outs", json={"customer_id": "boris", "purposes": "all"})


# ---- checkpoints and proofs --------------------------------------------------------------


def test_checkpoint_is_a_signed_note_over_the_tenants_events(
    api: Any, tenant: str, some_events: None
) -> None:
    checkpoint = api.get("/v1/audit/checkpoint").get_json()
    events = [line for line in export_lines(api) if line["kind"] == "event"]
    assert checkpoint["origin"] == f"registry.test/{tenant}"
    assert checkpoint["tree_size"] == len(events) > 0
    root = bytes.fromhex(checkpoint["root_hash"])
    body = f"{checkpoint['origin']}\n{checkpoint['tree_size']}\n{base64.b64encode(root).decode()}\n"
    assert checkpoint["note"].startswith(body + "\n")
    public_key(api).verify(base64.b64decode(checkpoint["signature"]), body.encode("utf-8"))
    assert merkle_root([leaf_hash(canonical(e["event"])) for e in events]) == root


def test_inclusion_proof_verifies_against_the_checkpoint_root(api: Any, some_events: None) -> None:
    checkpoint = api.get("/v1/audit/checkpoint").get_json()
    size, root = checkpoint["tree_size"], bytes.fromhex(checkpoint["root_hash"])
    events = {e["leaf_index"]: e["event"] for e in export_lines(api) if e["kind"] == "event"}
    for index in (0, size // 2, size - 1):
        answer = api.get(f"/v1/audit/proof?leaf_index={index}&tree_size={size}")
        assert answer.status_code == 200
        proof = [bytes.fromhex(h) for h in answer.get_json()["proof"]]
        hashed = leaf_hash(canonical(events[index]))
        assert verify_inclusion(hashed, index, size, proof, root)
        assert not verify_inclusion(leaf_hash(b"forged"), index, size, proof, root)


def test_consistency_proof_links_an_older_checkpoint_to_a_newer_one(
    api: Any, some_events: None
) -> None:
    older = api.get("/v1/audit/checkpoint").get_json()
    for customer in ("c1", "c2", "c3"):
        grant(api, customer)
    newer = api.get("/v1/audit/checkpoint").get_json()
    first, second = older["tree_size"], newer["tree_size"]
    assert second > first
    answer = api.get(f"/v1/audit/consistency?first={first}&second={second}")
    assert answer.status_code == 200
    proof = [bytes.fromhex(h) for h in answer.get_json()["proof"]]
    first_root, second_root = bytes.fromhex(older["root_hash"]), bytes.fromhex(newer["root_hash"])
    assert verify_consistency(first, second, proof, first_root, second_root)
    assert not verify_consistency(first, second, proof, hashlib.sha256(b"x").digest(), second_root)


# ---- exports -----------------------------------------------------------------------------


def test_jsonl_export_is_checkpoint_then_one_line_per_event_then_count(
    api: Any, some_events: None
) -> None:
    lines = export_lines(api)
    checkpoint = api.get("/v1/audit/checkpoint").get_json()
    assert lines[0] == {"kind": "checkpoint", **checkpoint}
    events = lines[1:-1]
    assert [e["kind"] for e in events] == ["event"] * checkpoint["tree_size"]
    assert [e["leaf_index"] for e in events] == list(range(checkpoint["tree_size"]))
    assert lines[-1] == {"kind": "end", "count": checkpoint["tree_size"]}
    root = bytes.fromhex(checkpoint["root_hash"])
    for e in events:
        proof = [bytes.fromhex(h) for h in e["proof"]]
        hashed = leaf_hash(canonical(e["event"]))
        assert verify_inclusion(hashed, e["leaf_index"], checkpoint["tree_size"], proof, root)


def assert_events_verify(events: list[dict[str, Any]], checkpoint: dict[str, Any]) -> None:
    size, root = checkpoint["tree_size"], bytes.fromhex(checkpoint["root_hash"])
    for e in events:
        proof = [bytes.fromhex(h) for h in e["proof"]]
        hashed = leaf_hash(canonical(e["event"]))
        assert verify_inclusion(hashed, e["leaf_index"], size, proof, root), e["leaf_index"]


@pytest.fixture
def small_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("registry.usecases.audit.EXPORT_PAGE", EXPORT_PAGE_IN_TEST)


def test_an_export_over_many_pages_has_every_event_once_with_a_valid_proof(
    api: Any, some_events: None, small_pages: None
) -> None:
    for customer in ("c1", "c2", "c3"):
        grant(api, customer)
    lines = export_lines(api)
    checkpoint = lines[0]
    events = lines[1:-1]
    assert [e["leaf_index"] for e in events] == list(range(checkpoint["tree_size"]))
    assert lines[-1] == {"kind": "end", "count": checkpoint["tree_size"]}
    assert_events_verify(events, checkpoint)


def test_a_filtered_export_over_many_pages_proves_each_event_and_opens_its_data(
    api: Any, some_events: None, small_pages: None
) -> None:
    for customer in ("c1", "c2", "c3"):
        grant(api, customer, evidence=f"signed form of {customer}")
    grant(api, "c2", evidence="second form of c2")
    lines = export_lines(api, "?customer_id=c2")
    checkpoint, events = lines[0], lines[1:-1]
    assert len(events) > EXPORT_PAGE_IN_TEST and lines[-1]["count"] == len(events)
    assert len({e["event"]["originator_id"] for e in events}) == 1
    assert_events_verify(events, checkpoint)
    opened = [e["readable"] for e in events if "readable" in e]
    evidence = {o["source"]["evidence"] for o in opened if "source" in o}
    assert evidence == {"signed form of c2", "second form of c2"}
    assert {o["changes"]["phone"] for o in opened if "phone" in o.get("changes", {})} == {
        "+79161234567"
    }


def run_verify(export: Path, key: Path) -> subprocess.CompletedProcess[str]:
    python = str(PYTHON) if PYTHON.exists() else sys.executable
    return subprocess.run(
        [python, "-m", "audit", "verify", str(export), "--public-key", str(key)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_offline_verifier_accepts_the_export_and_names_an_altered_line(
    api: Any, some_events: None, tmp_path: Path
) -> None:
    key = tmp_path / "registry.pem"
    key.write_bytes(api.get("/v1/audit/public-key").get_data())
    raw = api.get("/v1/audit/events").get_data(as_text=True)
    export = tmp_path / "export.jsonl"
    export.write_text(raw, encoding="utf-8")
    accepted = run_verify(export, key)
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr

    lines = raw.splitlines(keepends=True)
    altered_number = 3  # the checkpoint is line 1, so this is the second event
    event = json.loads(lines[altered_number - 1])
    assert event["kind"] == "event"
    event["event"]["state"]["actor"] = "mallory"
    lines[altered_number - 1] = json.dumps(event, ensure_ascii=False) + "\n"
    tampered = tmp_path / "tampered.jsonl"
    tampered.write_text("".join(lines), encoding="utf-8")
    refused = run_verify(tampered, key)
    assert refused.returncode != 0
    assert f"line {altered_number}" in refused.stdout + refused.stderr


def test_csv_export_has_a_header_and_neutralises_formulas(
    api: Any, approved_template: dict[str, str]
) -> None:
    grant(api, '=HYPERLINK("http://evil")', evidence="=1+2")
    answer = api.get("/v1/audit/events?format=csv")
    assert answer.status_code == 200
    assert answer.content_type.startswith("text/csv")
    rows = list(csv.reader(io.StringIO(answer.get_data(as_text=True))))
    assert rows[0] == [
        "position",
        "occurred_at",
        "type",
        "customer_id",
        "template",
        "actor",
        "data",
    ]
    body = rows[1:]
    assert len(body) == api.get("/v1/audit/checkpoint").get_json()["tree_size"]
    customer_cells = {row[3] for row in body if row[3]}
    assert customer_cells == {'\'=HYPERLINK("http://evil")'}
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in body for cell in row)


# ---- replay and receipts -----------------------------------------------------------------


def replay(api: Any, template: dict[str, str], at: datetime) -> dict[str, Any]:
    answer = api.post(
        "/v1/audit/replay",
        json={
            "customer_id": "anna",
            "template": template,
            "at": at.isoformat().replace("+00:00", "Z"),
        },
    )
    assert answer.status_code == 200, answer.get_json()
    body: dict[str, Any] = answer.get_json()
    return body


def test_replay_answers_as_things_were_before_and_after_an_opt_out(
    clocked_api: Any, clock: Any, approved_template: dict[str, str], any_time_policy: None
) -> None:
    api = clocked_api  # its writes stamp events with `clock`, moved instead of sleeping
    clock.advance(seconds=1.1)
    granted = grant(api, "anna")
    between = clock.advance(seconds=1.1)
    clock.advance(seconds=1.1)
    withdrawn = api.post(
        "/v1/opt-outs", json={"customer_id": "anna", "purposes": ["promotions"]}
    ).get_json()
    after = clock.advance(seconds=1.1)

    before_opt_out = replay(api, approved_template, between)
    assert before_opt_out["allowed"] is True, before_opt_out
    assert before_opt_out["reasons"] == []
    assert granted["position"] in before_opt_out["rested_on"]["customer"]
    assert withdrawn["position"] not in before_opt_out["rested_on"]["customer"]

    after_opt_out = replay(api, approved_template, after)
    assert after_opt_out["allowed"] is False
    assert after_opt_out["reasons"] == ["consent_withdrawn"]
    assert withdrawn["position"] in after_opt_out["rested_on"]["customer"]


def test_authorization_receipt_verifies_with_only_the_public_key(
    api: Any, tenant: str, approved_template: dict[str, str], any_time_policy: None
) -> None:
    granted = grant(api, "anna")
    answer = api.post(
        "/v1/authorizations", json={"customer_id": "anna", "template": approved_template}
    )
    assert answer.status_code == 201, answer.get_json()
    authorization = answer.get_json()
    pem = api.get("/v1/audit/public-key").get_data()
    claims = jwt.decode(authorization["receipt"], pem, algorithms=["EdDSA"])
    assert claims["tenant"] == tenant
    assert claims["customer_id"] == "anna"
    assert claims["template"]["name"] == approved_template["name"]
    assert claims["template"]["version"] == authorization["template_version"] == 1
    assert claims["consent"]["receipt_id"] == granted["receipt_id"]
    policy = api.get("/v1/policy").get_json()
    assert claims["policy"]["version"] == policy["version"]
    assert isinstance(claims["iat"], int) and not isinstance(claims["iat"], bool)
    assert abs(claims["iat"] - time.time()) < 60
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(authorization["receipt"][:-4] + "AAAA", pem, algorithms=["EdDSA"])
