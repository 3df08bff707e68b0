"""The pilot tables (SPEC §13, registry/store/schema.py `pilots`, `pilot_customers`) as
rows derived from `Customer.SendAuthorized` events that name a pilot.

Live, an authorization that adds a customer to a pilot writes `joined` in its transaction:
the customer's row (a plain INSERT: the customer's own version check already keeps two
authorizations of one customer from both committing, so a duplicate is a retry) and one
more customer on the pilot's count, whose CHECK against `capacity` fails the transaction
when the pilot is full (the writer retries; the decision on fresh views then refuses).
`make rebuild` writes the customers' rows from the events (`event_rows`, idempotent) and
then counts them (`recount`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Final

from registry.domain.customer import Customer
from registry.projections.send_reads import version_window
from registry.projections.sends import FLAGS, Statement, from_micros, micros
from registry.store.sql import Sql

_JOIN: Final = (
    "INSERT INTO registry_pilot_customers (tenant, template, customer_id, pilot, joined_at) "
    "VALUES (?, ?, ?, ?, ?)"
)
_REBUILT_JOIN: Final = _JOIN + " ON CONFLICT (tenant, template, customer_id, pilot) DO NOTHING"
_COUNT_ONE_MORE: Final = (
    "INSERT INTO registry_pilots (tenant, template, pilot, customers, capacity) "
    "VALUES (?, ?, ?, 1, ?) ON CONFLICT (tenant, template, pilot) DO UPDATE SET "
    "customers = registry_pilots.customers + 1, capacity = excluded.capacity"
)
_RECOUNT: Final = (
    "INSERT INTO registry_pilots (tenant, template, pilot, customers, capacity) "
    "SELECT tenant, template, pilot, COUNT(*), COUNT(*) FROM registry_pilot_customers "
    "GROUP BY tenant, template, pilot"
)


def template_key(template: dict[str, Any]) -> str:
    return f"{template['name']}/{template['language']}"


def joined(
    tenant: str, event: Customer.SendAuthorized, customer_id: str, capacity: int
) -> list[Statement]:
    """The rows of a customer's first send in the pilot `event.pilot` names."""
    assert event.pilot is not None
    key = template_key(event.template)
    return [
        (_JOIN, [tenant, key, customer_id, event.pilot, micros(event.authorized_at)]),
        (_COUNT_ONE_MORE, [tenant, key, event.pilot, capacity]),
    ]


def event_rows(tenant: str, aggregate: Any, event: Any) -> list[Statement]:
    """For `make rebuild`: the customer's row of a pilot send, kept once."""
    if not isinstance(event, Customer.SendAuthorized) or event.pilot is None:
        return []
    key = template_key(event.template)
    params = [tenant, key, aggregate.customer_id, event.pilot, micros(event.authorized_at)]
    return [(_REBUILT_JOIN, params)]


def recount(sql: Any) -> None:
    """For `make rebuild`, once every customer's rows are written: each pilot's count
    from its customers (capacity: the count, which the next live send raises to the
    policy's size)."""
    sql.execute("DELETE FROM registry_pilots")
    sql.execute(_RECOUNT)


# ---- reads ----------------------------------------------------------------------------------


def pilot_sends(
    sql: Sql, tenant: str, name: str, language: str, versions: Sequence[int], since: datetime
) -> tuple[dict[str, int], datetime | None]:
    """What the sends of `versions` authorized at or after `since` count as, per outcome
    name, and the moment of the latest of them."""
    counts = dict.fromkeys(FLAGS, 0)
    for version in versions:
        for flag, count in version_window(sql, tenant, name, language, version, since).items():
            counts[flag] += count
    marks = ",".join("?" * len(versions))
    latest = sql.scalar(
        "SELECT MAX(authorized_at) FROM registry_sends WHERE tenant = ? AND template_name = ? "
        f"AND language = ? AND authorized_at >= ? AND version IN ({marks})",
        [tenant, name, language, micros(since), *versions],
    )
    return counts, None if latest is None else from_micros(int(latest))


def pilot_size(sql: Sql, tenant: str, template: str, pilot: int) -> int:
    """The distinct customers of the pilot, as counted live."""
    found = sql.scalar(
        "SELECT customers FROM registry_pilots WHERE tenant = ? AND template = ? AND pilot = ?",
        [tenant, template, pilot],
    )
    return 0 if found is None else int(found)


def pilot_size_at(
    sql: Sql, tenant: str, template: str, pilot: int, at: datetime, customer_id: str
) -> tuple[int, bool]:
    """For replay: the customers in the pilot by `at` (joined at or before it), and
    whether `customer_id` was one of them."""
    rows = sql.query(
        "SELECT COUNT(*), SUM(CASE WHEN customer_id = ? THEN 1 ELSE 0 END) "
        "FROM registry_pilot_customers WHERE tenant = ? AND template = ? AND pilot = ? "
        "AND joined_at <= ?",
        [customer_id, tenant, template, pilot, micros(at)],
    )
    count, mine = rows[0] if rows else (0, 0)
    return int(count or 0), bool(mine)
