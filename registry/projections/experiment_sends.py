"""`registry_experiment_sends`: the experiment arm of every authorization that came from
one, derived from `Customer.SendAuthorized` (v2 names `experiment: {name, arm}`) in the
event's transaction and by `make rebuild` alike (both go through sends.event_rows).

An experiment's tallies are this table joined with `registry_sends` (the outcomes'
rows, registry/projections/sends.py), so every figure of its results is the log's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from registry.domain.experiment_results import COUNTED, ArmTally
from registry.projections.outcome_sums import count_sum
from registry.store.sql import Sql

Statement = tuple[str, list[Any]]

_INSERT: Final = (
    "INSERT INTO registry_experiment_sends (tenant, authorization_id, experiment, arm) "
    "VALUES (?, ?, ?, ?) ON CONFLICT (tenant, authorization_id) DO NOTHING"
)
_SUMS: Final = ", ".join(count_sum(name, "s.") for name in COUNTED)
_TALLIES: Final = (
    f"SELECT e.experiment, e.arm, COUNT(DISTINCT s.customer_id), COUNT(*), {_SUMS} "
    "FROM registry_experiment_sends e JOIN registry_sends s "
    "ON s.tenant = e.tenant AND s.authorization_id = e.authorization_id "
    "WHERE e.tenant = ?"
)


def experiment_send_rows(
    tenant: str, authorization_id: str, experiment: Mapping[str, str] | None
) -> list[Statement]:
    """The row of one authorization (none when it came from no experiment)."""
    if not experiment:
        return []
    return [(_INSERT, [tenant, authorization_id, experiment["name"], experiment["arm"]])]


def arm_tallies(sql: Sql, tenant: str, experiment: str) -> dict[str, ArmTally]:
    """Per arm: distinct customers, authorizations and their outcomes."""
    rows = sql.query(
        _TALLIES + " AND e.experiment = ? GROUP BY e.experiment, e.arm", [tenant, experiment]
    )
    return {str(row[1]): _tally(row) for row in rows}


def arms_of(sql: Sql, tenant: str, authorization_ids: Sequence[str]) -> dict[str, tuple[str, str]]:
    """authorization id → (experiment, arm), for those that came from an experiment."""
    if not authorization_ids:
        return {}
    rows = sql.query_in(
        "SELECT authorization_id, experiment, arm FROM registry_experiment_sends WHERE tenant = ?",
        [tenant],
        "authorization_id",
        sorted(set(authorization_ids)),
    )
    return {str(a): (str(e), str(arm)) for a, e, arm in rows}


def _tally(row: Sequence[Any]) -> ArmTally:
    counts = {name: int(value or 0) for name, value in zip(COUNTED, row[4:], strict=True)}
    return ArmTally(int(row[2]), int(row[3]), counts)
