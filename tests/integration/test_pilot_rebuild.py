"""SPEC §13 pilots are recomputable from the log: after the pilot tables are emptied,
`make rebuild` writes the same customers (with the moment each joined) and the same
counts, from the `Customer.SendAuthorized` events that name a pilot (both databases)."""

from __future__ import annotations

from typing import Any

from registry.bootstrap import build_services
from registry.domain.base import acting_as
from registry.projections.rebuild import rebuild
from tests.integration.test_rebuild import (  # noqa: F401 (fixture)
    POLICY,
    TEMPLATE,
    fresh_registry,
    grant_request,
)

SPRING_SALE = {"name": "spring_sale", "language": "ru"}


def pilot_rows(registry: Any) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    with registry.db.transaction() as sql:
        counts = sql.query(
            "SELECT tenant, template, pilot, customers FROM registry_pilots ORDER BY 1, 2, 3"
        )
        customers = sql.query(
            "SELECT tenant, template, customer_id, pilot, joined_at "
            "FROM registry_pilot_customers ORDER BY 1, 2, 3, 4"
        )
    return counts, customers


def test_pilot_counts_and_customers_are_rebuilt_from_the_log(fresh_registry: Any) -> None:  # noqa: F811
    services = build_services(fresh_registry)
    with acting_as("alice"):
        services.policies.replace_policy("t", {**POLICY, "pilot": {"customers": 3}})
        services.templates.submit_template("t", TEMPLATE)
    with acting_as("bob"):
        services.templates.change_template(
            "t", "spring_sale", "ru", "review", version=1, decision="approve", reason="ok"
        )
    outcomes = []
    with acting_as("alice"):
        for customer in ("c0", "c1", "c0", "c2", "c3"):
            services.consents.grant("t", grant_request(customer))
            allowed, _ = services.decisions.authorize(
                "t", {"customer_id": customer, "template": SPRING_SALE}
            )
            outcomes.append(allowed)
    before = pilot_rows(fresh_registry)
    with fresh_registry.db.transaction(commit=True) as sql:
        sql.execute("DELETE FROM registry_pilots")
        sql.execute("DELETE FROM registry_pilot_customers")

    rebuild(fresh_registry)

    assert outcomes == [True, True, True, True, False]  # c3: the pilot of 3 is full
    assert before[0] == [("t", "spring_sale/ru", 1, 3)]
    assert [row[2] for row in before[1]] == ["c0", "c1", "c2"]
    assert pilot_rows(fresh_registry) == before
