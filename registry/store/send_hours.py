"""Hourly outcome counts of the sends (SPEC §12): what the feedback rules and
`GET /v1/limits` sum over a rolling window, kept so that a window costs its hours, not
its sends.

`registry_version_hours` (per template version) and `registry_channel_hours` (per
channel) hold, per hour of `authorized_at` (microseconds // 3,600,000,000), how many of
its sends count as each outcome name by registry/domain/outcome_counts.py's rule (a
`read` send counts as `delivered` and `sent` too). Database triggers on registry_sends
keep them, in the transaction of every change to a send's row: so the live path,
`make rebuild` and anything else that writes registry_sends agree by construction, and
the counts always equal `recount_statements`' GROUP BY over registry_sends.

- An inserted row with any flag set is counted (a row trigger, with a WHEN that spares
  an authorization's new row: it has no flags yet).
- Updated rows are counted as their new state minus their old one. On PostgreSQL one
  statement-level trigger does a whole batch's rows (transition tables); on SQLite a row
  trigger does each.
- Deleted rows are subtracted.

The DDL is generated from the flag names and counting rule a migration passes in, so a
migration keeps the triggers it created even when the rule changes later (change the
rule: add a migration that drops and recreates them).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Final

HOUR_MICROS: Final = 3_600_000_000
VERSION_HOURS: Final = "registry_version_hours"
CHANNEL_HOURS: Final = "registry_channel_hours"
# The key columns of each table, as registry_sends names them, hour last.
_KEYS: Final = {
    VERSION_HOURS: ("tenant", "template_name", "language", "version"),
    CHANNEL_HOURS: ("tenant", "channel"),
}
_TRIGGERS: Final = ("insert", "update", "delete")

ShownBy = Callable[[str], tuple[str, ...]]


def counted(name: str, row: str, shown_by: ShownBy) -> str:
    """1 when `row` (NEW, OLD, an alias; "": unqualified) counts as `name`, else 0."""
    shown = shown_by(name)
    prefix = f"{row}." if row else ""
    if shown == (name,):
        return f"{prefix}{name}"
    either = " OR ".join(f"{prefix}{flag} = 1" for flag in shown)
    return f"(CASE WHEN {either} THEN 1 ELSE 0 END)"


def _only(table: str, row: str) -> str:
    """The rows of registry_sends `table` counts: a version's only the versioned ones."""
    return f"{row}.version IS NOT NULL" if table == VERSION_HOURS else "1 = 1"


def hour_of(row: str) -> str:
    return f"{row}.authorized_at / {HOUR_MICROS}"


def _adding(table: str, names: Sequence[str]) -> str:
    keys = ", ".join((*_KEYS[table], "hour"))
    sums = ", ".join(f"{n} = {table}.{n} + excluded.{n}" for n in names)
    return f"ON CONFLICT ({keys}) DO UPDATE SET {sums}"


def _columns(table: str, names: Sequence[str]) -> str:
    return ", ".join((*_KEYS[table], "hour", *names))


def _row_upsert(table: str, row: str, sign: str, names: Sequence[str], shown_by: ShownBy) -> str:
    """Adds (`sign` "") or subtracts (`sign` "-") one row's counts (SQLite and PostgreSQL
    row triggers)."""
    values = [f"{row}.{key}" for key in _KEYS[table]]
    values += [hour_of(row), *(f"{sign}{counted(n, row, shown_by)}" for n in names)]
    return (
        f"INSERT INTO {table} ({_columns(table, names)}) SELECT {', '.join(values)} "
        f"WHERE {_only(table, row)} {_adding(table, names)};"
    )


def _set_upsert(
    table: str, sources: Sequence[tuple[str, str]], names: Sequence[str], shown_by: ShownBy
) -> str:
    """Adds each (transition table, sign)'s rows, grouped per key and hour (PostgreSQL
    statement triggers); keys whose counts do not change are left alone."""
    parts = []
    for source, sign in sources:
        columns = [f"r.{key}" for key in _KEYS[table]]
        columns += [f"{hour_of('r')} AS hour"]
        columns += [f"{sign}{counted(n, 'r', shown_by)} AS {n}" for n in names]
        parts.append(f"SELECT {', '.join(columns)} FROM {source} r WHERE {_only(table, 'r')}")
    keys = ", ".join((*_KEYS[table], "hour"))
    return (
        f"INSERT INTO {table} ({_columns(table, names)}) "
        f"SELECT {keys}, {', '.join(f'SUM({n})' for n in names)} "
        f"FROM ({' UNION ALL '.join(parts)}) d GROUP BY {keys} "
        f"HAVING {' OR '.join(f'SUM({n}) <> 0' for n in names)} ORDER BY {keys} "
        f"{_adding(table, names)};"
    )


def _any_flag(row: str, flags: Sequence[str]) -> str:
    return " OR ".join(f"{row}.{flag} = 1" for flag in flags)


def _changed(names: Sequence[str], shown_by: ShownBy) -> str:
    keys = sorted({*_KEYS[VERSION_HOURS], *_KEYS[CHANNEL_HOURS], "authorized_at"})
    differs = [f"OLD.{key} IS NOT NEW.{key}" for key in keys]
    differs += [f"{counted(n, 'OLD', shown_by)} <> {counted(n, 'NEW', shown_by)}" for n in names]
    return " OR ".join(differs)


def trigger_ddl(dialect: str, flags: Sequence[str], shown_by: ShownBy) -> list[str]:
    """The statements that create the triggers (the tables exist)."""
    tables = (VERSION_HOURS, CHANNEL_HOURS)
    if dialect != "postgres":
        add_new = " ".join(_row_upsert(t, "NEW", "", flags, shown_by) for t in tables)
        sub_old = " ".join(_row_upsert(t, "OLD", "-", flags, shown_by) for t in tables)
        return [
            f"CREATE TRIGGER registry_sends_hours_insert AFTER INSERT ON registry_sends "
            f"WHEN {_any_flag('NEW', flags)} BEGIN {add_new} END",
            f"CREATE TRIGGER registry_sends_hours_update AFTER UPDATE ON registry_sends "
            f"WHEN {_changed(flags, shown_by)} BEGIN {sub_old} {add_new} END",
            f"CREATE TRIGGER registry_sends_hours_delete AFTER DELETE ON registry_sends "
            f"BEGIN {sub_old} END",
        ]
    add_new = " ".join(_row_upsert(t, "NEW", "", flags, shown_by) for t in tables)
    changes = " ".join(
        _set_upsert(t, [("new_rows", ""), ("old_rows", "-")], flags, shown_by) for t in tables
    )
    removed = " ".join(_set_upsert(t, [("old_rows", "-")], flags, shown_by) for t in tables)
    return [
        _function("insert", f"{add_new} RETURN NULL;"),
        _function(
            "update",
            f"IF NOT EXISTS (SELECT 1 FROM new_rows) THEN RETURN NULL; END IF; "
            f"{changes} RETURN NULL;",
        ),
        _function("delete", f"{removed} RETURN NULL;"),
        f"CREATE TRIGGER registry_sends_hours_insert AFTER INSERT ON registry_sends "
        f"FOR EACH ROW WHEN ({_any_flag('NEW', flags)}) "
        f"EXECUTE FUNCTION registry_sends_hours_insert()",
        "CREATE TRIGGER registry_sends_hours_update AFTER UPDATE ON registry_sends "
        "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT "
        "EXECUTE FUNCTION registry_sends_hours_update()",
        "CREATE TRIGGER registry_sends_hours_delete AFTER DELETE ON registry_sends "
        "REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT "
        "EXECUTE FUNCTION registry_sends_hours_delete()",
    ]


def _function(trigger: str, body: str) -> str:
    return (
        f"CREATE FUNCTION registry_sends_hours_{trigger}() RETURNS trigger "
        f"LANGUAGE plpgsql AS $$ BEGIN {body} END $$"
    )


def drop_ddl(dialect: str) -> list[str]:
    drops = [f"DROP TRIGGER IF EXISTS registry_sends_hours_{t}" for t in _TRIGGERS]
    if dialect != "postgres":
        return drops
    return [f"{drop} ON registry_sends" for drop in drops] + [
        f"DROP FUNCTION IF EXISTS registry_sends_hours_{t}()" for t in _TRIGGERS
    ]


def recount_statements(flags: Sequence[str], shown_by: ShownBy) -> list[str]:
    """The counts from registry_sends as it is, in place of what the tables hold."""
    statements = []
    for table in (VERSION_HOURS, CHANNEL_HOURS):
        keys = ", ".join([*(f"r.{key}" for key in _KEYS[table]), hour_of("r")])
        sums = [f"SUM({counted(n, 'r', shown_by)})" for n in flags]
        statements += [
            f"DELETE FROM {table}",
            f"INSERT INTO {table} ({_columns(table, flags)}) "
            f"SELECT {keys}, {', '.join(sums)} FROM registry_sends r WHERE {_only(table, 'r')} "
            f"GROUP BY {keys} HAVING {' OR '.join(f'{total} <> 0' for total in sums)}",
        ]
    return statements
