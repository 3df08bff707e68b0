"""On both databases, an import whose new customers take the bulk path (stored events
built without the aggregate) records what the aggregate path records for the same rows:
events in the same log order, aggregates that load back the same, the same views,
answers and Merkle leaf labels; and erasure still destroys the customer's data key."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from typing import Any

import pytest

from registry import personal_data
from registry.crypto import is_sealed
from registry.domain.customer import customer_aggregate_id
from registry.store.recorders import COPY_EVENTS_FROM
from registry.usecases.imports import ImportService
from tests.conftest import ApiClient

NDJSON = {"Content-Type": "application/x-ndjson"}
VOLATILE = {"timestamp", "request_id", "aggregate_id", "tenant"}  # differ between runs


def _rows() -> list[dict[str, Any]]:
    """New customers (most with personal data), one new customer with two rows, and
    a known customer (`known`, granted before the import) in the middle."""
    rows: list[dict[str, Any]] = []
    for i in range(COPY_EVENTS_FROM):
        row: dict[str, Any] = {
            "customer_id": f"n{i}",
            "channel": ["whatsapp", "sms", "email"][i % 3],
            "purposes": [["promotions"], ["alerts", "service"], ["reminders"]][i % 3],
            "source": {"kind": "import", "evidence": f"форма №{i}", "ip": "10.0.0.1"},
            "granted_at": f"2025-0{1 + i % 9}-01T10:00:00+03:00",
        }
        if i % 2:
            row.update(phone=f"+7912000{i:04d}", timezone="Europe/Moscow", locale="ru_RU")
        if i % 5 == 0:
            row.update(expires_at="2030-01-01T00:00:00Z", source={"kind": "paper"})
        rows.append(row)
    rows.insert(10, {**rows[3], "customer_id": "known", "timezone": "Asia/Tokyo"})
    rows.insert(20, {**rows[4], "customer_id": "twice", "phone": "+79120009999"})
    rows.append({**rows[5], "customer_id": "twice", "locale": "en_GB"})
    return rows


def _import(api: ApiClient, rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    answer = api.post(
        "/v1/consents/import", data="\n".join(json.dumps(r) for r in rows), headers=NDJSON
    )
    assert answer.status_code == 201, answer.get_json()
    body: dict[str, Any] = answer.get_json()
    return body


def _readable(value: Any, open_value: Any) -> Any:
    """A document or event with sealed values opened and run-specific values dropped."""
    if isinstance(value, dict):
        return {k: _readable(v, open_value) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [_readable(v, open_value) for v in value]
    if is_sealed(value):
        return ("sealed", open_value(value))
    if isinstance(value, str) and value.startswith("rcpt_"):
        return "rcpt"
    return value


def _recorded(registry: Any, api: ApiClient, tenant: str) -> dict[str, Any]:
    """Everything the import left: answers, views, loaded aggregates, leaves."""
    with registry.db.transaction() as sql:
        views = dict(
            sql.query(
                "SELECT key, doc FROM registry_views WHERE tenant = ? AND kind = 'customer'",
                [tenant],
            )
        )
        leaves = sql.query(
            "SELECT event_type, customer_id, actor FROM audit_leaves WHERE tenant = ? "
            "ORDER BY leaf_index",
            [tenant],
        )
    recorded: dict[str, Any] = {"leaves": leaves}
    for customer_id in views:
        open_value = registry.opener(tenant, customer_id, False)
        customer = registry.repository.get(customer_aggregate_id(tenant, customer_id))
        state = {k: v for k, v in vars(customer).items() if k not in ("_id", "_pending_events")}
        history = api.get(f"/v1/customers/{customer_id}/history").get_json()["events"]
        answer = api.get(f"/v1/customers/{customer_id}").get_json()
        recorded[customer_id] = _readable(
            {
                "view": json.loads(views[customer_id]),
                "aggregate": json.loads(json.dumps(state, default=str)),
                "history": [[e["type"], e["data"]] for e in history],
                "answer": {k: v for k, v in answer.items() if k != "position"},
            },
            open_value,
        )
    return recorded


def _drop_moments(recorded: dict[str, Any]) -> dict[str, Any]:
    """The aggregates' own creation moments differ from run to run."""
    for key, value in recorded.items():
        if key != "leaves":
            for name in ("_created_on", "_modified_on"):
                value["aggregate"].pop(name)
    return recorded


def test_the_bulk_path_records_what_the_aggregate_path_records(
    app: Any, registry: Any, token: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    recorded = []
    for bulk in (True, False):
        tenant = "t" + uuid.uuid4().hex[:12]
        api = ApiClient(app.test_client(), token(tenant_id=tenant))
        known = _rows()[10]
        assert (
            api.post("/v1/consents", json={**known, "timezone": "Europe/Berlin"}).status_code == 201
        )
        with monkeypatch.context() as patch:
            if not bulk:  # every customer through its aggregate
                patch.setattr(ImportService, "_single_new_customers", lambda *_: set())
            _import(api, _rows())
        recorded.append(_drop_moments(_recorded(registry, api, tenant)))
    bulk_path, aggregate_path = recorded
    assert len(bulk_path) == COPY_EVENTS_FROM + 3  # leaves, `known`, `twice` and the rest
    assert bulk_path == aggregate_path


def test_erasing_a_customer_imported_by_the_bulk_path_destroys_its_key(
    api: ApiClient, registry: Any, tenant: str
) -> None:
    rows = [
        {
            "customer_id": f"e{i}",
            "purposes": ["promotions"],
            "source": {"kind": "import", "evidence": "signed form"},
            "phone": f"+7912000{i:04d}",
        }
        for i in range(COPY_EVENTS_FROM)
    ]
    _import(api, rows)
    assert api.get("/v1/customers/e7").get_json()["phone"] == "+79120000007"
    assert api.post("/v1/customers/e7/erase", json={"reason": "art. 17"}).status_code == 200
    assert registry.data_key(tenant, "e7", create=False) is None
    state = api.get("/v1/customers/e7").get_json()
    assert (state["erased"], state["phone"]) == (True, None)
    assert state["consents"][0]["source"]["evidence"] is None
    registered = api.get("/v1/customers/e7/history").get_json()["events"][0]
    assert is_sealed(registered["data"]["profile"]["phone"])  # stays sealed: the key is gone
    assert api.get("/v1/customers/e8").get_json()["phone"] == "+79120000008"


def test_a_data_key_a_concurrent_writer_stored_first_is_the_one_used(
    api: ApiClient, registry: Any, tenant: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    stored_first = registry.data_key(tenant, "raced", create=True)
    reads: list[int] = []
    real_read = personal_data._stored_keys

    def first_read_before_the_race(*args: Any) -> dict[str, bytes]:
        reads.append(1)
        return {} if len(reads) == 1 else real_read(*args)

    monkeypatch.setattr(personal_data, "_stored_keys", first_read_before_the_race)
    keys = registry.import_data_keys(tenant, ["raced", "fresh"])
    monkeypatch.undo()
    assert keys["raced"] == stored_first
    assert keys["fresh"] == registry.data_key(tenant, "fresh", create=False)
