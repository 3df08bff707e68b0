"""What `POST /v1/audit/replay` needs for the experiment and pilot rules (SPEC §13, §18),
as the registry knew things at the moment asked about.

- An experiment named in place of a template is taken as it stood then (its events up to
  that moment), and the customer's arm resolved from it exactly as a live decision does
  (registry.usecases.experiment_decisions).
- A pilot's facts come from the tenant and template as they stood then (`pilot_since`, the
  approved version's pilot and whether it had cleared) and from the pilot's customers who
  had joined by then (`registry_pilot_customers.joined_at`, written from the log).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from uuid import UUID

from registry.domain.experiment import experiment_aggregate_id
from registry.domain.rules.experiment import ArmChoice
from registry.domain.rules.pilot import PilotFacts
from registry.projections.documents import experiment_document, template_document
from registry.projections.pilots import pilot_size_at
from registry.store.database import Database
from registry.usecases import experiment_decisions

AsOf = Callable[[UUID, datetime], tuple[Any, list[int]]]  # (aggregate or None, positions used)


def experiment_at(
    as_of: AsOf, tenant: str, request: dict[str, Any], at: datetime
) -> tuple[dict[str, Any], ArmChoice | None, list[int]]:
    """The request with the template its experiment's arm resolved to at `at`, the arm,
    and the positions of the experiment's events it rested on."""
    name = request.get("experiment")
    if name is None:
        return request, None, []
    experiment, used = as_of(experiment_aggregate_id(tenant, name), at)
    docs = {} if experiment is None else {("experiment", name): experiment_document(experiment)}
    [(resolved, choice)] = experiment_decisions.resolve_in(docs, tenant, [request])
    return resolved, choice, used


def pilot_at(
    db: Database,
    tenant: str,
    tenant_aggregate: Any,
    template_aggregate: Any,
    customer_id: str,
    at: datetime,
) -> PilotFacts | None:
    """The pilot rule's facts at `at` (None while the tenant had no pilot)."""
    since = None if tenant_aggregate is None else tenant_aggregate.pilot_since
    if since is None:
        return None
    pilot = None if template_aggregate is None else template_document(template_aggregate)["pilot"]
    if pilot is None:
        return PilotFacts(since)
    key = f"{template_aggregate.name}/{template_aggregate.language}"
    with db.transaction() as sql:
        customers, includes = pilot_size_at(sql, tenant, key, pilot["number"], at, customer_id)
    return PilotFacts(since, customers, includes)
