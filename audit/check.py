"""`python -m audit check`: re-read the whole store and name every event whose
stored bytes no longer match the leaf hash recorded when it was written."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from typing import Any

from audit import log as audit_log
from audit.merkle import canonical_json


def _leaves_by_tenant(registry: Any) -> dict[str, list[tuple[int, bytes]]]:
    from registry.store.unit_of_work import leaf_object

    tenants: dict[str, list[tuple[int, bytes]]] = {}
    owner: dict[str, str] = {}
    with registry.db.transaction() as sql:
        for tenant, position in sql.query(
            "SELECT tenant, position FROM audit_leaves ORDER BY position"
        ):
            owner[str(position)] = str(tenant)
    start = 0
    while True:
        notifications = registry.recorder.select_notifications(
            start, 2000, inclusive_of_start=False
        )
        if not notifications:
            break
        for n in notifications:
            tenant = owner.get(str(n.id), "")
            try:
                state = json.loads(n.state)
                leaf = canonical_json(leaf_object(n, state))
            except ValueError:
                leaf = b"unreadable:" + bytes(n.state)
            tenants.setdefault(tenant, []).append((n.id, leaf))
        start = notifications[-1].id
    return tenants


def altered_events(registry: Any) -> Iterator[tuple[str, int, int]]:
    for tenant, leaves in _leaves_by_tenant(registry).items():
        with registry.db.transaction() as sql:
            for leaf_index, position in audit_log.find_altered(sql, tenant, leaves):
                yield tenant, leaf_index, position


def main(args: argparse.Namespace | None = None) -> int:
    from registry.bootstrap import build_registry
    from registry.config import ConfigError, load_settings

    try:
        registry = build_registry(load_settings())
    except ConfigError as error:
        print(f"audit check: {error}", file=sys.stderr)
        return 2
    failures = 0
    for tenant, leaf_index, position in altered_events(registry):
        failures += 1
        print(f"altered: tenant {tenant or '?'} leaf {leaf_index} position {position}")
    with registry.db.transaction() as sql:
        tenants = [str(t) for (t,) in sql.query("SELECT tenant FROM audit_trees ORDER BY tenant")]
        for tenant in tenants:
            for level, index in audit_log.find_bad_nodes(sql, tenant):
                failures += 1
                print(f"altered: tenant {tenant} tree node level {level} index {index}")
    if failures:
        print(f"audit check: {failures} events do not match their recorded hashes", file=sys.stderr)
        return 1
    print("audit check: every stored event matches its recorded leaf hash")
    return 0
