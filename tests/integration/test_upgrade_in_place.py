"""A database made by main@48ac32d (tables created at start-up, no Alembic) is upgraded
in place by today's start-up: every row kept, nothing rebuilt, its data readable and
writable, on SQLite and PostgreSQL. The databases are committed dumps of a session of
that commit's code (tests/fixtures/main_48ac32d, written by its make_fixture.py)."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from registry.config import load_settings
from registry.devtoken import make_token
from registry.domain.feed_items import EVENT_KINDS, change_item
from registry.store.migrations import HEAD
from registry.store.schema import metadata
from tests.conftest import JWT_SECRET, ApiClient, environment_for
from tests.integration.databases import differences, fresh_database_url, revision_of

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "fixtures" / "main_48ac32d"
WHATSAPP = ROOT / "tests" / "fixtures" / "whatsapp"
TENANT = "acme"
# The old session's 20 events: 2 tenant, 2 template, 16 customer (anna, boris, ivan).
OLD_TREE_SIZE = 20
# The registry's tables main@48ac32d made; later revisions add others, empty at first.
OLD_TABLES = (
    "registry_views",
    "registry_customer_index",
    "registry_data_keys",
    "registry_idempotency",
    "registry_webhook_seen",
    "registry_webhook_unprocessed",
    "audit_trees",
    "audit_leaves",
    "audit_nodes",
)
# Their columns where later revisions added some (0004: the leaves' feed items).
OLD_COLUMNS = {
    "audit_leaves": "tenant, leaf_index, position, leaf_hash, event_type, occurred_at, "
    "occurred_key, actor, customer_id, template"
}


class OldDatabase:
    """A fresh database loaded from the dump, with the keys that session used."""

    def __init__(self, dialect: str, url: str, var_dir: Path) -> None:
        self.dialect = dialect
        self.url = url
        shutil.copy(FIXTURE / "data_key", var_dir / "data_key")
        shutil.copy(FIXTURE / "signing_key.pem", var_dir / "signing_key.pem")
        self.env = {
            **environment_for(url, var_dir),
            "REGISTRY_DATA_KEY": str(var_dir / "data_key"),
            "REGISTRY_SIGNING_KEY": str(var_dir / "signing_key.pem"),
        }
        self.database = load_settings(self.env).database

    def load(self) -> None:
        if self.dialect == "sqlite":
            with sqlite3.connect(self.database.sqlite_path) as connection:
                connection.executescript((FIXTURE / "sqlite.sql").read_text(encoding="utf-8"))
            return
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as connection:
            connection.execute((FIXTURE / "postgres.sql").read_text(encoding="utf-8"))

    def tables(self) -> list[str]:
        """The tables the old code wrote: the registry's and the events table."""
        events = ["stored_events"] if self.dialect == "sqlite" else ["registry_events"]
        return sorted([*OLD_TABLES, *events])

    def rows(self, table: str, columns: str = "*") -> list[tuple[Any, ...]]:
        """Every row of `table`, in a stable order, bytes as bytes."""
        statement = f"SELECT {columns} FROM {table}"
        if self.dialect == "sqlite":
            with sqlite3.connect(self.database.sqlite_path) as connection:
                found = connection.execute(statement).fetchall()
        else:
            import psycopg

            with psycopg.connect(self.url) as connection:
                found = connection.execute(statement).fetchall()
        rows = [tuple(bytes(v) if isinstance(v, memoryview) else v for v in r) for r in found]
        return sorted(rows, key=repr)

    def every_row(self) -> dict[str, list[tuple[Any, ...]]]:
        return {table: self.rows(table, OLD_COLUMNS.get(table, "*")) for table in self.tables()}

    def execute(self, statement: str) -> None:
        if self.dialect == "sqlite":
            with sqlite3.connect(self.database.sqlite_path) as connection:
                connection.execute(statement)
            return
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as connection:
            connection.execute(statement)

    def run(self, *command: str) -> subprocess.CompletedProcess[str]:
        base = {k: v for k, v in os.environ.items() if not k.startswith("REGISTRY_")}
        return subprocess.run(
            [sys.executable, "-m", *command],
            cwd=ROOT,
            env={**base, **self.env},
            capture_output=True,
            text=True,
            timeout=120,
        )


@pytest.fixture(params=["sqlite", "postgres"])
def old(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[OldDatabase]:
    with fresh_database_url(request.param, tmp_path) as url:
        database = OldDatabase(request.param, url, tmp_path)
        database.load()
        yield database


@contextmanager
def started(old: OldDatabase) -> Iterator[ApiClient]:
    """Today's server started on the old database, and a client of tenant `acme`."""
    from registry.api.app import create_app

    app = create_app(load_settings(old.env))
    app.config["TESTING"] = True
    try:
        yield ApiClient(app.test_client(), make_token(JWT_SECRET, sub="alice", tenant=TENANT))
    finally:
        app.extensions["registry"].recorder.datastore.close()


def test_the_old_database_has_no_version_table_before_start_up(old: OldDatabase) -> None:
    assert revision_of(old.database) is None
    assert old.rows("audit_trees")[0][:2] == (TENANT, OLD_TREE_SIZE)


def test_start_up_upgrades_it_to_head_keeping_every_row(old: OldDatabase) -> None:
    before = old.every_row()
    with started(old):
        pass
    assert revision_of(old.database) == HEAD
    assert differences(old.database) == []
    assert old.every_row() == before
    added = sorted(set(metadata.tables) - set(OLD_TABLES))
    assert {table: old.rows(table) for table in added} == {table: [] for table in added}


def test_the_upgraded_database_serves_what_the_old_code_wrote(old: OldDatabase) -> None:
    with started(old) as api:
        anna = api.get("/v1/customers/anna").get_json()
        boris = api.get("/v1/customers/boris").get_json()
        ivan = api.get("/v1/customers/ivan").get_json()
        template = api.get("/v1/templates/spring_sale/ru").get_json()
        unprocessed = api.get("/v1/integrations/whatsapp/unprocessed").get_json()
    assert anna["phone"] == "+79161234567"  # sealed under its data key, opened
    assert {c["purpose"]: c["status"] for c in boris["consents"]} == {
        "service": "granted",
        "promotions": "granted",
        "reminders": "withdrawn",
    }
    assert ivan["erased"] is True
    assert template["status"] == "APPROVED"
    assert [item["field"] for item in unprocessed["items"]] == ["phone_number_quality_update"]


def test_the_feed_lists_each_old_event_as_its_own_stored_event_makes_it(
    old: OldDatabase,
) -> None:
    """Revision 0004 gives every leaf the old code wrote its feed item, computed from its
    event as the write path does: the feed after start-up equals the items rebuilt here
    from the events table, in log order."""
    events, position = (
        ("stored_events", "rowid")
        if old.dialect == "sqlite"
        else ("registry_events", "notification_id")
    )
    logged = old.rows(
        f"audit_leaves l JOIN {events} e ON e.{position} = l.position WHERE l.tenant = '{TENANT}'",
        "l.position, l.event_type, l.occurred_at, l.customer_id, l.template, e.state",
    )
    expected = [
        change_item(position_, type_, at, customer, template, json.loads(state))
        for position_, type_, at, customer, template, state in sorted(logged)
        if type_ in EVENT_KINDS
    ]
    with started(old) as api:
        page = api.get("/v1/changes?limit=1000").get_json()
    assert {item["kind"] for item in expected} >= {"policy", "template", "consent", "erasure"}
    assert page["changes"] == expected


def test_a_repeated_idempotency_key_gets_the_answer_stored_by_the_old_code(
    old: OldDatabase,
) -> None:
    (stored,) = [row for row in old.rows("registry_idempotency") if row[1] == "grant-anna"]
    grant = {
        "customer_id": "anna",
        "channel": "whatsapp",
        "purposes": ["service", "promotions", "reminders"],
        "source": {"kind": "web_form", "evidence": "form #42", "ip": "203.0.113.7"},
        "phone": "+79161234567",
        "timezone": "Europe/Moscow",
    }
    with started(old) as api:
        again = api.post("/v1/consents", json=grant, headers={"Idempotency-Key": "grant-anna"})
        size = api.get("/v1/audit/checkpoint").get_json()["tree_size"]
    assert again.get_json() == json.loads(stored[4])
    assert size == OLD_TREE_SIZE


def test_a_redelivered_webhook_is_still_recorded_once(old: OldDatabase) -> None:
    body = (WHATSAPP / "message_text.json").read_bytes()
    payload = json.dumps(json.loads(body), ensure_ascii=False).encode("utf-8")
    from tests.e2e.test_webhooks_api import sign

    with started(old) as api:
        answer = api.client.post(
            f"/webhooks/whatsapp/{TENANT}",
            data=payload,
            headers={"Content-Type": "application/json", "X-Hub-Signature-256": sign(payload)},
        )
        size = api.get("/v1/audit/checkpoint").get_json()["tree_size"]
    assert answer.status_code == 200
    assert size == OLD_TREE_SIZE


def test_the_upgraded_database_takes_new_writes_and_its_log_still_checks(
    old: OldDatabase,
) -> None:
    with started(old) as api:
        granted = api.post(
            "/v1/consents",
            json={
                "customer_id": "dora",
                "channel": "whatsapp",
                "purposes": ["promotions"],
                "source": {"kind": "api"},
                "phone": "+79161234570",
            },
        )
        opted_out = api.post("/v1/opt-outs", json={"customer_id": "anna", "purposes": "all"})
        dora = api.get("/v1/customers/dora").get_json()
        size = api.get("/v1/audit/checkpoint").get_json()["tree_size"]
    assert (granted.status_code, opted_out.status_code) == (201, 201)
    assert dora["phone"] == "+79161234570"
    assert size > OLD_TREE_SIZE
    checked = old.run("audit", "check")
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_views_rebuilt_from_the_log_equal_the_views_the_old_code_wrote(
    old: OldDatabase,
) -> None:
    written = old.rows("registry_views")
    with started(old):
        pass
    old.execute("DELETE FROM registry_views")
    rebuilt = old.run("registry.projections.rebuild")
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert [without_later_keys(row) for row in old.rows("registry_views")] == written


# Document keys today's code adds to a view (outcomes, SPEC §11-12; pilots, §13); the old
# code's views lack them.
LATER_KEYS = {
    "customer": ("last_sends", "marketing_at", "holds"),
    "template": ("review_paused", "feedback_paused", "feedback_resumed_at", "pilot"),
    "tenant": ("pilot_since",),
}
LATER_VERSION_KEYS = ("pilot",)  # in each of a template document's `versions`


def without_later_keys(row: tuple[Any, ...]) -> tuple[Any, ...]:
    tenant, kind, key, version, position, doc = row
    later = LATER_KEYS.get(str(kind), ())
    if not later:
        return row
    document = json.loads(doc)
    for name in later:
        document.pop(name, None)
    for entry in document.get("versions", []) if kind == "template" else []:
        for name in LATER_VERSION_KEYS:
            entry.pop(name, None)
    text = json.dumps(document, separators=(",", ":"), ensure_ascii=False)  # as views are written
    return (tenant, kind, key, version, position, text)


def _start_worker(env: dict[str, str]) -> None:
    from registry.bootstrap import migrate_database

    migrate_database(load_settings(env))


def test_workers_starting_together_on_it_upgrade_it_once_keeping_every_row(
    old: OldDatabase,
) -> None:
    import multiprocessing

    before = old.every_row()
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_start_worker, args=(old.env,)) for _ in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert [worker.exitcode for worker in workers] == [0, 0, 0]
    assert revision_of(old.database) == HEAD
    assert old.every_row() == before
