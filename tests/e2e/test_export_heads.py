"""The heads of the export's event lines as PostgreSQL assembles them (`event_heads`)
equal the heads made in Python from `leaf_events`, SQLite's path, also for a topic that
needs escapes and for stored states that are not one line; the readable data and data
keys come from the page's customers alone."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from audit.pages import event_heads, leaf_events, living_wrapped_keys, state_of_head

ODD_TOPIC = 'x"\\\n\t\x01\x1f é «т» \u2028 \U0001f600'


@pytest.fixture
def trail(api: Any, approved_template: dict[str, str], any_time_policy: None) -> None:
    for i in range(4):
        granted = api.post(
            "/v1/consents",
            json={
                "customer_id": f"h{i}",
                "channel": "whatsapp",
                "purposes": ["promotions"],
                "source": {"kind": "paper", "evidence": f"form {i}"},
                "phone": f"+7999100{i:04d}",
            },
        )
        assert granted.status_code == 201, granted.get_json()
    erased = api.post("/v1/customers/h3/erase", json={"reason": "art. 17"})
    assert erased.status_code == 200, erased.get_json()


def python_heads(registry: Any, tenant: str, size: int) -> list[tuple[Any, ...]]:
    with registry.db.transaction() as sql:
        events = leaf_events(registry.db, sql, tenant, before_index=size, limit=1000)
    return [
        (
            e.leaf_index,
            e.customer_id,
            e.leaf_hash,
            f'{{"kind":"event","leaf_index":{e.leaf_index},"position":{e.position},'
            f'"event":{e.event_json},"proof":',
            e.template,
        )
        for e in events
    ]


def database_heads(registry: Any, tenant: str, size: int) -> list[tuple[Any, ...]]:
    with registry.db.transaction() as sql:
        return list(event_heads(registry.db, sql, tenant, before_index=size, limit=1000))


@pytest.fixture
def altered(registry: Any, services: Any, tenant: str, trail: None) -> Iterator[list[int]]:
    """Three of the tenant's stored events altered (restored after): an odd topic, a
    state on several lines, a state that does not start with `{`."""
    db = registry.db
    size = int(services.audit.checkpoint(tenant)["tree_size"])
    with db.transaction() as sql:
        positions = [e.position for e in leaf_events(db, sql, tenant, before_index=size)][:3]
        select = f"SELECT topic, state FROM {db.events_table} WHERE {db.position_column} = ?"
        kept = [sql.query(select, [p])[0] for p in positions]
    states = [bytes(state) for _, state in kept]
    changes = [
        (ODD_TOPIC, states[0]),
        (kept[1][0], json.dumps(json.loads(states[1]), indent=1).encode()),
        (kept[2][0], b" \r\n" + states[2]),
    ]
    update = f"UPDATE {db.events_table} SET topic = ?, state = ? WHERE {db.position_column} = ?"
    with db.transaction(commit=True) as sql:
        for position, (topic, state) in zip(positions, changes, strict=True):
            sql.execute(update, [topic, state, position])
    try:
        yield positions
    finally:
        with db.transaction(commit=True) as sql:
            for position, (topic, state) in zip(positions, kept, strict=True):
                sql.execute(update, [topic, bytes(state), position])


def test_heads_equal_the_heads_made_in_python(
    registry: Any, services: Any, tenant: str, altered: Any
) -> None:
    size = int(services.audit.checkpoint(tenant)["tree_size"])
    heads = database_heads(registry, tenant, size)
    assert heads == python_heads(registry, tenant, size)
    first = json.loads(heads[0][3] + "[]}")
    assert first["event"]["topic"] == ODD_TOPIC
    assert all("\n" not in head and "\r" not in head for _, _, _, head, _ in heads)
    assert [json.loads(state_of_head(head)) for _, _, _, head, _ in heads[:3]][1:] == [
        json.loads(state_of_head(head))
        for _, _, _, head, _ in python_heads(registry, tenant, size)[1:3]
    ]


def test_a_state_on_several_lines_is_exported_as_it_was_stored(
    api: Any, registry: Any, services: Any, tenant: str, trail: None
) -> None:
    before = api.get("/v1/audit/events").get_data()
    db = registry.db
    size = int(services.audit.checkpoint(tenant)["tree_size"])
    with db.transaction() as sql:
        positions = [e.position for e in leaf_events(db, sql, tenant, before_index=size)]
        select = f"SELECT state FROM {db.events_table} WHERE {db.position_column} = ?"
        kept = {p: bytes(sql.query(select, [p])[0][0]) for p in positions}
    update = f"UPDATE {db.events_table} SET state = ? WHERE {db.position_column} = ?"
    with db.transaction(commit=True) as sql:
        for position, state in kept.items():
            sql.execute(update, [json.dumps(json.loads(state), indent=2).encode(), position])
    try:
        after = api.get("/v1/audit/events").get_data()
    finally:
        with db.transaction(commit=True) as sql:
            for position, state in kept.items():
                sql.execute(update, [state, position])
    assert after == before
    assert b'"readable":' in after


def test_only_living_customers_keys_are_read(registry: Any, tenant: str, trail: None) -> None:
    with registry.db.transaction() as sql:
        keys = living_wrapped_keys(sql, tenant, ["h0", "h1", "h3", "nobody"])
    assert sorted(keys) == ["h0", "h1"]
