"""R-AUDIT: exports, and `python -m audit verify` checking them with only the file and key."""

from __future__ import annotations

import base64
import csv
import io
import json
import re
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from audit import log
from audit.checkpoint import checkpoint_document, sign_checkpoint
from audit.export import ExportEvent, csv_lines, jsonl_lines
from audit.merkle import canonical_json
from registry.store import schema
from registry.store.sql import Sql

ROOT_DIR = Path(__file__).resolve().parents[2]
ORIGIN = "registry.example.com/acme"
KEY = Ed25519PrivateKey.generate()


def stored_event(n: int, customer: str) -> dict[str, Any]:
    return {
        "originator_id": f"00000000-0000-0000-0000-{n:012d}",
        "originator_version": 1,
        "topic": "registry.domain.customer:Customer.ConsentGranted",
        "state": {
            "actor": "user:alice",
            "timestamp": {"_type_": "datetime_iso", "_data_": f"2025-03-01T10:00:{n:02d}+00:00"},
            "purpose": "promotions",
            "evidence": {"ciphertext": "zQ3…", "key": customer},
            "note": "Привет",
        },
    }


@pytest.fixture
def sql() -> Iterator[Sql]:
    connection = sqlite3.connect(":memory:")
    store = Sql(connection.cursor(), "sqlite")
    schema.create_all(store)
    yield store
    connection.close()


def export_events(sql: Sql, objects: dict[int, dict[str, Any]], size: int) -> Iterator[ExportEvent]:
    after = -1
    while rows := log.leaf_rows(sql, "acme", after_index=after, limit=3):
        for row in rows:
            if row.index >= size:
                return
            yield ExportEvent(
                leaf_index=row.index,
                position=row.position,
                event_json=json.dumps(
                    objects[row.position], separators=(",", ":"), ensure_ascii=False
                ),
                proof=log.inclusion_proof(sql, "acme", row.index, size),
                readable={"phone": "+79990000000"} if row.index % 2 else None,
                occurred_at=row.occurred_at,
                event_type=row.event_type,
                customer_id=row.customer_id,
                template=row.template,
                actor=row.actor,
            )
        after = rows[-1].index


def build_export(sql: Sql, count: int) -> list[str]:
    objects = {100 + n: stored_event(n, f"c{n % 3}") for n in range(count)}
    log.append(
        sql,
        "acme",
        [
            log.LeafEntry(
                position=position,
                leaf=canonical_json(obj),
                event_type="Customer.ConsentGranted",
                occurred_at=f"2025-03-01T10:00:{position - 100:02d}Z",
                actor="user:alice",
                customer_id=obj["state"]["evidence"]["key"],
                template=None,
            )
            for position, obj in objects.items()
        ],
    )
    size = log.tree_size(sql, "acme")
    doc = checkpoint_document(sign_checkpoint(KEY, ORIGIN, size, log.root_hash(sql, "acme", size)))
    return list(jsonl_lines(doc, export_events(sql, objects, size)))


def verify(
    tmp_path: Path, lines: list[str], signer: Ed25519PrivateKey = KEY
) -> subprocess.CompletedProcess[str]:
    export = tmp_path / "export.jsonl"
    export.write_text("".join(lines), encoding="utf-8")
    key = tmp_path / "key.pem"
    key.write_bytes(
        signer.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    )
    return subprocess.run(
        [sys.executable, "-m", "audit", "verify", str(export), "--public-key", str(key)],
        cwd=ROOT_DIR,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def edited(line: str, change: Callable[[dict[str, Any]], None]) -> str:
    obj = json.loads(line)
    change(obj)
    return json.dumps(obj, ensure_ascii=False) + "\n"


# --- JSON lines ----------------------------------------------------------------------------


def test_export_has_checkpoint_events_and_end(sql: Sql) -> None:
    lines = [json.loads(line) for line in build_export(sql, 5)]
    assert [line["kind"] for line in lines] == ["checkpoint", *["event"] * 5, "end"]
    assert lines[0]["tree_size"] == 5 and lines[0]["origin"] == ORIGIN
    assert [line["leaf_index"] for line in lines[1:-1]] == [0, 1, 2, 3, 4]
    assert [line["position"] for line in lines[1:-1]] == [100, 101, 102, 103, 104]
    assert "readable" not in lines[1] and lines[2]["readable"] == {"phone": "+79990000000"}
    assert lines[-1] == {"kind": "end", "count": 5}


def test_event_lines_carry_the_stored_json_as_one_compact_object(sql: Sql) -> None:
    lines = build_export(sql, 4)
    for number, line in enumerate(lines[1:-1]):
        parsed = json.loads(line)
        expected = {
            "kind": "event",
            "leaf_index": number,
            "position": 100 + number,
            "event": stored_event(number, f"c{number % 3}"),
            "proof": parsed["proof"],
        }
        if number % 2:
            expected["readable"] = {"phone": "+79990000000"}
        assert line == json.dumps(expected, separators=(",", ":"), ensure_ascii=False) + "\n"
        assert len(parsed["proof"]) == 2


def test_an_empty_log_exports_checkpoint_and_end(sql: Sql) -> None:
    lines = [json.loads(line) for line in build_export(sql, 0)]
    assert [line["kind"] for line in lines] == ["checkpoint", "end"]
    assert lines[-1]["count"] == 0


def test_a_genuine_export_verifies(sql: Sql, tmp_path: Path) -> None:
    result = verify(tmp_path, build_export(sql, 11))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "11 events" in result.stdout


def test_verify_off_a_terminal_ends_with_a_plain_line_of_bytes_and_time(
    sql: Sql, tmp_path: Path
) -> None:
    result = verify(tmp_path, build_export(sql, 3))
    assert result.returncode == 0
    assert re.search(r"^audit verify: done, \d+ bytes in \d+\.\d s$", result.stderr, re.M)


def test_an_empty_export_verifies(sql: Sql, tmp_path: Path) -> None:
    assert verify(tmp_path, build_export(sql, 0)).returncode == 0


def test_a_filtered_export_verifies(sql: Sql, tmp_path: Path) -> None:
    lines = build_export(sql, 9)
    subset = [lines[0], lines[2], lines[5], lines[9], '{"kind":"end","count":3}\n']
    assert verify(tmp_path, subset).returncode == 0


def _set_state(obj: dict[str, Any]) -> None:
    obj["event"]["state"]["purpose"] = "service"


def _set_proof(obj: dict[str, Any]) -> None:
    obj["proof"][0] = "00" * 32


def _set_index(obj: dict[str, Any]) -> None:
    obj["leaf_index"] += 1


def _set_signature(obj: dict[str, Any]) -> None:
    signature = bytearray(base64.b64decode(obj["signature"]))
    signature[10] ^= 1
    obj["signature"] = base64.b64encode(signature).decode()


def _set_size(obj: dict[str, Any]) -> None:
    obj["tree_size"] -= 1


def _set_count(obj: dict[str, Any]) -> None:
    obj["count"] += 1


@pytest.mark.parametrize(
    ("line_number", "change", "reason"),
    [
        (4, _set_state, "inclusion proof"),
        (4, _set_proof, "inclusion proof"),
        (4, _set_index, "inclusion proof"),
        (1, _set_signature, "signature"),
        (1, _set_size, "signature"),
        (9, _set_count, "count"),
    ],
)
def test_an_altered_line_is_named(
    sql: Sql,
    tmp_path: Path,
    line_number: int,
    change: Callable[[dict[str, Any]], None],
    reason: str,
) -> None:
    lines = build_export(sql, 7)
    lines[line_number - 1] = edited(lines[line_number - 1], change)
    result = verify(tmp_path, lines)
    assert result.returncode == 1
    assert result.stdout.startswith(f"line {line_number}: ")
    assert reason in result.stdout


def test_every_single_event_line_alteration_is_caught(sql: Sql, tmp_path: Path) -> None:
    lines = build_export(sql, 7)
    for number in range(2, 9):
        altered = list(lines)
        altered[number - 1] = edited(lines[number - 1], _set_state)
        result = verify(tmp_path, altered)
        assert (result.returncode, result.stdout.split(":")[0]) == (1, f"line {number}")


def test_reordered_lines_are_named(sql: Sql, tmp_path: Path) -> None:
    lines = build_export(sql, 6)
    lines[2], lines[3] = lines[3], lines[2]
    result = verify(tmp_path, lines)
    assert result.returncode == 1
    assert result.stdout.startswith("line 4: leaf_index 1 does not follow 2")


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda lines: [*lines[:3], "{not json\n", *lines[3:]], "line 4: not valid JSON"),
        (lambda lines: [*lines, '{"kind":"event"}\n'], "line 8: content after the end line"),
        (lambda lines: lines[:-1], "line 7: the file ends without an end line"),
        (lambda lines: lines[1:], "line 1: expected the checkpoint line first"),
        (lambda lines: [], "line 1: the file is empty"),
        (lambda lines: [lines[0], lines[0], *lines[1:]], "line 2: unexpected line kind"),
        (lambda lines: [*lines[:2], "[1, 2]\n", *lines[2:]], "line 3: not a JSON object"),
        (
            lambda lines: [*lines[:2], lines[2].replace('"kind"', '"kind":"x","kind"', 1)],
            "line 3: not valid JSON",
        ),
    ],
)
def test_malformed_files_name_the_line(
    sql: Sql, tmp_path: Path, mutate: Callable[[list[str]], list[str]], expected: str
) -> None:
    result = verify(tmp_path, mutate(build_export(sql, 5)))
    assert result.returncode == 1
    assert result.stdout.startswith(expected), result.stdout
    assert "Traceback" not in result.stderr


def test_a_float_in_an_event_is_refused(sql: Sql, tmp_path: Path) -> None:
    lines = build_export(sql, 3)
    lines[1] = lines[1].replace('"originator_version":1', '"originator_version":1.0')
    result = verify(tmp_path, lines)
    assert result.stdout.startswith("line 2: event cannot be a leaf")


def test_a_wrong_key_fails_on_the_checkpoint(sql: Sql, tmp_path: Path) -> None:
    result = verify(tmp_path, build_export(sql, 2), signer=Ed25519PrivateKey.generate())
    assert result.returncode == 1 and result.stdout.startswith("line 1: checkpoint signature")


def test_an_unreadable_key_is_an_error_not_a_line(sql: Sql, tmp_path: Path) -> None:
    export = tmp_path / "export.jsonl"
    export.write_text("".join(build_export(sql, 1)), encoding="utf-8")
    (tmp_path / "key.pem").write_text("not a key")
    result = subprocess.run(
        [sys.executable, "-m", "audit", "verify", str(export), "--public-key", "key.pem"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={"PYTHONPATH": str(ROOT_DIR)},
    )
    assert result.returncode == 2
    assert "public key" in result.stderr


# --- CSV -----------------------------------------------------------------------------------


def csv_event(customer_id: str, actor: str = "user:alice") -> ExportEvent:
    return ExportEvent(
        leaf_index=0,
        position=7,
        event_json=json.dumps({"topic": "t", "data": {"note": "=1+1", "n": 2}}),
        proof=[],
        readable=None,
        occurred_at="2025-03-01T10:00:00Z",
        event_type="Customer.ConsentGranted",
        customer_id=customer_id,
        template="promo/ru",
        actor=actor,
    )


def parse_csv(lines: Iterator[str]) -> list[list[str]]:
    return list(csv.reader(io.StringIO("".join(lines))))


def test_csv_has_the_header_and_one_row_per_event() -> None:
    rows = parse_csv(csv_lines([csv_event("c1"), csv_event("c2")]))
    assert rows[0] == [
        "position",
        "occurred_at",
        "type",
        "customer_id",
        "template",
        "actor",
        "data",
    ]
    assert rows[1] == [
        "7",
        "2025-03-01T10:00:00Z",
        "Customer.ConsentGranted",
        "c1",
        "promo/ru",
        "user:alice",
        '{"n":2,"note":"=1+1"}',
    ]
    assert len(rows) == 3


@pytest.mark.parametrize("cell", ["=cmd|' /C calc'!A0", "+1", "-1", "@SUM(1)", "\tx", "\rx"])
def test_csv_neutralises_formulas(cell: str) -> None:
    rows = parse_csv(csv_lines([csv_event(cell, actor=cell)]))
    assert rows[1][3] == "'" + cell
    assert rows[1][5] == "'" + cell


def test_csv_of_no_events_is_just_the_header() -> None:
    assert parse_csv(csv_lines([])) == [
        ["position", "occurred_at", "type", "customer_id", "template", "actor", "data"]
    ]
