"""The tenant's sending policy (SPEC §5, R-POLICY) and its validation.

`Policy.from_document` has PUT semantics: the document replaces the whole policy, a
top-level field left out takes its default, an unknown field anywhere is refused, and every
invalid value is reported at once in `PolicyInvalid.details` (field path -> messages).

Choices where the contract is silent:

- `send_window` is `null` (any time of day) or an object with both `start` and `end` as
  "HH:MM" (24-hour, two digits each); half a window does not default.  A moment is inside
  when start <= local time < end.  A window with start > end wraps over midnight:
  21:00-09:00 is evening to next morning, and 09:00-00:00 runs to midnight.  Each moment
  is still judged on its own local calendar day: with mon-fri, Saturday 02:00 is outside
  the send days even though Friday's evening window reaches into it.  start == end (an
  empty window) is refused; a whole day is `null`.
- `send_days` is a non-empty list of distinct lower-case names mon..sun, kept in week order.
- `holidays` is an upper-case ISO 3166 alpha-2 code the `holidays` package knows, or null.
- `marketing_daily_limit` is null (no limit) or an integer 0..1,000,000; 0 means no
  non-transactional template may be sent at all.
- `service_window_hours` is an integer 1..720 (up to 30 days).
- `lint` holds only `max_emoji`, an integer 0..1000; `{"lint": {}}` keeps its default.
- `display_name` is 1-200 characters, not only white space, without control characters.
- Booleans are never accepted as integers, and neither are floats such as 2.0.
- `confirmation_days` (R-CONFIRM) is the exception: a number that may be fractional,
  stored as a decimal string (registry.domain.confirmation).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time
from decimal import Decimal
from functools import cache
from typing import Any, Final
from zoneinfo import ZoneInfo, available_timezones

import holidays as holiday_calendars

from registry.domain.confirmation import DEFAULT_CONFIRMATION_DAYS, read_confirmation_days
from registry.domain.feedback import Feedback, read_feedback
from registry.domain.pilot import Pilot, read_pilot

DAY_NAMES: Final = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

DEFAULT_TIMEZONE: Final = "Europe/Moscow"
DEFAULT_SEND_WINDOW_START: Final = time(9, 0)
DEFAULT_SEND_WINDOW_END: Final = time(21, 0)
DEFAULT_SEND_DAYS: Final = ("mon", "tue", "wed", "thu", "fri")
DEFAULT_HOLIDAYS: Final = "RU"
DEFAULT_MARKETING_DAILY_LIMIT: Final = 2
DEFAULT_SERVICE_WINDOW_HOURS: Final = 24
DEFAULT_MAX_EMOJI: Final = 3

MAX_DISPLAY_NAME: Final = 200
MAX_DAILY_LIMIT: Final = 1_000_000
MAX_SERVICE_WINDOW_HOURS: Final = 720
MAX_EMOJI_LIMIT: Final = 1000

FIELDS: Final = frozenset(
    {
        "display_name",
        "confirmation_days",
        "timezone",
        "send_window",
        "send_days",
        "holidays",
        "marketing_daily_limit",
        "service_window_hours",
        "lint",
        "feedback",
        "pilot",
    }
)
_WINDOW_FIELDS: Final = ("start", "end")
_LINT_FIELDS: Final = frozenset({"max_emoji"})
_HH_MM: Final = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])")
_UNKNOWN: Final = "unknown field"


class PolicyInvalid(Exception):
    """The policy document is not valid; `details` maps each bad field to its messages."""

    def __init__(self, details: dict[str, list[str]]) -> None:
        super().__init__("the policy is not valid")
        self.details = details

    def nested(self) -> dict[str, Any]:
        """`details` nested as every other endpoint reports them (marshmallow's shape):
        `{"send_window": {"start": [...]}}` for the path `send_window.start`."""
        tree: dict[str, Any] = {}
        for path, messages in self.details.items():
            *parents, leaf = path.split(".")
            node = tree
            for name in parents:
                child = node.setdefault(name, {})
                if not isinstance(child, dict):  # the parent itself has messages
                    child = node[name] = {"_schema": child}
                node = child
            if isinstance(node.get(leaf), dict):
                node[leaf]["_schema"] = messages
            else:
                node[leaf] = messages
        return tree


@dataclass(frozen=True)
class SendWindow:
    start: time
    end: time

    @property
    def wraps_midnight(self) -> bool:
        return self.start > self.end

    def to_document(self) -> dict[str, str]:
        return {"start": self.start.strftime("%H:%M"), "end": self.end.strftime("%H:%M")}


@dataclass(frozen=True)
class Policy:
    display_name: str
    timezone: str
    send_window: SendWindow | None
    send_days: tuple[str, ...]
    holidays: str | None
    marketing_daily_limit: int | None
    service_window_hours: int
    max_emoji: int
    confirmation_days: Decimal = DEFAULT_CONFIRMATION_DAYS  # R-CONFIRM, stored as text
    feedback: Feedback = field(default_factory=Feedback)
    pilot: Pilot | None = None  # SPEC §13 (registry.domain.pilot); null: no pilot

    @classmethod
    def default(cls, tenant: str) -> Policy:
        return cls(
            display_name=tenant,
            timezone=DEFAULT_TIMEZONE,
            send_window=SendWindow(DEFAULT_SEND_WINDOW_START, DEFAULT_SEND_WINDOW_END),
            send_days=DEFAULT_SEND_DAYS,
            holidays=DEFAULT_HOLIDAYS,
            marketing_daily_limit=DEFAULT_MARKETING_DAILY_LIMIT,
            service_window_hours=DEFAULT_SERVICE_WINDOW_HOURS,
            max_emoji=DEFAULT_MAX_EMOJI,
        )

    @classmethod
    def from_document(cls, doc: Mapping[str, Any], *, tenant: str) -> Policy:
        return _PolicyReader(tenant).read(doc)

    def to_document(self) -> dict[str, Any]:
        return {
            "display_name": self.display_name,
            "timezone": self.timezone,
            "send_window": None if self.send_window is None else self.send_window.to_document(),
            "send_days": list(self.send_days),
            "holidays": self.holidays,
            "marketing_daily_limit": self.marketing_daily_limit,
            "service_window_hours": self.service_window_hours,
            "lint": {"max_emoji": self.max_emoji},
            "confirmation_days": str(self.confirmation_days),
            "feedback": self.feedback.to_document(),
            "pilot": None if self.pilot is None else self.pilot.to_document(),
        }

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@cache
def known_timezones() -> frozenset[str]:
    return frozenset(available_timezones()) - {"Factory", "localtime", "posixrules"}


@cache
def holiday_countries() -> frozenset[str]:
    return frozenset(
        code
        for code in holiday_calendars.list_supported_countries()
        if len(code) == 2 and code.isalpha() and code.isupper()
    )


class _PolicyReader:
    """Reads one document, collecting every problem before deciding."""

    def __init__(self, tenant: str) -> None:
        self.defaults = Policy.default(tenant)
        self.errors: dict[str, list[str]] = {}

    def fail(self, path: str, message: str) -> None:
        self.errors.setdefault(path, []).append(message)

    def read(self, doc: Mapping[str, Any]) -> Policy:
        if not isinstance(doc, Mapping):
            raise PolicyInvalid({"_schema": ["the policy must be a JSON object"]})
        for key in doc:
            if key not in FIELDS:
                self.fail(str(key), _UNKNOWN)
        d = self.defaults
        policy = Policy(
            display_name=self.display_name(doc.get("display_name", d.display_name)),
            timezone=self.timezone(doc.get("timezone", d.timezone)),
            send_window=self.send_window(doc["send_window"])
            if "send_window" in doc
            else d.send_window,
            send_days=self.send_days(doc.get("send_days", d.send_days)),
            holidays=self.holidays(doc.get("holidays", d.holidays)),
            marketing_daily_limit=self.daily_limit(
                doc.get("marketing_daily_limit", d.marketing_daily_limit)
            ),
            service_window_hours=self.bounded_int(
                "service_window_hours",
                doc.get("service_window_hours", d.service_window_hours),
                1,
                MAX_SERVICE_WINDOW_HOURS,
            ),
            max_emoji=self.lint(doc.get("lint", {})),
            confirmation_days=read_confirmation_days(
                doc.get("confirmation_days", d.confirmation_days), self.fail
            ),
            feedback=read_feedback(doc.get("feedback", {}), self.fail),
            pilot=read_pilot(doc.get("pilot"), self.fail),
        )
        if self.errors:
            raise PolicyInvalid(self.errors)
        return policy

    def display_name(self, value: object) -> str:
        if not isinstance(value, str):
            self.fail("display_name", "must be a string")
            return ""
        if not 1 <= len(value) <= MAX_DISPLAY_NAME:
            self.fail("display_name", f"must be 1 to {MAX_DISPLAY_NAME} characters long")
        elif not value.strip():
            self.fail("display_name", "must not be only white space")
        elif any(unicodedata.category(char) == "Cc" for char in value):
            self.fail("display_name", "must not contain control characters")
        return value

    def timezone(self, value: object) -> str:
        if not isinstance(value, str) or value not in known_timezones():
            self.fail("timezone", "must be an IANA time zone name such as 'Europe/Moscow'")
            return DEFAULT_TIMEZONE
        return value

    def send_window(self, value: object) -> SendWindow | None:
        if value is None:
            return None
        if not isinstance(value, Mapping):
            self.fail("send_window", "must be an object with 'start' and 'end', or null")
            return None
        for key in value:
            if key not in _WINDOW_FIELDS:
                self.fail(f"send_window.{key}", _UNKNOWN)
        start, end = (
            self.clock_time(f"send_window.{key}", value.get(key)) for key in _WINDOW_FIELDS
        )
        if start is None or end is None:
            return None
        if start == end:
            self.fail("send_window", "must not be empty: start equals end (use null for any time)")
            return None
        return SendWindow(start, end)

    def clock_time(self, path: str, value: object) -> time | None:
        if value is None:
            self.fail(path, 'is required, as "HH:MM"')
            return None
        match = _HH_MM.fullmatch(value) if isinstance(value, str) else None
        if match is None:
            self.fail(path, 'must be a 24-hour time "HH:MM", 00:00 to 23:59')
            return None
        return time(int(match[1]), int(match[2]))

    def send_days(self, value: object) -> tuple[str, ...]:
        if not isinstance(value, list | tuple):
            self.fail("send_days", "must be a list of day names (mon..sun)")
            return ()
        if not value:
            self.fail("send_days", "must name at least one day")
        seen: set[str] = set()
        for index, day in enumerate(value):
            if not isinstance(day, str) or day not in DAY_NAMES:
                self.fail(f"send_days.{index}", f"unknown day {day!r}; use mon, tue, … sun")
            elif day in seen:
                self.fail(f"send_days.{index}", f"duplicate day {day!r}")
            else:
                seen.add(day)
        return tuple(day for day in DAY_NAMES if day in seen)

    def holidays(self, value: object) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str) or value not in holiday_countries():
            self.fail(
                "holidays",
                "must be null or an upper-case ISO 3166 alpha-2 country code with a known "
                "public-holiday calendar, such as 'RU'",
            )
            return None
        return value

    def daily_limit(self, value: object) -> int | None:
        if value is None:
            return None
        return self.bounded_int("marketing_daily_limit", value, 0, MAX_DAILY_LIMIT)

    def lint(self, value: object) -> int:
        if not isinstance(value, Mapping):
            self.fail("lint", 'must be an object such as {"max_emoji": 3}')
            return DEFAULT_MAX_EMOJI
        for key in value:
            if key not in _LINT_FIELDS:
                self.fail(f"lint.{key}", _UNKNOWN)
        raw = value.get("max_emoji", DEFAULT_MAX_EMOJI)
        return self.bounded_int("lint.max_emoji", raw, 0, MAX_EMOJI_LIMIT)

    def bounded_int(self, path: str, value: object, low: int, high: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(path, f"must be an integer from {low} to {high}")
            return low
        if not low <= value <= high:
            self.fail(path, f"must be an integer from {low} to {high}")
        return value
