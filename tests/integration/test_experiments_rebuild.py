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


def _results_with_sends(registry: Any) -> Any:
    """A running experiment with sends, outcomes, an opt-out and a stopped arm."""
    from registry.bootstrap import build_services
    from registry.domain.rules.assignment import assign_arm

    services = build_services(registry)
    experiments = services.experiments
    with acting_as("alice"):
        services.policies.replace_policy(
            TENANT,
            {"send_window": None, "send_days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
             "holidays": None, "marketing_daily_limit": None,
             "feedback": {"min_delivered": 2, "template_pause_complaint_rate": 1,
                          "template_pause_opt_out_rate": 1}},
        )  # fmt: skip
        services.templates.submit_template(TENANT, MARKETING_TEMPLATE)
    with acting_as("bob"):
        services.templates.change_template(
            TENANT, "spring_sale", "ru", "review", version=1, decision="approve", reason="ok"
        )
    definition = {**_definition("ab"), "min_sample_per_arm": 2}
    definition["guardrails"] = {"max_opt_out_rate": "0.6", "max_complaint_rate": "0.4"}
    with acting_as("alice"):
        experiments.create(TENANT, definition)
    with acting_as("bob"):
        experiments.change(TENANT, "ab", "start")
    arms = [(arm["name"], arm["weight"]) for arm in definition["arms"]]
    with acting_as("alice"):
        ids = {}
        for index in range(40):
            customer_id = f"c{index}"
            services.consents.grant(
                TENANT,
                {"customer_id": customer_id, "channel": "whatsapp", "purposes": ["promotions"],
                 "source": {"kind": "api"}},
            )  # fmt: skip
            allowed, body = services.decisions.authorize(
                TENANT, {"customer_id": customer_id, "experiment": "ab"}
            )
            if allowed:
                ids[customer_id] = (body["authorization_id"], body["arm"])
        assert {arm for _, arm in ids.values()} == {"a", "b"}
        assert all(assign_arm(TENANT, "ab", c, arms) == arm for c, (_, arm) in ids.items())
        items = [{"authorization_id": a, "status": "delivered"} for a, _ in ids.values()]
        items += [{"authorization_id": a, "status": "clicked"} for a, arm in ids.values()
                  if arm == "b"]  # fmt: skip
        services.outcomes.record_outcomes(TENANT, items)
        in_a = sorted(c for c, (_, arm) in ids.items() if arm == "a")
        services.consents.opt_out(TENANT, in_a[0], "whatsapp", "all", {"kind": "api"})
        complaints = [{"authorization_id": ids[c][0], "status": "complained"} for c in in_a]
        services.outcomes.record_outcomes(TENANT, complaints)  # a: every send complained
    return experiments


def _delete_derived_rows(registry: Any) -> None:
    with registry.db.transaction(commit=True) as sql:
        for table in ("registry_views", "registry_sends", "registry_experiment_sends"):
            sql.execute(f"DELETE FROM {table}")


def test_experiment_results_are_rebuilt_from_the_log(fresh_registry: Any) -> None:  # noqa: F811
    experiments = _results_with_sends(fresh_registry)
    before = experiments.experiment(TENANT, "ab")
    a, b = before["arms"]
    assert a["stopped"] is not None and a["opted_out"] == 1 and a["complained"] == a["delivered"]
    assert b["clicked"] == b["delivered"] > 0 and before["p_value"] is not None
    _delete_derived_rows(fresh_registry)
    rebuild(fresh_registry)
    after = experiments.experiment(TENANT, "ab")
    assert {**after, "position": None} == {**before, "position": None}
