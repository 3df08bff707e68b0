"""An import holds every new customer's prepared events until it writes them: each must
cost about its own bytes, not an allocator's minimum block."""

from __future__ import annotations

import tracemalloc
import uuid
from datetime import UTC, datetime

from registry.store.new_customers import NewCustomerGrant, new_customer_record

ROWS = 2000


def grant(number: int) -> NewCustomerGrant:
    return NewCustomerGrant(
        tenant="t1",
        customer_id=f"c{number}",
        aggregate_id=uuid.uuid5(uuid.NAMESPACE_URL, f"t1/c{number}"),
        profile={"timezone": "Europe/Moscow"},
        receipt_id=f"rcpt_{number:032d}",
        channel="whatsapp",
        purposes=["promotions"],
        source={"kind": "import"},
        granted_at=None,
        expires_at=None,
    )


def test_prepared_rows_cost_about_their_bytes() -> None:
    grants = [grant(n) for n in range(ROWS)]
    now = datetime(2026, 11, 24, 12, tzinfo=UTC)
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        records = [new_customer_record(g, actor="a", request_id="r", now=now) for g in grants]
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    payload = sum(len(e.state) + len(e.leaf) for record in records for e in record.events) + sum(
        len(record.document) for record in records
    )
    assert held < 2.5 * payload, (held // ROWS, payload // ROWS)
