"""Opt-out words a customer may send (SPEC §3, R-WEBHOOK).

A message opts out only when the *whole* message is a keyword: "STOP", "Stop.", "  стоп!! "
and "opt-out" do; "stop sending me pizza ads please" does not. Before comparing, the text is
NFKC-normalised and case-folded, `ё` is read as `е`, and spacing, dashes and invisible
characters inside it are dropped, as are punctuation, symbols and emoji at either end.

The keyword set is the contract's six words (`SPEC_OPT_OUT_KEYWORDS`) plus the words the US
FCC (2025) and Twilio's defaults treat as revoking consent: CANCEL, END, QUIT, REVOKE, OPTOUT
and "OPT OUT". Honouring an opt-out the customer did not quite mean costs one re-consent;
ignoring one they did mean is a breach, so the wider list is accepted. The price is that a
bare "cancel" or "end" (meant, say, for an order) also withdraws every purpose on the channel.

The "Stop promotions" quick reply is a narrower request: it withdraws only the
non-transactional purposes, so it has its own phrase list (`STOP_PROMOTIONS_PHRASES`).
The Russian forms there are our reading of how the button is localised, not a verified
platform string; matching an extra phrase only ever withdraws promotions, which is safe.
"""

from __future__ import annotations

import unicodedata
from typing import Final

SPEC_OPT_OUT_KEYWORDS: Final = frozenset(
    {"STOP", "STOPALL", "UNSUBSCRIBE", "СТОП", "ОТПИСАТЬСЯ", "ОТПИСКА"}
)
OPT_OUT_KEYWORDS: Final = SPEC_OPT_OUT_KEYWORDS | frozenset(
    {"CANCEL", "END", "QUIT", "REVOKE", "OPTOUT", "OPT OUT"}
)
STOP_PROMOTIONS_PHRASES: Final = frozenset(
    {"Stop promotions", "Остановить рекламу", "Отписаться от рекламы"}
)

# Removed anywhere in the text: separators (Z*), dashes (Pd), format characters such as
# zero-width spaces (Cf), and control characters (Cc).
_DROPPED_INSIDE: Final = frozenset({"Zs", "Zl", "Zp", "Pd", "Cf", "Cc"})
# Trimmed from either end: punctuation, symbols (emoji are So, skin tones Sk) and marks
# left over from emoji sequences (variation selectors are Mn, the keycap is Me).
_TRIMMED_AT_ENDS: Final = ("P", "S", "M", "Z", "C")


def normalise_reply(text: str) -> str:
    """The comparable form of a short reply, as described in the module docstring."""
    folded = unicodedata.normalize("NFKC", text).casefold().replace("ё", "е")
    kept = "".join(ch for ch in folded if unicodedata.category(ch) not in _DROPPED_INSIDE)
    start, end = 0, len(kept)
    while start < end and unicodedata.category(kept[start]).startswith(_TRIMMED_AT_ENDS):
        start += 1
    while end > start and unicodedata.category(kept[end - 1]).startswith(_TRIMMED_AT_ENDS):
        end -= 1
    return kept[start:end]


_NORMALISED_OPT_OUT: Final = frozenset(normalise_reply(word) for word in OPT_OUT_KEYWORDS)
_NORMALISED_STOP_PROMOTIONS: Final = frozenset(
    normalise_reply(phrase) for phrase in STOP_PROMOTIONS_PHRASES
)


def is_opt_out_keyword(text: str | None) -> bool:
    """True when the whole message is one opt-out keyword."""
    if not isinstance(text, str):
        return False
    return normalise_reply(text) in _NORMALISED_OPT_OUT


def is_stop_promotions_phrase(text: str | None) -> bool:
    """True when the text is the platform's "Stop promotions" reply, in any known language."""
    if not isinstance(text, str):
        return False
    return normalise_reply(text) in _NORMALISED_STOP_PROMOTIONS
