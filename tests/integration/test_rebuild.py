"""Views are rebuildable from the log (make rebuild), on both databases: the rebuilt
rows equal the rows the server wrote, and a rebuild never puts an older state back."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from eventsourcing.persistence import OperationalError

from registry.bootstrap import build_registry, build_services
from registry.config import load_settings
from registry.domain.base import acting_as
from registry.domain.customer import customer_aggregate_id
from registry.projections.rebuild import PAGE, rebuild
from tests.conftest import MARKETING_TEMPLATE, PG_ADMIN, environment_for, postgres_available


@pytest.fixture(params=["sqlite", "postgres"])
def fresh_registry(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    if request.param == "sqlite":
        yield build_registry(
            load_settings(environment_for(f"sqlite:///{tmp_path / 'r.sqlite3'}", tmp_path))
        )
        return
    if not postgres_available():
        pytest.skip("PostgreSQL is not reachable")
    import psycopg

    name = f"registry_rebuild_{secrets.token_hex(4)}"
    registry = build_registry(
        load_settings(environment_for(f"postgresql://postgres@127.0.0.1:5432/{name}", tmp_path))
    )
    yield registry
    registry.close()
    with psycopg.connect(**PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def views(registry: Any) -> dict[tuple[str, str, str], dict[str, Any]]:
    with registry.db.transaction() as sql:
        rows = sql.query("SELECT tenant, kind, key, doc FROM registry_views")
    return {(t, k, key): json.loads(doc) for t, k, key, doc in rows}


def test_rebuild_reproduces_every_view_from_the_log(fresh_registry: Any) -> None:
    services = build_services(fresh_registry)
    with acting_as("alice"):
        for i in range(5):
            services.consents.grant(
                "t",
                {
                    "customer_id": f"c{i}",
                    "channel": "sms",
                    "purposes": ["alerts"],
                    "source": {"kind": "api"},
                },
            )
        services.consents.opt_out("t", "c1", "sms", "all", {"kind": "api"})
        services.policies.replace_policy("t", {"marketing_daily_limit": 4})
    before = views(fresh_registry)
    with fresh_registry.db.transaction(commit=True) as sql:
        sql.execute("DELETE FROM registry_views")
    assert rebuild(fresh_registry) == 6
    assert views(fresh_registry) == before


POLICY = {
    "send_window": None,
    "send_days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
    "holidays": None,
    "marketing_daily_limit": None,
}
TEMPLATE = MARKETING_TEMPLATE
# Text that COPY must escape (PostgreSQL's write path streams the rows with COPY).
ESCAPES_TEMPLATE = {
    **TEMPLATE,
    "name": "escapes",
    "components": [
        {
            "type": "BODY",
            "text": 'Привет,\t{{1}}!\nback\\slash "quoted" \\N \r end',
            "example": {"body_text": [["Анна"]]},
        }
    ],
}
LONG_HISTORY = 110  # past the snapshotting interval (100): the rebuild reads events only


def grant_request(customer_id: str, channel: str = "whatsapp") -> dict[str, Any]:
    return {
        "customer_id": customer_id,
        "channel": channel,
        "purposes": ["promotions", "alerts"],
        "source": {"kind": "web_form", "evidence": "signup form v3"},
        "phone": "+79990001122",
        "timezone": "Europe/Moscow",
    }


def record_histories(registry: Any) -> None:
    """A tenant policy and integration, a template through two reviews and a pause,
    a template whose text needs escaping, one customer with a long history ending in
    erasure, and a few short ones."""
    services = build_services(registry)
    with acting_as("alice"):
        services.policies.replace_policy("t", POLICY)
        services.webhooks.configure_whatsapp(
            "t", {"app_secret": "s3cret", "verify_token": "tok", "waba_id": "1234"}
        )
        services.templates.submit_template("t", TEMPLATE)
        services.templates.submit_template("t", ESCAPES_TEMPLATE)
    with acting_as("bob"):
        services.templates.change_template(
            "t", "spring_sale", "ru", "review", version=1, decision="approve", reason="ok"
        )
    with acting_as("alice"):
        services.templates.submit_template("t", TEMPLATE)
    with acting_as("bob"):
        services.templates.change_template(
            "t", "spring_sale", "ru", "review", version=2, decision="reject", reason="no"
        )
        services.templates.change_template("t", "spring_sale", "ru", "pause", reason="complaints")
        services.templates.change_template("t", "spring_sale", "ru", "resume", reason="fixed")
    with acting_as("alice"):
        for i in range(5):
            services.consents.grant("t", grant_request(f"c{i}"))
        allowed, _ = services.decisions.authorize(
            "t", {"customer_id": "c1", "template": {"name": "spring_sale", "language": "ru"}}
        )
        assert allowed
        services.consents.receive_inbound(
            "t", "c2", channel="whatsapp", received_at=None, text="СТОП"
        )
        services.consents.suppress("t", "c3", "bounced", on=True)
        services.consents.erase("t", "c4", "asked to")
        while _version_of(registry, "c0") < LONG_HISTORY:
            services.consents.opt_out("t", "c0", "whatsapp", "all", {"kind": "api"})
            services.consents.grant("t", grant_request("c0", channel="sms"))
        services.consents.erase("t", "c0", "asked to")


def _version_of(registry: Any, customer_id: str) -> int:
    return int(rows(registry)[("t", "customer", customer_id)][0])


def rows(registry: Any) -> dict[tuple[str, str, str], tuple[int, int, dict[str, Any]]]:
    with registry.db.transaction() as sql:
        found = sql.query("SELECT tenant, kind, key, version, position, doc FROM registry_views")
    return {(t, k, key): (int(v), int(p), json.loads(doc)) for t, k, key, v, p, doc in found}


def delete_views(registry: Any) -> None:
    with registry.db.transaction(commit=True) as sql:
        sql.execute("DELETE FROM registry_views")


@pytest.mark.parametrize("page", [1, 4, PAGE])
def test_rebuilt_rows_equal_the_live_rows_whatever_the_page_size(
    fresh_registry: Any, page: int
) -> None:
    record_histories(fresh_registry)
    live = rows(fresh_registry)
    delete_views(fresh_registry)

    assert rebuild(fresh_registry, page=page) == len(live) == 8

    assert rows(fresh_registry) == live


def test_a_rebuilt_row_carries_the_position_of_the_aggregates_last_event(
    fresh_registry: Any,
) -> None:
    record_histories(fresh_registry)
    delete_views(fresh_registry)

    rebuild(fresh_registry)

    version, position, _ = rows(fresh_registry)[("t", "customer", "c0")]
    aggregate_id = str(customer_aggregate_id("t", "c0"))
    with fresh_registry.db.transaction() as sql:
        positions = fresh_registry.db.positions_of(sql, aggregate_id, list(range(1, version + 2)))
    assert max(positions) == version
    assert position == positions[version]


def test_a_rebuild_never_puts_an_older_state_over_a_newer_row(fresh_registry: Any) -> None:
    record_histories(fresh_registry)
    live = rows(fresh_registry)
    version, position, _ = live[("t", "customer", "c1")]
    with fresh_registry.db.transaction(commit=True) as sql:
        sql.execute(
            "UPDATE registry_views SET version = ?, position = ?, doc = ? "
            "WHERE tenant = 't' AND kind = 'customer' AND key = 'c1'",
            [version + 1, position + 1000, '{"newer":true}'],
        )

    rebuild(fresh_registry)

    after = rows(fresh_registry)
    assert after[("t", "customer", "c1")] == (version + 1, position + 1000, {"newer": True})
    assert {k: v for k, v in after.items() if k[2] != "c1"} == {
        k: v for k, v in live.items() if k[2] != "c1"
    }


def test_a_rebuild_repairs_a_damaged_row_of_the_same_version(fresh_registry: Any) -> None:
    record_histories(fresh_registry)
    live = rows(fresh_registry)
    with fresh_registry.db.transaction(commit=True) as sql:
        sql.execute("UPDATE registry_views SET position = 0, doc = '{}' WHERE kind = 'template'")

    rebuild(fresh_registry)

    assert rows(fresh_registry) == live


def test_a_rebuild_writes_one_transaction_per_page_not_per_aggregate(
    fresh_registry: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    record_histories(fresh_registry)
    commits = 0
    transaction = fresh_registry.db.transaction

    def counting(*, commit: bool = False) -> Any:
        nonlocal commits
        commits += commit
        return transaction(commit=commit)

    monkeypatch.setattr(fresh_registry.db, "transaction", counting)

    assert rebuild(fresh_registry) == 8
    assert commits == 1


def test_a_page_whose_write_fails_on_a_lock_is_written_again(
    fresh_registry: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL may choose the rebuild's transaction as a deadlock victim when the
    server writes the same rows; the page is retried, not lost."""
    record_histories(fresh_registry)
    live = rows(fresh_registry)
    delete_views(fresh_registry)
    failures = iter([OperationalError("deadlock detected")])
    transaction = fresh_registry.db.transaction

    @contextmanager
    def failing_once(*, commit: bool = False) -> Iterator[Any]:
        with transaction(commit=commit) as sql:
            yield sql
            if commit:
                error = next(failures, None)
                if error is not None:
                    raise error

    monkeypatch.setattr(fresh_registry.db, "transaction", failing_once)

    assert rebuild(fresh_registry) == 8
    assert rows(fresh_registry) == live
