"""The JSON-lines export, byte for byte, against a straightforward reference built from
the registry's one-at-a-time reads: per event its stored row, its single inclusion proof
(`audit.log.inclusion_proof`) and the customer's opener as the history endpoints make
it, serialised with `json`. Runs on SQLite and PostgreSQL, over several export pages."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

import pytest

from audit import log as audit_log
from registry.projections.history import readable
from registry.usecases import audit as audit_usecases


def compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def reference_export(registry: Any, services: Any, tenant: str, filters: dict[str, Any]) -> bytes:
    checkpoint = services.audit.checkpoint(tenant)
    size = int(checkpoint["tree_size"])
    lines = [compact({"kind": "checkpoint", **checkpoint})]
    with registry.db.transaction() as sql:
        rows = audit_log.leaf_rows(sql, tenant, before_index=size, limit=10**9, **filters)
    for row in rows:
        event_json, state = stored_event(registry, row.position)
        with registry.db.transaction() as sql:
            proof = audit_log.inclusion_proof(sql, tenant, row.index, size)
        line = (
            f'{{"kind":"event","leaf_index":{row.index},"position":{row.position},'
            f'"event":{event_json},"proof":{compact([node.hex() for node in proof])}'
        )
        if row.customer_id is not None and not is_erased(registry, tenant, row.customer_id):
            line += f',"customer_id":{compact(row.customer_id)}'
        if row.template is not None:
            name, language = row.template.split("/", 1)
            line += f',"template":{compact({"name": name, "language": language})}'
        # SPEC §18: the subject of the line, beside the leaf (no customer once erased)
        opened = readable_state(registry, tenant, row.customer_id, state)
        if opened is not None:
            line += f',"readable":{compact(opened)}'
        lines.append(line + "}")
    lines.append(compact({"kind": "end", "count": len(rows)}))
    return ("\n".join(lines) + "\n").encode("utf-8")


def is_erased(registry: Any, tenant: str, customer_id: str) -> bool:
    docs, _ = registry.views.read(tenant, [("customer", customer_id)])
    doc = docs.get(("customer", customer_id))
    return bool(doc and doc.get("erased"))


def stored_event(registry: Any, position: int) -> tuple[str, str]:
    db = registry.db
    with db.transaction() as sql:
        ((originator_id, version, topic, state),) = sql.query(
            f"SELECT originator_id, originator_version, topic, state FROM {db.events_table} "
            f"WHERE {db.position_column} = ?",
            [position],
        )
    text = bytes(state).decode("utf-8")
    leaf = (
        f'{{"originator_id":"{UUID(str(originator_id))}","originator_version":{version},'
        f'"topic":{json.dumps(topic, ensure_ascii=False)},"state":{text}}}'
    )
    return leaf, text


def readable_state(
    registry: Any, tenant: str, customer_id: str | None, state: str
) -> dict[str, Any] | None:
    if customer_id is None or '"enc:v1:' not in state:
        return None
    docs, _ = registry.views.read(tenant, [("customer", customer_id)])
    doc = docs.get(("customer", customer_id))
    if doc is None:
        return None
    open_value = registry.opener(tenant, customer_id, doc["erased"])
    opened_any = False

    def tracked(value: Any) -> Any:
        nonlocal opened_any
        opened = open_value(value)
        opened_any = opened_any or opened is not None
        return opened

    result = readable(json.loads(state), tracked)
    return result if opened_any and isinstance(result, dict) else None


@pytest.fixture
def trail(api: Any, approved_template: dict[str, str], any_time_policy: None) -> None:
    """Customers with sealed phones and evidence (one with Cyrillic and control
    characters), one erased, one erased who then writes in (a new key seals the text)."""
    for i in range(7):
        granted = api.post(
            "/v1/consents",
            json={
                "customer_id": f"c{i}",
                "channel": "whatsapp",
                "purposes": ["promotions"],
                "source": {"kind": "paper", "evidence": f'бумага №{i}\t"x"\u2028'},
                "phone": f"+7999000{i:04d}",
                "timezone": "Europe/Moscow",
            },
        )
        assert granted.status_code == 201, granted.get_json()
    for customer in ("c2", "c5"):
        answer = api.post(f"/v1/customers/{customer}/erase", json={"reason": "art. 17"})
        assert answer.status_code == 200, answer.get_json()
    written = api.post("/v1/customers/c5/inbound", json={"text": "привет after erasure"})
    assert written.status_code == 201, written.get_json()
    written = api.post("/v1/customers/c3/inbound", json={"text": "ok \U0001f600"})
    assert written.status_code == 201, written.get_json()


@pytest.mark.parametrize(
    "query, filters",
    [
        ("", {}),
        ("&customer_id=c3", {"customer_id": "c3"}),
        ("&customer_id=c5", {"customer_id": "c5"}),
        ("&template=spring_sale/ru", {"template": "spring_sale/ru"}),
    ],
)
def test_jsonl_export_is_byte_identical_to_the_reference(
    api: Any,
    registry: Any,
    services: Any,
    tenant: str,
    trail: None,
    monkeypatch: pytest.MonkeyPatch,
    query: str,
    filters: dict[str, Any],
) -> None:
    monkeypatch.setattr(audit_usecases, "EXPORT_PAGE", 4)
    answer = api.get(f"/v1/audit/events?format=jsonl{query}")
    assert answer.status_code == 200
    exported = answer.get_data()
    assert exported == reference_export(registry, services, tenant, filters)
    assert exported.count(b"\n") > 2


def export_lines(api: Any, query: str) -> list[str]:
    """The export's lines (split on newlines only: U+2028 inside a line stays raw)."""
    answer = api.get(f"/v1/audit/events?{query}")
    assert answer.status_code == 200
    text: str = answer.get_data(as_text=True)
    assert text.endswith("\n")
    return text.split("\n")[:-1]


def test_an_erased_customer_stays_sealed_even_under_a_new_key(
    api: Any, registry: Any, tenant: str, trail: None
) -> None:
    lines = export_lines(api, "customer_id=c5")
    events = [json.loads(line) for line in lines[1:-1]]
    inbound = [e for e in events if e["event"]["topic"].endswith("InboundReceived")]
    assert len(inbound) == 1 and inbound[0]["event"]["state"]["text"].startswith("enc:v1:")
    assert registry.data_key(tenant, "c5", create=False) is not None
    assert all("readable" not in e for e in events)
    assert "привет" not in "".join(lines)


def test_a_living_customers_personal_data_is_readable(api: Any, trail: None) -> None:
    lines = export_lines(api, "customer_id=c3")
    readables = [json.loads(line)["readable"] for line in lines[1:-1] if '"readable"' in line]
    assert {"phone": "+79990000003", "timezone": "Europe/Moscow"} in [
        r.get("changes") for r in readables
    ]
    assert 'бумага №3\t"x"\u2028' in [r.get("source", {}).get("evidence") for r in readables]
    assert "ok \U0001f600" in [r.get("text") for r in readables]
