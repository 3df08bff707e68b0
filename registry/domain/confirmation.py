"""Double opt-in (SPEC §17, R-CONFIRM): the policy's `confirmation_days`, and the replies
that confirm a pending consent or opt back in.

`confirmation_days` is a top-level policy number, default 30, and may be fractional
(0.5 = twelve hours); it must be above 0 and at most 3650. Events may hold no floats
(Merkle leaves, R-AUDIT), so the stored policy document writes it as a decimal string
("30", "0.5"); the reader takes that form as well as a JSON number, and the API answers a
number.

Replies are compared as opt-out keywords are (registry.domain.keywords.normalise_reply).
`YES`, `ДА`, `START` and `СТАРТ` confirm what is pending on the channel; with nothing
pending, `START`, `UNSTOP` and `СТАРТ` opt back in to what the last keyword opt-out on the
channel withdrew. A bare "yes" therefore never grants anything by itself.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Final

from registry.domain.keywords import normalise_reply

DEFAULT_CONFIRMATION_DAYS: Final = Decimal(30)
MAX_CONFIRMATION_DAYS: Final = Decimal(3650)
CONFIRM_KEYWORDS: Final = frozenset({"YES", "ДА", "START", "СТАРТ"})
OPT_IN_KEYWORDS: Final = frozenset({"START", "UNSTOP", "СТАРТ"})
_CONFIRM: Final = frozenset(normalise_reply(word) for word in CONFIRM_KEYWORDS)
_OPT_IN: Final = frozenset(normalise_reply(word) for word in OPT_IN_KEYWORDS)


def is_confirm_keyword(text: str | None) -> bool:
    return isinstance(text, str) and normalise_reply(text) in _CONFIRM


def is_opt_in_keyword(text: str | None) -> bool:
    return isinstance(text, str) and normalise_reply(text) in _OPT_IN


@dataclass(frozen=True)
class Reply:
    """An inbound message that may confirm or opt back in (`Customer.answer_reply`)."""

    confirms: bool
    opts_in: bool
    evidence: str | None  # the message text, sealed with the customer's key
    at: datetime
    receipt_id: str  # for the grant an opt-in records

    @classmethod
    def of(cls, text: str | None, sealed_text: str | None, at: datetime) -> Reply | None:
        confirms, opts_in = is_confirm_keyword(text), is_opt_in_keyword(text)
        if not confirms and not opts_in:
            return None
        return cls(confirms, opts_in, sealed_text, at, "rcpt_" + uuid.uuid4().hex)


def read_confirmation_days(value: object, fail: Callable[[str, str], None]) -> Decimal:
    message = f"must be a number greater than 0 and at most {MAX_CONFIRMATION_DAYS}"
    parsed: Decimal | None = None
    if isinstance(value, Decimal):
        parsed = value
    elif isinstance(value, int | float) and not isinstance(value, bool):
        parsed = _decimal(repr(value))  # 0.5, not 0.5000000000000000277…
    elif isinstance(value, str) and len(value) <= 32:
        parsed = _decimal(value)
    if parsed is None or not parsed.is_finite() or not 0 < parsed <= MAX_CONFIRMATION_DAYS:
        fail("confirmation_days", message)
        return DEFAULT_CONFIRMATION_DAYS
    return parsed


def _decimal(text: str) -> Decimal | None:
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def as_number(days: Decimal) -> int | float:
    """The API's form: 30, or 0.5."""
    return int(days) if days == days.to_integral_value() else float(days)


def confirm_by(granted_at: datetime, days: Decimal) -> datetime:
    """When a pending consent granted at `granted_at` expires unconfirmed (to the microsecond)."""
    return granted_at + timedelta(microseconds=int(days * 86_400_000_000))
