"""`GET /v1/authorizations/{id}` (SPEC §11): the authorization with its outcomes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from registry.domain.exceptions import InvalidRequest, NotFound
from registry.domain.send import send_aggregate_id
from registry.projections.send_reads import sends_by_id
from registry.timefmt import iso, parse_iso

if TYPE_CHECKING:
    from registry.personal_data import PersonalDataKeys
    from registry.projections.reader import ViewReader
    from registry.store.database import Database


def authorization_with_outcomes(
    db: Database,
    views: ViewReader,
    keys: PersonalDataKeys,
    tenant: str,
    authorization_id: str,
    min_position: int | None = None,
) -> dict[str, Any]:
    with db.transaction() as sql:
        position = db.max_position(sql)
        row = sends_by_id(sql, tenant, [authorization_id]).get(authorization_id)
    if min_position is not None and min_position > position:
        raise InvalidRequest(
            f"min_position {min_position} is ahead of the log (at {position})",
            min_position=[f"the log is at position {position}"],
        )
    if row is None:
        raise NotFound(f"authorization {authorization_id!r} not found")
    identity = row.identity
    outcomes: list[dict[str, Any]] = []
    if row.send_version:
        docs, _ = views.read(tenant, [("customer", identity.customer_id)])
        erased = bool((docs.get(("customer", identity.customer_id)) or {}).get("erased"))
        history = views.history(
            str(send_aggregate_id(tenant, authorization_id)),
            after_position=0,
            limit=1000,
            open_value=keys.opener(tenant, identity.customer_id, erased),
        )
        outcomes = [_outcome(entry) for entry in history if entry["type"] == "Send.OutcomeRecorded"]
    return {
        "authorization_id": authorization_id,
        "customer_id": identity.customer_id,
        "channel": identity.channel,
        "template": identity.template,
        "purpose": identity.purpose,
        "authorized_at": iso(identity.authorized_at),
        "message_ref": row.message_ref,
        "outcomes": outcomes,
        "opted_out": row.flags["opted_out"],
        "suppressed": row.flags["suppressed"],
        "position": position,
    }


def _outcome(entry: dict[str, Any]) -> dict[str, Any]:
    data = entry["data"]
    return {
        "status": data["status"],
        "at": _iso_text(data.get("at")),
        "error_code": data.get("error_code"),
        "detail": data.get("detail"),
        "source": data.get("source"),
        "hold_until": _iso_text(data.get("hold_until")),
        "recorded_at": entry["occurred_at"],
        "actor": entry["actor"],
        "position": entry["position"],
    }


def _iso_text(value: Any) -> str | None:
    return None if value is None else iso(parse_iso(str(value)))
