"""How a customer's consents change (R-CONSENT, R-CONFIRM): the state transitions the
`Customer` events apply, and what its double opt-in reads, as pure functions over its
`consents` (key `channel:purpose` -> the consent's record). `registry/domain/customer.py`
keeps the events themselves (their names are the log's topics) and calls these."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from registry.domain.rules.consent import consent_status

Consents = dict[str, dict[str, Any]]


def consent_key(channel: str, purpose: str) -> str:
    return f"{channel}:{purpose}"


def _withdrawn_after(current: Mapping[str, Any] | None, granted_at: datetime) -> bool:
    """An opt-out later than `granted_at`: a late import of an older grant never undoes it."""
    withdrawn_at = current.get("withdrawn_at") if current else None
    return withdrawn_at is not None and granted_at < withdrawn_at


def _in_force(consent: Mapping[str, Any] | None, at: datetime) -> bool:
    if consent is None or consent["status"] != "granted":
        return False
    expires_at = consent.get("expires_at")
    return expires_at is None or expires_at > at


def _granted(channel: str, purpose: str, status: str, record: dict[str, Any]) -> dict[str, Any]:
    """A consent's record as a grant or a request leaves it."""
    return {
        "channel": channel,
        "purpose": purpose,
        "status": status,
        "granted_at": record["granted_at"],
        "withdrawn_at": None,
        "expires_at": record["expires_at"],
        "receipt_id": record["receipt_id"],
        "source": record["source"],
        "event_version": record["event_version"],
    }


def grant(
    consents: Consents, channel: str, purposes: Iterable[str], record: dict[str, Any]
) -> None:
    """`record`: receipt_id, granted_at, expires_at, source and event_version."""
    for purpose in purposes:
        key = consent_key(channel, purpose)
        if _withdrawn_after(consents.get(key), record["granted_at"]):
            continue
        consents[key] = _granted(channel, purpose, "granted", record)


def withdraw(
    consents: Consents,
    channel: str,
    purposes: Iterable[str],
    source: dict[str, Any],
    withdrawn_at: datetime,
    event_version: int,
) -> None:
    for purpose in purposes:
        key = consent_key(channel, purpose)
        current = consents.get(key) or {
            "channel": channel,
            "purpose": purpose,
            "granted_at": None,
            "expires_at": None,
            "receipt_id": None,
        }
        consents[key] = {
            **current,
            "status": "withdrawn",
            "withdrawn_at": withdrawn_at,
            "source": source,
            "event_version": event_version,
        }


def request(
    consents: Consents, channel: str, purposes: Iterable[str], record: dict[str, Any]
) -> None:
    """A grant that asked `confirmation: required`: its purposes are pending until
    confirmed, and expire unconfirmed at `record["confirm_by"]`. A purpose in force stays
    granted; an opt-out later than `granted_at` is not undone."""
    for purpose in purposes:
        key = consent_key(channel, purpose)
        current = consents.get(key)
        if _withdrawn_after(current, record["granted_at"]) or _in_force(
            current, record["granted_at"]
        ):
            continue
        consents[key] = {
            **_granted(channel, purpose, "pending", record),
            "confirm_by": record["confirm_by"],
        }


def confirm(
    consents: Consents,
    channel: str,
    purposes: Iterable[str],
    how: str | None,
    confirmed_at: datetime,
    event_version: int,
) -> None:
    for purpose in purposes:
        key = consent_key(channel, purpose)
        current = consents.get(key)
        if current and current["status"] == "pending":
            consents[key] = {
                **current,
                "status": "granted",
                "confirmed_at": confirmed_at,
                "confirmed_by": how,
                "event_version": event_version,
            }


def pending(consents: Consents, at: datetime, channel: str | None = None) -> dict[str, list[str]]:
    """Receipt id -> purposes still pending (unexpired at `at`), on `channel` or any."""
    found: dict[str, list[str]] = {}
    for consent in consents.values():
        if consent["status"] != "pending" or consent["confirm_by"] <= at:
            continue
        if channel is None or consent["channel"] == channel:
            found.setdefault(consent["receipt_id"], []).append(consent["purpose"])
    return found


def channel_of_receipt(consents: Consents, receipt_id: str) -> str:
    return str(next(c["channel"] for c in consents.values() if c.get("receipt_id") == receipt_id))


def in_force_of(
    consents: Consents, channel: str, purposes: Iterable[str], at: datetime
) -> list[str]:
    """The purposes of `purposes` granted and unexpired on `channel` at `at` (what a
    keyword opt-out then withdraws, and an opt-in keyword may give back)."""
    return [p for p in purposes if _in_force(consents.get(consent_key(channel, p)), at)]


def not_granted_now(
    consents: Consents, channel: str, purposes: Sequence[str], at: datetime
) -> list[str]:
    """The purposes of `purposes` not granted on `channel` at `at` (expiry included)."""
    granted_now = set()
    for purpose in purposes:
        consent = consents.get(consent_key(channel, purpose))
        status = consent and consent_status(consent["status"], consent.get("expires_at"), at)
        if status == "granted":
            granted_now.add(purpose)
    return [p for p in purposes if p not in granted_now]
