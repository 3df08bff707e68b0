"""What one aggregate's pending events add to their write's transaction: its view row
(`view_of`), its audit leaves' labels and the derived rows of registry_sends. The
event writer (registry/store/writer.py) calls `project_into` for every aggregate it saves."""

from __future__ import annotations

from registry.domain.base import RegistryAggregate
from registry.projections.documents import leaf_labels_of, view_of
from registry.projections.sends import pending_rows
from registry.store.unit_of_work import WriteSet


def project_into(tenant: str, aggregate: RegistryAggregate, write_set: WriteSet) -> None:
    view = view_of(aggregate)
    if view is not None:
        write_set.views.append(view)
    write_set.leaf_labels[str(aggregate.id)] = leaf_labels_of(aggregate)
    write_set.rows += pending_rows(tenant, aggregate)
