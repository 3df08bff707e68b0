"""WhatsApp Business platform webhooks (SPEC §8): the signature check and the parser.

Pure and total: no I/O, no clock, and no input makes either function raise. `parse_webhook`
turns one delivery into `Change`s, each with a `dedupe_key` that is the same when the
platform redelivers the same change (it retries for days and duplicates), and an
`occurred_at` taken from the payload, never from the clock.

What is parsed, per `changes[].field`:
- `message_template_status_update`, `message_template_quality_update`: one template change.
- `template_category_update`: only the completed change (`previous_category` + `new_category`).
  The advance notice (it carries `correct_category`, and there `new_category` is the *current*
  category) is ignored: the completed change follows within a day and is what we act on.
- `messages`: every customer message in `messages[]` is an `InboundMessage` (it opens the
  service window); a `system` message of type `user_preference_changed` is a
  `PreferenceChanged`, other system messages (number changes …) are kept as `Unrecognised`.
  Every `statuses[]` item (sent, delivered, read, failed) is a `MessageStatus` with its error
  codes (R-OUTCOME); one carrying error 131050 is also a `MarketingStoppedByError`. A status
  of another kind (`deleted`, `warning`, …) is kept as `Unrecognised`; app-level `errors[]`
  are ignored.
- `phone_number_quality_update`: a `PhoneNumberLimitChanged` (account.py).
- `user_preferences`: one `PreferenceChanged` per item.
Anything else is `Unrecognised`: at most one per change (a change with several bad items still
yields one, next to whatever it held that did parse), one per malformed entry, and exactly one
for a whole payload that is not a WhatsApp Business Account envelope. An `Unrecognised.raw` is
always a minimal envelope around what was not understood, so it can be parsed again later.

Customers are named by phone (`wa_id`, digits of E.164) and/or the business-scoped user id
(`user_id`, e.g. `US.13491208655302741918`, sent since 2026 and sometimes without a phone).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from typing import Final, TypeAlias

from registry.domain.keywords import is_stop_promotions_phrase
from registry.integrations import whatsapp_account as account
from registry.integrations import whatsapp_fields as fields
from registry.integrations import whatsapp_templates as templates
from registry.integrations.whatsapp_changes import (
    Change,
    InboundMessage,
    Json,
    MarketingStoppedByError,
    MessageStatus,
    PhoneNumberLimitChanged,
    PreferenceChanged,
    TemplateCategoryChanged,
    TemplateQualityChanged,
    TemplateStatusChanged,
    Unrecognised,
)

__all__ = [
    "Change",
    "InboundMessage",
    "MarketingStoppedByError",
    "MessageStatus",
    "PhoneNumberLimitChanged",
    "PreferenceChanged",
    "TemplateCategoryChanged",
    "TemplateQualityChanged",
    "TemplateStatusChanged",
    "Unrecognised",
    "parse_webhook",
    "signature_is_valid",
]

WABA_OBJECT: Final = "whatsapp_business_account"
SIGNATURE_PREFIX: Final = "sha256="
STOPPED_MARKETING_ERROR: Final = 131050
STATUS_KINDS: Final = frozenset({"sent", "delivered", "read", "failed"})


def signature_is_valid(app_secret: str, raw_body: bytes, header: str | None) -> bool:
    """`X-Hub-Signature-256` is `sha256=` + hex HMAC-SHA256 of the raw body, keyed by the secret."""
    if not (isinstance(app_secret, str) and app_secret and isinstance(header, str)):
        return False
    if not header.startswith(SIGNATURE_PREFIX):
        return False
    try:
        expected = hmac.new(app_secret.encode(), raw_body, hashlib.sha256).hexdigest()
    except TypeError:
        return False
    given = header[len(SIGNATURE_PREFIX) :].strip().lower()
    return hmac.compare_digest(expected.encode(), given.encode("utf-8", "replace"))


def parse_webhook(payload: object) -> list[Change]:
    if not isinstance(payload, dict):
        return [_unrecognised(None, "payload is not a JSON object", {"payload": payload})]
    if payload.get("object") != WABA_OBJECT:
        return [_unrecognised(None, f"object is not {WABA_OBJECT!r}", payload)]
    entries = payload.get("entry")
    if not isinstance(entries, list) or not entries:
        return [_unrecognised(None, "payload has no entry list", payload)]
    changes: list[Change] = []
    for entry in entries:
        changes.extend(_parse_entry(entry))
    return changes


def _parse_entry(entry: object) -> Iterator[Change]:
    if not isinstance(entry, dict) or not isinstance(entry.get("changes"), list):
        yield _unrecognised(None, "entry has no changes list", _envelope(entry))
        return
    context = {key: entry[key] for key in ("id", "time") if key in entry}
    if not entry["changes"]:
        yield _unrecognised(None, "entry has an empty changes list", _envelope(entry))
    for change in entry["changes"]:
        yield from _parse_change(change, context)


def _parse_change(change: object, context: Json) -> Iterator[Change]:
    raw, entry_time = _envelope({**context, "changes": [change]}), fields.epoch(context.get("time"))
    field = change.get("field") if isinstance(change, dict) else None
    field_name = field if isinstance(field, str) else None
    value = change.get("value") if isinstance(change, dict) else None
    parser = _PARSERS.get(field_name or "")
    if parser is None:
        reason = (
            f"field {field_name[:80]!r} is not handled" if field_name else "change has no field"
        )
        yield _unrecognised(field_name, reason, raw, entry_time)
        return
    if not isinstance(value, dict):
        yield _unrecognised(field_name, "change value is not an object", raw, entry_time)
        return
    problems: list[str] = []
    try:
        yield from parser(value, entry_time, problems)
    except Exception as error:  # a parser bug must not lose the change; keep it for inspection
        problems.append(f"parser failed: {type(error).__name__}")
    if problems:
        yield _unrecognised(field_name, "; ".join(problems), raw, entry_time)


_Parser: TypeAlias = Callable[[Json, datetime | None, list[str]], Iterator[Change]]
_ItemParser: TypeAlias = Callable[[Json, list[Json], datetime | None], Change | list[Change]]


def _parse_messages(
    value: Json, entry_time: datetime | None, problems: list[str]
) -> Iterator[Change]:
    known = [key for key in ("messages", "statuses", "errors") if key in value]
    if not known:
        problems.append("messages change has no messages, statuses or errors")
    contacts = [c for c in fields.as_list(value.get("contacts")) if isinstance(c, dict)]
    item_parsers: tuple[tuple[str, _ItemParser], ...] = (
        ("messages", _parse_message),
        ("statuses", _parse_status),
    )
    for key, parse_item in item_parsers:
        items = value.get(key, [])
        if not isinstance(items, list):
            problems.append(f"{key} is not a list")
            continue
        for item in items:
            try:
                parsed = parse_item(fields.json_object(item, key), contacts, entry_time)
            except fields.Malformed as malformed:
                problems.append(str(malformed))
            else:
                yield from parsed if isinstance(parsed, list) else [parsed]


def _parse_message(
    message: Json, contacts: list[Json], entry_time: datetime | None
) -> Change | list[Change]:
    message_id = fields.stripped(message.get("id"))
    if message_id is None:
        raise fields.Malformed("message without an id")
    wa_id, user_id = _identity(message.get("from"), message.get("from_user_id"), contacts)
    at = fields.epoch(message.get("timestamp")) or entry_time
    message_type = fields.stripped(message.get("type"))
    if message_type == "system":
        return _system_message(message, message_id, wa_id, user_id, at)
    texts = _reply_texts(message)
    return InboundMessage(
        dedupe_key=f"msg:{message_id}",
        occurred_at=at,
        wa_id=wa_id,
        user_id=user_id,
        message_id=message_id,
        received_at=at,
        text=texts[0] if texts else None,
        is_stop_promotions=any(is_stop_promotions_phrase(text) for text in texts),
        profile_name=_profile_name(contacts, wa_id, user_id),
        message_type=message_type,
    )


def _reply_texts(message: Json) -> list[str]:
    """What the customer typed or tapped; the shown text first, then any button payload/id."""
    button, interactive = (
        fields.as_dict(message.get("button")),
        fields.as_dict(message.get("interactive")),
    )
    reply = fields.as_dict(interactive.get("button_reply")) or fields.as_dict(
        interactive.get("list_reply")
    )
    candidates = (
        fields.as_dict(message.get("text")).get("body"),
        button.get("text"),
        button.get("payload"),
        reply.get("title"),
        reply.get("id"),
    )
    return [text for text in candidates if isinstance(text, str)]


def _system_message(
    message: Json, message_id: str, wa_id: str | None, user_id: str | None, at: datetime | None
) -> Change:
    system = fields.as_dict(message.get("system"))
    kind = fields.stripped(system.get("type"))
    if kind != "user_preference_changed":
        raise fields.Malformed(f"system message of type {(kind or '')[:80]!r} is not handled")
    preference = fields.stripped(system.get("marketing"))
    if preference is None:
        raise fields.Malformed("user_preference_changed without a marketing preference")
    return PreferenceChanged(
        dedupe_key=f"pref:msg:{message_id}",
        occurred_at=at,
        wa_id=wa_id,
        user_id=user_id,
        category="marketing_messages",
        value=preference.lower(),
        detail=fields.stripped(system.get("body")),
    )


def _parse_status(status: Json, contacts: list[Json], entry_time: datetime | None) -> list[Change]:
    message_id = fields.stripped(status.get("id"))
    state = fields.stripped(status.get("status"))
    if state is None:
        raise fields.Malformed("status without a status")
    state = state.lower()
    codes = tuple(
        code
        for code in (
            fields.text_id(fields.as_dict(error).get("code"))
            for error in fields.as_list(status.get("errors"))
        )
        if code is not None
    )
    recipient_user_id = status.get("recipient_user_id") or status.get("user_id")
    wa_id, user_id = _identity(status.get("recipient_id"), recipient_user_id, contacts)
    at = fields.epoch(status.get("timestamp")) or entry_time
    key = f"status:{message_id}:{state}" if message_id else "status:h" + fields.digest(status)
    changes: list[Change] = []
    if str(STOPPED_MARKETING_ERROR) in codes:
        changes.append(
            MarketingStoppedByError(
                dedupe_key=key, occurred_at=at, wa_id=wa_id, user_id=user_id, message_id=message_id
            )
        )
    if state not in STATUS_KINDS:
        if changes:
            return changes
        raise fields.Malformed(f"status {state[:40]!r} is not handled")
    if message_id is None:
        if changes:
            return changes
        raise fields.Malformed("status without a message id")
    changes.append(
        MessageStatus(
            dedupe_key=f"outcome:{message_id}:{state}",
            occurred_at=at,
            wa_id=wa_id,
            user_id=user_id,
            message_id=message_id,
            status=state,
            error_codes=codes,
        )
    )
    return changes


def _parse_user_preferences(
    value: Json, entry_time: datetime | None, problems: list[str]
) -> Iterator[Change]:
    items = value.get("user_preferences")
    if not isinstance(items, list) or not items:
        problems.append("user_preferences is not a non-empty list")
        return
    contacts = [c for c in fields.as_list(value.get("contacts")) if isinstance(c, dict)]
    for item in items:
        try:
            preference = fields.json_object(item, "user_preferences")
            category = fields.required(preference, "category")
            choice = fields.required(preference, "value").lower()
            wa_id, user_id = _identity(preference.get("wa_id"), preference.get("user_id"), contacts)
        except fields.Malformed as malformed:
            problems.append(str(malformed))
            continue
        at = fields.epoch(preference.get("timestamp")) or entry_time
        when = str(int(at.timestamp())) if at else "h" + fields.digest(preference)[:16]
        yield PreferenceChanged(
            dedupe_key=f"pref:{wa_id or ''}:{user_id or ''}:{category}:{choice}:{when}",
            occurred_at=at,
            wa_id=wa_id,
            user_id=user_id,
            category=category,
            value=choice,
            detail=fields.stripped(preference.get("detail")),
        )


_PARSERS: Final[Mapping[str, _Parser]] = {
    "message_template_status_update": templates.parse_status,
    "message_template_quality_update": templates.parse_quality,
    "template_category_update": templates.parse_category,
    "messages": _parse_messages,
    "user_preferences": _parse_user_preferences,
    "phone_number_quality_update": account.parse_phone_quality,
}


def _identity(
    sender: object, user_id_value: object, contacts: list[Json]
) -> tuple[str | None, str | None]:
    """(wa_id, user_id) from a sender field that may hold a phone or a BSUID, plus contacts."""
    wa_id, user_id = fields.phone(sender), fields.stripped(user_id_value)
    if wa_id is None and user_id is None:
        user_id = fields.stripped(sender)
    contact = _matching_contact(contacts, wa_id, user_id)
    wa_id = wa_id or fields.phone(contact.get("wa_id"))
    user_id = user_id or fields.stripped(contact.get("user_id"))
    if wa_id is None and user_id is None:
        raise fields.Malformed("no wa_id or user_id names the customer")
    return wa_id, user_id


def _matching_contact(contacts: list[Json], wa_id: str | None, user_id: str | None) -> Json:
    """The contact naming this customer; a lone contact only if it names no one else."""
    for contact in contacts:
        if (wa_id and fields.phone(contact.get("wa_id")) == wa_id) or (
            user_id and fields.stripped(contact.get("user_id")) == user_id
        ):
            return contact
    if len(contacts) == 1:
        lone_wa_id, lone_user_id = (
            fields.phone(contacts[0].get("wa_id")),
            fields.stripped(contacts[0].get("user_id")),
        )
        if (wa_id is None or lone_wa_id is None) and (user_id is None or lone_user_id is None):
            return contacts[0]
    return {}


def _profile_name(contacts: list[Json], wa_id: str | None, user_id: str | None) -> str | None:
    return fields.stripped(
        fields.as_dict(_matching_contact(contacts, wa_id, user_id).get("profile")).get("name")
    )


def _envelope(entry: object) -> Json:
    return {"object": WABA_OBJECT, "entry": [entry]}


def _unrecognised(
    field: str | None, reason: str, raw: Json, at: datetime | None = None
) -> Unrecognised:
    return Unrecognised(
        dedupe_key="raw:" + fields.digest(raw), occurred_at=at, field=field, reason=reason, raw=raw
    )
