"""R-CONFIRM's state is the log's: after the views are deleted and rebuilt, pending,
confirmed, re-granted and expired consents, the consent records' statuses and the feed are
what they were (both databases)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from registry.domain.base import acting_as
from registry.projections.rebuild import rebuild
from tests.conftest import promotions_grant
from tests.integration.test_rebuild import delete_views, fresh_registry, rows  # noqa: F401

TENANT = "t"


def record_state(services: Any) -> None:
    with acting_as("alice"):
        services.consents.grant(TENANT, {**promotions_grant("pending"), "confirmation": "required"})
        services.consents.grant(TENANT, {**promotions_grant("yes"), "confirmation": "required"})
        services.consents.receive_inbound(
            TENANT, "yes", channel="whatsapp", received_at=None, text="ДА"
        )
        old = (datetime.now(UTC) - timedelta(days=40)).isoformat()
        services.consents.grant(
            TENANT,
            {**promotions_grant("late"), "confirmation": "required",
             "granted_at": datetime.fromisoformat(old)},
        )  # fmt: skip
        services.consents.grant(TENANT, promotions_grant("back"))
        for text in ("STOP", "START"):
            services.consents.receive_inbound(
                TENANT, "back", channel="whatsapp", received_at=None, text=text
            )


def statuses(services: Any) -> dict[str, Any]:
    return {
        c: [x["status"] for x in services.consents.customer(TENANT, c)["consents"]]
        for c in ("pending", "yes", "late", "back")
    }


def test_double_opt_in_state_is_rebuilt_from_the_log(fresh_registry: Any) -> None:  # noqa: F811
    from registry.bootstrap import build_services

    services = build_services(fresh_registry)
    record_state(services)
    before = (rows(fresh_registry), statuses(services))
    feed_before = orjson.loads(
        services.feed.changes(TENANT, after_position=0, limit=1000)[0].json()
    )
    receipts = [c["receipt_id"] for c in feed_before["changes"] if "receipt_id" in c]
    records_before = [services.consent_records.record(TENANT, r)["purposes"] for r in receipts]
    delete_views(fresh_registry)
    rebuild(fresh_registry)
    assert (rows(fresh_registry), statuses(services)) == before
    assert statuses(services) == {
        "pending": ["pending"], "yes": ["granted"], "late": ["expired"],
        "back": ["withdrawn", "withdrawn", "withdrawn", "withdrawn", "granted", "withdrawn"],
    }  # fmt: skip
    feed_after = services.feed.changes(TENANT, after_position=0, limit=1000)[0]
    assert orjson.loads(feed_after.json()) == feed_before
    records = [services.consent_records.record(TENANT, r)["purposes"] for r in receipts]
    assert records == records_before
