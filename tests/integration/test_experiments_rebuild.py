"""R-EXPERIMENT state is the log's: after the views are deleted and rebuilt, an experiment's
status, creator, starter and winner are what they were (both databases)."""

from __future__ import annotations

from typing import Any

from registry.domain.base import acting_as
from registry.projections.rebuild import rebuild
from tests.conftest import MARKETING_TEMPLATE
from tests.integration.test_rebuild import delete_views, fresh_registry, rows  # noqa: F401

TENANT = "t"


def _definition(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "channel": "whatsapp",
        "purpose": "promotions",
        "arms": [
            {"name": "a", "template": {"name": "spring_sale", "language": "ru"}, "weight": 50},
            {"name": "b", "template": {"name": "spring_sale", "language": "ru"}, "weight": 40},
        ],
        "control_weight": 10,
        "metric": "clicked",
        "min_sample_per_arm": 1000,
        "guardrails": {"max_opt_out_rate": "0.02", "max_complaint_rate": "0.001"},
    }


def test_experiments_are_rebuilt_from_the_log(fresh_registry: Any) -> None:  # noqa: F811
    from registry.bootstrap import build_services

    services = build_services(fresh_registry)
    experiments = services.experiments
    with acting_as("alice"):
        services.templates.submit_template(TENANT, MARKETING_TEMPLATE)
        for name in ("draft", "concluded", "stopped"):
            experiments.create(TENANT, _definition(name))
    with acting_as("bob"):
        for name in ("concluded", "stopped"):
            experiments.change(TENANT, name, "start")
        experiments.change(TENANT, "concluded", "conclude", winner="b", reason="clicks")
        experiments.change(TENANT, "stopped", "stop", reason=None)
    before = (rows(fresh_registry), experiments.list(TENANT)["experiments"])
    delete_views(fresh_registry)
    rebuild(fresh_registry)
    after = experiments.list(TENANT)["experiments"]
    assert (rows(fresh_registry), after) == before
    assert [
        (e["name"], e["status"], e["created_by"], e["started_by"], e["winner"]) for e in after
    ] == [
        ("concluded", "CONCLUDED", "alice", "bob", "b"),
        ("draft", "DRAFT", "alice", None, None),
        ("stopped", "STOPPED", "alice", "bob", None),
    ]
