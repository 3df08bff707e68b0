"""The policy as an HTML form and back (R-POLICY; PUT semantics: the form sends the whole
policy). Part one's fields get their own inputs; any further top-level section the registry
grows (part two's `feedback`, `pilot`, `confirmation_days` …) is edited as JSON text, so the
form never drops a field it does not know. Values are passed on as typed: the domain's own
validation (the same as `PUT /v1/policy`) judges them and names each bad field."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final

DAYS: Final = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
OWN_FIELDS: Final = frozenset(
    {
        "display_name",
        "timezone",
        "send_window",
        "send_days",
        "holidays",
        "marketing_daily_limit",
        "service_window_hours",
        "lint",
    }
)
NOT_POLICY: Final = frozenset({"version", "position"})
EXTRA_PREFIX: Final = "extra:"
FORM_FIELDS: Final = frozenset(
    {
        "csrf_token",
        "display_name",
        "timezone",
        "any_time",
        "window_start",
        "window_end",
        "send_days",
        "holidays",
        "marketing_daily_limit",
        "service_window_hours",
        "max_emoji",
    }
)


class ExtraNotJson(ValueError):
    def __init__(self, field: str) -> None:
        super().__init__(field)
        self.field = field


def extra_sections(policy: Mapping[str, Any]) -> dict[str, str]:
    """Sections beyond part one's, as indented JSON text for their text areas."""
    return {
        name: json.dumps(value, ensure_ascii=False, indent=2)
        for name, value in policy.items()
        if name not in OWN_FIELDS and name not in NOT_POLICY
    }


def form_values(policy: Mapping[str, Any]) -> dict[str, Any]:
    """What the inputs show for a stored policy."""
    window = policy.get("send_window")
    limit = policy.get("marketing_daily_limit")
    return {
        "display_name": policy.get("display_name", ""),
        "timezone": policy.get("timezone", ""),
        "any_time": window is None,
        "window_start": window["start"] if window else "09:00",
        "window_end": window["end"] if window else "21:00",
        "send_days": list(policy.get("send_days") or []),
        "holidays": policy.get("holidays") or "",
        "marketing_daily_limit": "" if limit is None else str(limit),
        "service_window_hours": str(policy.get("service_window_hours", "")),
        "max_emoji": str((policy.get("lint") or {}).get("max_emoji", "")),
        "extra": extra_sections(policy),
    }


def submitted_values(form: Mapping[str, Any], days: list[str]) -> dict[str, Any]:
    """What the inputs show again after a refused submission (as typed)."""
    return {
        "display_name": form.get("display_name", ""),
        "timezone": form.get("timezone", ""),
        "any_time": form.get("any_time") == "on",
        "window_start": form.get("window_start", ""),
        "window_end": form.get("window_end", ""),
        "send_days": days,
        "holidays": form.get("holidays", ""),
        "marketing_daily_limit": form.get("marketing_daily_limit", ""),
        "service_window_hours": form.get("service_window_hours", ""),
        "max_emoji": form.get("max_emoji", ""),
        "extra": {
            key[len(EXTRA_PREFIX) :]: value
            for key, value in form.items()
            if key.startswith(EXTRA_PREFIX)
        },
    }


def _number(text: str) -> Any:
    """An integer when the text is one, else the text itself (refused by the domain)."""
    stripped = text.strip()
    if stripped.lstrip("-").isdigit() and len(stripped) <= 18:
        return int(stripped)
    return stripped


def policy_document(form: Mapping[str, Any], days: list[str]) -> dict[str, Any]:
    """The whole policy the form describes, for `replace_policy`."""
    any_time = form.get("any_time") == "on"
    limit = str(form.get("marketing_daily_limit", "")).strip()
    holidays = str(form.get("holidays", "")).strip()
    document: dict[str, Any] = {
        "display_name": form.get("display_name", ""),
        "timezone": str(form.get("timezone", "")).strip(),
        "send_window": None
        if any_time
        else {
            "start": str(form.get("window_start", "")).strip(),
            "end": str(form.get("window_end", "")).strip(),
        },
        "send_days": days,
        "holidays": holidays.upper() or None,
        "marketing_daily_limit": _number(limit) if limit else None,
        "service_window_hours": _number(str(form.get("service_window_hours", ""))),
        "lint": {"max_emoji": _number(str(form.get("max_emoji", "")))},
    }
    for key, value in form.items():
        if not key.startswith(EXTRA_PREFIX):
            continue
        name = key[len(EXTRA_PREFIX) :]
        try:
            document[name] = json.loads(value)
        except ValueError:
            raise ExtraNotJson(name) from None
    return document


def changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """(field, old, new) for each top-level field that differs."""
    found = []
    for name in sorted(set(before) | set(after)):
        if name in NOT_POLICY:
            continue
        old, new = before.get(name), after.get(name)
        if old != new:
            found.append((name, _shown(old), _shown(new)))
    return found


def _shown(value: Any) -> str:
    return "null" if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)
