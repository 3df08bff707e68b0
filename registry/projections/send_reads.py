"""Reads of the outcome tables (registry/projections/sends.py writes them)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from registry.domain.send import SendIdentity
from registry.projections.outcome_sums import count_sum
from registry.projections.sends import FLAGS, from_micros, micros
from registry.store.send_hours import CHANNEL_HOURS, HOUR_MICROS, VERSION_HOURS
from registry.store.sql import Sql

_COLUMNS = (
    "authorization_id, customer_id, channel, template_name, language, version, purpose, "
    "authorized_at, message_ref, send_version, " + ", ".join(FLAGS)
)


class SendRow(NamedTuple):
    identity: SendIdentity
    message_ref: str | None
    send_version: int
    flags: dict[str, bool]

    @property
    def template_key(self) -> str:
        return f"{self.identity.template['name']}/{self.identity.template['language']}"


def _row(raw: tuple[Any, ...]) -> SendRow:
    authorization_id, customer_id, channel, name, language, version, purpose, at = raw[:8]
    identity = SendIdentity(
        authorization_id=str(authorization_id),
        customer_id=str(customer_id),
        channel=str(channel),
        template={"name": name, "language": language, "version": version},
        purpose=str(purpose),
        authorized_at=from_micros(int(at)),
    )
    flags = {flag: bool(value) for flag, value in zip(FLAGS, raw[10:], strict=True)}
    return SendRow(identity, raw[8], int(raw[9]), flags)


def sends_by_id(sql: Sql, tenant: str, authorization_ids: Sequence[str]) -> dict[str, SendRow]:
    if not authorization_ids:
        return {}
    rows = sql.query_in(
        f"SELECT {_COLUMNS} FROM registry_sends WHERE tenant = ?",
        [tenant],
        "authorization_id",
        sorted(set(authorization_ids)),
    )
    return {row.identity.authorization_id: row for row in map(_row, rows)}


def sends_by_ref(sql: Sql, tenant: str, refs: Sequence[str]) -> dict[str, SendRow]:
    """The sends these message refs name, in one statement (refs and rows joined)."""
    if not refs:
        return {}
    columns = ", ".join(f"s.{column.strip()}" for column in _COLUMNS.split(","))
    rows = sql.query_in(
        f"SELECT r.message_ref, {columns} FROM registry_message_refs r "
        "JOIN registry_sends s ON s.tenant = r.tenant AND s.authorization_id = r.authorization_id "
        "WHERE r.tenant = ?",
        [tenant],
        "r.message_ref",
        sorted(set(refs)),
    )
    return {str(raw[0]): _row(raw[1:]) for raw in rows}


def authorizations_by_ref(sql: Sql, tenant: str, refs: Sequence[str]) -> dict[str, str]:
    if not refs:
        return {}
    rows = sql.query_in(
        "SELECT message_ref, authorization_id FROM registry_message_refs WHERE tenant = ?",
        [tenant],
        "message_ref",
        sorted(set(refs)),
    )
    return {str(ref): str(authorization_id) for ref, authorization_id in rows}


class Counts(NamedTuple):
    authorized: int
    flags: dict[str, int]


def _sums(rows: list[tuple[Any, ...]]) -> Counts:
    if not rows or rows[0][0] is None:
        return Counts(0, dict.fromkeys(FLAGS, 0))
    first = rows[0]
    return Counts(int(first[0]), {f: int(v or 0) for f, v in zip(FLAGS, first[1:], strict=True)})


def summed(counts: Iterable[Counts]) -> Counts:
    total = Counts(0, dict.fromkeys(FLAGS, 0))
    for one in counts:
        total = Counts(
            total.authorized + one.authorized,
            {flag: total.flags[flag] + one.flags[flag] for flag in FLAGS},
        )
    return total


# A send counts as sent or delivered when a later status shows it, even when that status
# never arrived (platforms drop or reorder statuses): registry/domain/outcome_counts.py.
# The row's flags themselves stay "this status was recorded", which is what a redelivered
# status is deduplicated by.
_SUMS = "COUNT(*), " + ", ".join(count_sum(flag) for flag in FLAGS)


def _window(sql: Sql, hours: str, keys: dict[str, Any], since: datetime) -> dict[str, int]:
    """What the sends authorized at or after `since` count as, per outcome name: the kept
    hours from the first whole one on (registry/store/send_hours.py), and the sends of the
    part of an hour before it counted one by one."""
    first_micros = micros(since)
    whole_from = -(-first_micros // HOUR_MICROS)  # the first hour that starts at or after since
    match = " AND ".join(f"{column} = ?" for column in keys)
    values = list(keys.values())
    rows = sql.query(
        f"SELECT {', '.join(f'SUM({flag})' for flag in FLAGS)} FROM {hours} "
        f"WHERE {match} AND hour >= ? "
        f"UNION ALL SELECT {', '.join(count_sum(flag) for flag in FLAGS)} FROM registry_sends "
        f"WHERE {match} AND authorized_at >= ? AND authorized_at < ?",
        [*values, whole_from, *values, first_micros, whole_from * HOUR_MICROS],
    )
    return {flag: sum(int(row[index] or 0) for row in rows) for index, flag in enumerate(FLAGS)}


def version_window(
    sql: Sql, tenant: str, name: str, language: str, version: int, since: datetime
) -> dict[str, int]:
    """A template version's sends authorized at or after `since`: per outcome name, how
    many count as it (registry/domain/outcome_counts.py)."""
    keys = {"tenant": tenant, "template_name": name, "language": language, "version": version}
    return _window(sql, VERSION_HOURS, keys, since)


def channel_window(sql: Sql, tenant: str, channel: str, since: datetime) -> dict[str, int]:
    """Every send on a channel authorized at or after `since`, counted as `version_window`."""
    return _window(sql, CHANNEL_HOURS, {"tenant": tenant, "channel": channel}, since)


def template_counts_by_version(
    sql: Sql,
    tenant: str,
    name: str,
    language: str,
    since: datetime | None,
    until: datetime | None,
) -> dict[int | None, Counts]:
    """Per version, the sends authorized in [since, until) and their outcomes."""
    statement = (
        f"SELECT version, {_SUMS} FROM registry_sends WHERE tenant = ? AND template_name = ? "
        "AND language = ?"
    )
    params: list[Any] = [tenant, name, language]
    if since is not None:
        statement += " AND authorized_at >= ?"
        params.append(micros(since))
    if until is not None:
        statement += " AND authorized_at < ?"
        params.append(micros(until))
    rows = sql.query(statement + " GROUP BY version ORDER BY version", params)
    return {(None if row[0] is None else int(row[0])): _sums([row[1:]]) for row in rows}


def window_rows(sql: Sql, tenant: str, channel: str, first_minute: int) -> list[tuple[int, int]]:
    return [
        (int(minute), int(customers))
        for minute, customers in sql.query(
            "SELECT minute, customers FROM registry_channel_window "
            "WHERE tenant = ? AND channel = ? AND minute >= ? AND customers > 0",
            [tenant, channel, first_minute],
        )
    ]
