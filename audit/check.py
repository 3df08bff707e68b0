"""`python -m audit check`: re-read the whole store and name every event whose
stored bytes no longer match the leaf hash recorded when it was written, every
recorded leaf whose event is gone, and every stored tree node its children do not
produce. Pages through the store in position order, in constant memory."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from typing import Any

from audit import log as audit_log
from audit.merkle import canonical_json, leaf_hash
from registry.store.schema import audit_leaves, audit_trees

_LEAVES = audit_leaves.name
_TREES = audit_trees.name

PAGE = 2000


def altered_events(registry: Any, shown: Any = None) -> Iterator[tuple[str, int | None, int]]:
    """(tenant, leaf index, position) of each event that does not match its leaf; `shown`
    (registry.progress) counts the events read."""
    from registry.store.unit_of_work import leaf_object

    after = 0
    while True:
        notifications = registry.recorder.select_notifications(
            after, PAGE, inclusive_of_start=False
        )
        last = notifications[-1].id if notifications else None
        recorded = _recorded_leaves(registry, after, last)
        for n in notifications:
            tenant, index, recorded_hash = recorded.pop(n.id, ("?", None, b""))
            try:
                leaf = canonical_json(leaf_object(n, json.loads(n.state)))
            except ValueError:  # not JSON any more, or a float slipped in
                leaf = b"unreadable:" + bytes(n.state)
            if leaf_hash(leaf) != recorded_hash:
                yield tenant, index, n.id
        for position, (tenant, index, _) in sorted(recorded.items()):
            yield tenant, index, position  # a recorded leaf whose event is gone
        if shown is not None:
            shown.update(len(notifications))
        if last is None:
            break
        after = last


def _recorded_leaves(
    registry: Any, after: int, last: int | None
) -> dict[int, tuple[str, int | None, bytes]]:
    bound = "" if last is None else " AND position <= ?"
    params = [after] if last is None else [after, last]
    with registry.db.transaction() as sql:
        rows = sql.query(
            f"SELECT position, tenant, leaf_index, leaf_hash FROM {_LEAVES} "
            f"WHERE position > ?{bound} ORDER BY position",
            params,
        )
    return {int(p): (str(t), int(i), bytes(h)) for p, t, i, h in rows}


def bad_nodes(registry: Any) -> Iterator[tuple[str, int, int]]:
    with registry.db.transaction() as sql:
        tenants = [str(t) for (t,) in sql.query(f"SELECT tenant FROM {_TREES} ORDER BY tenant")]
    for tenant in tenants:
        with registry.db.transaction() as sql:
            for level, index in audit_log.find_bad_nodes(sql, tenant):
                yield tenant, level, index


def main(args: argparse.Namespace | None = None) -> int:
    from registry.bootstrap import build_registry
    from registry.config import ConfigError, load_settings

    try:
        registry = build_registry(load_settings())
    except ConfigError as error:
        print(f"audit check: {error}", file=sys.stderr)
        return 2
    from registry.progress import progress

    failures = 0
    with registry.db.transaction() as sql:
        total = registry.db.max_position(sql)
    with progress("audit check", total=total, unit="events") as shown:
        for tenant, leaf_index, position in altered_events(registry, shown):
            failures += 1
            index = "?" if leaf_index is None else leaf_index
            print(f"altered: tenant {tenant} leaf {index} position {position}")
    for tenant, level, index in bad_nodes(registry):
        failures += 1
        print(f"altered: tenant {tenant} tree node level {level} index {index}")
    if failures:
        print(f"audit check: {failures} mismatches with the recorded hashes", file=sys.stderr)
        return 1
    print("audit check: every stored event matches its recorded leaf hash")
    return 0
