"""The hourly outcome counts (registry/store/send_hours.py) always equal a recount of
registry_sends by the domain's counting rule, whatever writes the rows (one event's
upsert, a batch's upsert, a delete), and a rolling window read from them equals the
sends counted one by one from any moment, a part of an hour included (both databases).
registry_sends itself is rebuilt from the log (test_outcome_batches, test_limits_api),
so the counts are recomputable from it."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from registry.bootstrap import build_registry
from registry.config import load_settings
from registry.domain.outcome_counts import send_counts
from registry.domain.send import SendIdentity
from registry.projections.send_reads import channel_window, version_window
from registry.projections.sends import (
    FLAGS,
    micros,
    send_flags_row,
    send_row,
    write_send_flags,
)
from registry.store import migrate
from registry.store.send_hours import HOUR_MICROS
from tests.conftest import environment_for
from tests.integration.databases import fresh_database_url
from tests.integration.test_rebuild import fresh_registry  # noqa: F401 (fixture)

BOUNDARY = datetime(2026, 11, 2, 10, tzinfo=UTC)  # an hour's start
OFFSETS = (
    timedelta(hours=-1, minutes=-30),
    timedelta(microseconds=-1),
    timedelta(0),
    timedelta(minutes=30),
    timedelta(hours=1, minutes=59),
)
SENDS = 12


def identity(index: int) -> SendIdentity:
    return SendIdentity(
        authorization_id=f"a{index:02d}",
        customer_id=f"c{index}",
        channel=("whatsapp", "sms")[index % 2],
        template={"name": "spring_sale", "language": "ru", "version": (1, 2, None)[index % 3]},
        purpose="promotions",
        authorized_at=BOUNDARY + OFFSETS[index % len(OFFSETS)],
    )


def tenant_of(index: int) -> str:
    return "t" if index < SENDS - 3 else "u"


def one_event(sql: Any, index: int, flag: str | None) -> None:
    send = identity(index)
    for statement, params in send_row(
        tenant_of(index),
        authorization_id=send.authorization_id,
        customer_id=send.customer_id,
        channel=send.channel,
        template=send.template,
        purpose=send.purpose,
        authorized_at=send.authorized_at,
        message_ref=None,
        send_version=1,
        flag=flag,
    ):
        sql.execute(statement, params)


def batch(sql: Any, sends: dict[int, set[str]]) -> None:
    for tenant in ("t", "u"):
        rows = [
            send_flags_row(tenant, identity(i), None, 2, flags)
            for i, flags in sorted(sends.items())
            if tenant_of(i) == tenant
        ]
        write_send_flags(sql, rows)


def delete(sql: Any, index: int) -> None:
    sql.execute(
        "DELETE FROM registry_sends WHERE tenant = ? AND authorization_id = ?",
        [tenant_of(index), identity(index).authorization_id],
    )


def apply(sql: Any, operation: tuple[Any, ...]) -> None:
    kind, argument = operation
    if kind == "event":
        one_event(sql, *argument)
    elif kind == "batch":
        batch(sql, argument)
    else:
        delete(sql, argument)


def kept(sql: Any) -> dict[tuple[Any, ...], Counter[str]]:
    counts: dict[tuple[Any, ...], Counter[str]] = {}
    tables = {
        "registry_version_hours": "tenant, template_name, language, version, hour",
        "registry_channel_hours": "tenant, channel, hour",
    }
    for table, keys in tables.items():
        for row in sql.query(f"SELECT {keys}, {', '.join(FLAGS)} FROM {table}"):
            width = len(keys.split(","))
            found = Counter({f: int(v) for f, v in zip(FLAGS, row[width:], strict=True) if v})
            if found:
                counts[(table, *row[:width])] = found
    return counts


def recounted(sql: Any) -> dict[tuple[Any, ...], Counter[str]]:
    """The domain's rule applied to each row of registry_sends, one by one."""
    counts: dict[tuple[Any, ...], Counter[str]] = {}
    rows = sql.query(
        f"SELECT tenant, template_name, language, version, channel, authorized_at, "
        f"{', '.join(FLAGS)} FROM registry_sends"
    )
    for tenant, name, language, version, channel, at, *flags in rows:
        names = send_counts({f for f, on in zip(FLAGS, flags, strict=True) if on}, FLAGS)
        hour = int(at) // HOUR_MICROS
        keys = [("registry_channel_hours", tenant, channel, hour)]
        if version is not None:
            keys.append(("registry_version_hours", tenant, name, language, version, hour))
        for key in keys:
            counts.setdefault(key, Counter()).update(names)
    return {key: +found for key, found in counts.items() if +found}


flags = st.sets(st.sampled_from(FLAGS), max_size=3)
operations = st.lists(
    st.one_of(
        st.tuples(
            st.just("event"),
            st.tuples(st.integers(0, SENDS - 1), st.one_of(st.none(), st.sampled_from(FLAGS))),
        ),
        st.tuples(st.just("batch"), st.dictionaries(st.integers(0, SENDS - 1), flags, max_size=6)),
        st.tuples(st.just("delete"), st.integers(0, SENDS - 1)),
    ),
    min_size=1,
    max_size=12,
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(operations=operations)
def test_the_kept_hours_equal_a_recount_after_any_writes(
    fresh_registry: Any,  # noqa: F811
    operations: list[tuple[Any, ...]],
) -> None:
    db = fresh_registry.db
    with db.transaction(commit=True) as sql:
        sql.execute("DELETE FROM registry_sends")
        assert kept(sql) == {}  # every row's counts were subtracted again
        sql.execute("DELETE FROM registry_version_hours")
        sql.execute("DELETE FROM registry_channel_hours")

    for operation in operations:
        with db.transaction(commit=True) as sql:
            apply(sql, operation)

    with db.transaction() as sql:
        assert kept(sql) == recounted(sql)


def test_a_window_from_any_moment_counts_the_sends_authorized_since_it(
    fresh_registry: Any,  # noqa: F811
) -> None:
    db = fresh_registry.db
    statuses = ("delivered", "read", "complained", "opted_out", "sent", "failed")
    with db.transaction(commit=True) as sql:
        for index in range(SENDS):
            one_event(sql, index, None)
            one_event(sql, index, statuses[index % len(statuses)])
            if index % 4 == 0:
                one_event(sql, index, "complained")
    moments = [BOUNDARY + offset for offset in OFFSETS]
    moments += [BOUNDARY + timedelta(microseconds=1), BOUNDARY - timedelta(days=30)]
    with db.transaction() as sql:
        for since in moments:
            expected = by_hand(sql, since)
            for (tenant, scope), counts in expected.items():
                if isinstance(scope, int):
                    found = version_window(sql, tenant, "spring_sale", "ru", scope, since)
                else:
                    found = channel_window(sql, tenant, scope, since)
                assert +Counter(found) == counts, (since, tenant, scope)


def by_hand(sql: Any, since: datetime) -> dict[tuple[str, Any], Counter[str]]:
    expected: dict[tuple[str, Any], Counter[str]] = {
        (tenant, scope): Counter() for tenant in ("t", "u") for scope in (1, 2, "whatsapp", "sms")
    }
    rows = sql.query(
        f"SELECT tenant, version, channel, authorized_at, {', '.join(FLAGS)} FROM registry_sends"
    )
    for tenant, version, channel, at, *flags in rows:
        if int(at) < micros(since):
            continue
        names = send_counts({f for f, on in zip(FLAGS, flags, strict=True) if on}, FLAGS)
        expected[(tenant, channel)].update(names)
        if version is not None:
            expected[(tenant, version)].update(names)
    return expected


@pytest.mark.parametrize("dialect", ["sqlite", "postgres"])
def test_upgrading_counts_the_sends_already_there(dialect: str, tmp_path: Any) -> None:
    """Revision 0007 on a database with sends: the hours are counted from its rows."""
    columns = "tenant, authorization_id, customer_id, channel, template_name, language, "
    columns += "version, purpose, authorized_at, send_version, delivered, read, complained"
    at = micros(BOUNDARY)
    rows = [
        f"('t', 'a{i}', 'c{i}', 'whatsapp', 'spring_sale', 'ru', {1 + i % 2}, 'promotions', "
        f"{at + i * HOUR_MICROS // 2}, 1, {i % 2}, {int(i % 3 == 0)}, {int(i == 4)})"
        for i in range(6)
    ]
    with fresh_database_url(dialect, tmp_path) as url:
        environment = environment_for(url, tmp_path)
        migrate.upgrade(
            load_settings(environment).database,
            "0006",
            then_run=[f"INSERT INTO registry_sends ({columns}) VALUES {', '.join(rows)}"],
        )
        registry = build_registry(load_settings(environment))  # migrates to the head
        try:
            with registry.db.transaction() as sql:
                found = kept(sql)
                assert found == recounted(sql)
                assert sum(c["delivered"] for c in found.values()) == 2 * 5  # per table
        finally:
            registry.close()


def test_the_triggers_count_by_the_domain_rule_as_of_the_head_migration() -> None:
    """Revision 0007 freezes the flags and the rule its triggers count by. Changing
    registry/domain/outcome_counts.py needs a new revision that recreates the triggers;
    this fails until it exists."""
    from registry.domain.outcome_counts import shown_by
    from registry.store.migrations import SCRIPT_LOCATION

    namespace: dict[str, Any] = {}
    path = SCRIPT_LOCATION / "versions" / "0007_send_hours.py"
    exec(compile(path.read_text(encoding="utf-8"), str(path), "exec"), namespace)
    assert tuple(namespace["FLAGS"]) == FLAGS
    assert {flag: namespace["shown_by"](flag) for flag in FLAGS} == {
        flag: shown_by(flag) for flag in FLAGS
    }
