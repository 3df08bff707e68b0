"""R-OUTCOME batches on both databases: large enough to be written in bulk (COPY on
PostgreSQL), recorded once when two of them race for the same sends, decided in one pass
with statuses repeated inside the batch, and recounted the same after a rebuild."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from registry.domain.base import acting_as
from registry.projections.rebuild import rebuild
from tests.conftest import ApiClient
from tests.e2e.outcome_helpers import authorize, feedback_policy

SENDS = 40  # 80 events for first statuses: above the bulk insert's threshold


@pytest.fixture
def refs(api: ApiClient, approved_template: dict[str, Any]) -> list[str]:
    feedback_policy(api)
    for i in range(SENDS):
        authorize(api, f"c{i}", message_ref=f"wamid.batch.{i}")
    return [f"wamid.batch.{i}" for i in range(SENDS)]


def _statuses(refs: list[str], status: str) -> list[dict[str, Any]]:
    return [{"message_ref": ref, "status": status} for ref in refs]


def test_two_racing_batches_of_the_same_statuses_record_each_once(
    api: ApiClient, registry: Any, services: Any, tenant: str, refs: list[str]
) -> None:
    def run(_: int) -> dict[str, Any]:
        with acting_as("platform:whatsapp", "req-race"):
            return dict(services.outcomes.record_outcomes(tenant, _statuses(refs, "delivered")))

    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(run, range(2)))

    assert sum(a["recorded"] for a in answers) == SENDS
    assert sum(a["duplicates"] for a in answers) == SENDS
    first = api.get("/v1/authorizations/" + _authorization_of(registry, tenant, refs[0])).get_json()
    assert [(o["status"], o["actor"]) for o in first["outcomes"]] == [
        ("delivered", "platform:whatsapp")
    ]
    total = api.get("/v1/templates/spring_sale/ru/stats").get_json()["total"]
    assert (total["delivered"], total["sent"]) == (SENDS, SENDS)


def test_a_batch_decides_statuses_repeated_inside_it_once(
    api: ApiClient, registry: Any, services: Any, tenant: str, refs: list[str]
) -> None:
    items = [*_statuses(refs, "delivered"), *_statuses(refs, "read"), *_statuses(refs, "read")]

    answer = services.outcomes.record_outcomes(tenant, items)

    assert (answer["recorded"], answer["duplicates"], answer["unknown"]) == (2 * SENDS, SENDS, 0)
    one = api.get("/v1/authorizations/" + _authorization_of(registry, tenant, refs[-1])).get_json()
    assert [o["status"] for o in one["outcomes"]] == ["delivered", "read"]
    assert services.outcomes.record_outcomes(tenant, items)["duplicates"] == 3 * SENDS


def test_a_bulk_written_batch_is_recounted_the_same_after_a_rebuild(
    api: ApiClient, registry: Any, services: Any, tenant: str, refs: list[str]
) -> None:
    services.outcomes.record_outcomes(
        tenant, [*_statuses(refs, "delivered"), *_statuses(refs[:10], "complained")]
    )
    stats = api.get("/v1/templates/spring_sale/ru/stats").get_json()
    with registry.db.transaction(commit=True) as sql:
        sql.execute("DELETE FROM registry_sends WHERE tenant = ?", [tenant])

    rebuild(registry)

    rebuilt = api.get("/v1/templates/spring_sale/ru/stats").get_json()
    assert rebuilt["total"] == stats["total"]
    assert (rebuilt["total"]["delivered"], rebuilt["total"]["complained"]) == (SENDS, 10)


def _authorization_of(registry: Any, tenant: str, ref: str) -> str:
    with registry.db.transaction() as sql:
        return str(
            sql.scalar(
                "SELECT authorization_id FROM registry_message_refs "
                "WHERE tenant = ? AND message_ref = ?",
                [tenant, ref],
            )
        )
