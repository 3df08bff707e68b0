"""How a logged event becomes an item of the change feed (SPEC §16, R-FEED).

`EVENT_KINDS` maps each event type the feed shows to its kind; an event type not listed
(an inbound message, an authorization, a profile change) never appears in the feed. A new
area adds its event types here, with a builder in `_FIELDS` for what the item shows.

An item carries only what the contract lists (position, kind, type, moment, customer id,
channel, purposes, status, template) and a few plain facts of the event (receipt id,
expiry, platform status, quality, pause cause). Personal data is never in an item: no
phone, evidence, IP, message text or free-text reason, opened or sealed.

A consent's expiry is a moment, not an event: a grant's item carries its `expires_at`, and
a grant awaiting confirmation its `confirmation_expires_at`, which a consumer applies; the
registry records nothing when they pass (decisions and `GET /v1/customers/{id}` judge
them at the time asked).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

import orjson

KINDS: Final = ("consent", "suppression", "erasure", "template", "policy", "limit")

EVENT_KINDS: Final[Mapping[str, str]] = {
    "Customer.ConsentGranted": "consent",
    "Customer.ConsentWithdrawn": "consent",
    "Customer.ConsentRequested": "consent",
    "Customer.ConsentConfirmed": "consent",
    "Customer.Suppressed": "suppression",
    "Customer.Unsuppressed": "suppression",
    "Customer.Erased": "erasure",
    "Template.VersionSubmitted": "template",
    "Template.VersionReviewed": "template",
    "Template.Paused": "template",
    "Template.Resumed": "template",
    "Template.Disabled": "template",
    "Template.PlatformStatusChanged": "template",
    "Template.QualityChanged": "template",
    "Template.CategoryChanged": "template",
    "Tenant.PolicyReplaced": "policy",
    # Part two's limits and automatic pauses, as the outcomes area names them (NOTES.md);
    # a type that is never logged is never listed.
    "Template.PausedForFeedback": "template",
    "Channel.PlatformLimitRecorded": "limit",
    "Channel.Halved": "limit",
    "Channel.RecoveryStarted": "limit",
    "Channel.RecoveryInterrupted": "limit",
    "Channel.Restored": "limit",
    "Customer.PlatformUserCapped": "limit",
}


def event_types_of(kinds: frozenset[str]) -> list[str]:
    """The event types that make up these kinds, in a stable order."""
    return sorted(t for t, kind in EVENT_KINDS.items() if kind in kinds)


def _data(value: Any) -> Any:
    """A transcoded value (`{"_type_", "_data_"}`, e.g. a datetime) as its data."""
    if isinstance(value, dict) and "_data_" in value:
        return value["_data_"]
    return value


def _moment(value: Any) -> str | None:
    text = _data(value)
    return None if text is None else str(text).replace("+00:00", "Z")


def _consent(status: str | None) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def fields(state: dict[str, Any]) -> dict[str, Any]:
        item: dict[str, Any] = {"channel": state["channel"], "purposes": list(state["purposes"])}
        item["status"] = status if status is not None else state.get("status")
        if "receipt_id" in state:
            item["receipt_id"] = state["receipt_id"]
        if state.get("expires_at") is not None:
            item["expires_at"] = _moment(state["expires_at"])
        if state.get("confirm_by") is not None:
            item["confirmation_expires_at"] = _moment(state["confirm_by"])
        return item

    return fields


def _confirmed(state: dict[str, Any]) -> dict[str, Any]:
    source = state.get("source") or {}
    return {**_consent("granted")(state), "confirmed_by": source.get("kind")}


def _status(status: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    return lambda _state: {"status": status}


def _submitted(state: dict[str, Any]) -> dict[str, Any]:
    return {"status": state["status"]}


def _reviewed(state: dict[str, Any]) -> dict[str, Any]:
    return {"status": "APPROVED" if state["decision"] == "approve" else "REJECTED"}


def _paused(state: dict[str, Any]) -> dict[str, Any]:
    return {"status": "PAUSED", "cause": state.get("cause")}


def _feedback_pause(state: dict[str, Any]) -> dict[str, Any]:
    return {"status": "PAUSED", "cause": state.get("reason"), "rate": state.get("rate")}


def _channel_limit(status: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def fields(state: dict[str, Any]) -> dict[str, Any]:
        item: dict[str, Any] = {"status": status}
        for name in ("channel", "limit", "tier", "quality", "complaint_rate", "threshold"):
            if name in state:
                item[name] = state[name]
        return item

    return fields


def _user_cap(state: dict[str, Any]) -> dict[str, Any]:
    return {
        "channel": state.get("channel"),
        "status": "capped",
        "until": _moment(state.get("until")),
    }


_FIELDS: Final[Mapping[str, Callable[[dict[str, Any]], dict[str, Any]]]] = {
    "Customer.ConsentGranted": _consent("granted"),
    "Customer.ConsentWithdrawn": _consent("withdrawn"),
    "Customer.ConsentRequested": _consent("pending"),
    "Customer.ConsentConfirmed": _confirmed,
    "Customer.Suppressed": _status("suppressed"),
    "Customer.Unsuppressed": _status("unsuppressed"),
    "Customer.Erased": _status("erased"),
    "Template.VersionSubmitted": _submitted,
    "Template.VersionReviewed": _reviewed,
    "Template.Paused": _paused,
    "Template.Disabled": _status("DISABLED"),
    "Template.PlatformStatusChanged": lambda s: {"platform_status": s["status"]},
    "Template.QualityChanged": lambda s: {"quality": s["quality"]},
    "Template.CategoryChanged": lambda s: {"category": s["new_category"]},
    "Template.PausedForFeedback": _feedback_pause,
    "Channel.PlatformLimitRecorded": _channel_limit("platform_limit"),
    "Channel.Halved": _channel_limit("halved"),
    "Channel.RecoveryStarted": _channel_limit("recovering"),
    "Channel.RecoveryInterrupted": _channel_limit("halved"),
    "Channel.Restored": _channel_limit("restored"),
    "Customer.PlatformUserCapped": _user_cap,
}


def change_fields(
    event_type: str,
    occurred_at: str,
    customer_id: str | None,
    template: str | None,
    state: dict[str, Any],
) -> dict[str, Any] | None:
    """The feed item of one event without its position, or None for a type the feed
    does not list."""
    kind = EVENT_KINDS.get(event_type)
    if kind is None:
        return None
    item: dict[str, Any] = {"kind": kind, "type": event_type, "occurred_at": occurred_at}
    if customer_id is not None:
        item["customer_id"] = customer_id
    if template is not None:
        name, _, language = template.partition("/")
        version = state.get("version")
        item["template"] = {
            "name": name,
            "language": language,
            "version": version if isinstance(version, int) else None,
        }
    fields = _FIELDS.get(event_type)
    if fields is not None:
        item.update(fields(state))
    return item


def change_fragment(
    event_type: str,
    occurred_at: str,
    customer_id: str | None,
    template: str | None,
    state: dict[str, Any],
) -> str | None:
    """`change_fields` as the JSON object text the feed writes (UTF-8, compact), kept
    with the event's audit leaf when it is logged: a page of the feed is these texts
    with their positions, and nothing is decoded or built per item when it is read."""
    fields = change_fields(event_type, occurred_at, customer_id, template, state)
    return None if fields is None else orjson.dumps(fields).decode("utf-8")


def with_position(position: int, fragment: str) -> str:
    """A kept fragment as the item the feed lists: `{"position": …, …the fragment}`."""
    return f'{{"position":{position},{fragment[1:]}'


def change_item(
    position: int,
    event_type: str,
    occurred_at: str,
    customer_id: str | None,
    template: str | None,
    state: dict[str, Any],
) -> dict[str, Any]:
    """The feed item of one event (its type must be in `EVENT_KINDS`)."""
    fields = change_fields(event_type, occurred_at, customer_id, template, state)
    if fields is None:
        raise KeyError(event_type)
    return {"position": position, **fields}
