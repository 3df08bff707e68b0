"""The words of the contract (SPEC §2): channels, purposes, categories."""

from __future__ import annotations

from typing import Final

CHANNELS: Final = ("whatsapp", "sms", "viber", "telegram", "email")
DEFAULT_CHANNEL: Final = "whatsapp"

PURPOSES: Final = (
    "service",
    "authentication",
    "recommendations",
    "alerts",
    "promotions",
    "reminders",
)
NON_TRANSACTIONAL: Final = ("recommendations", "alerts", "promotions", "reminders")

CATEGORIES: Final = ("MARKETING", "UTILITY", "AUTHENTICATION")
PURPOSES_BY_CATEGORY: Final[dict[str, frozenset[str]]] = {
    "MARKETING": frozenset(NON_TRANSACTIONAL),
    "UTILITY": frozenset({"service", "alerts", "reminders"}),
    "AUTHENTICATION": frozenset({"authentication"}),
}

SOURCE_KINDS: Final = (
    "web_form",
    "checkout",
    "whatsapp_optin",
    "call_center",
    "paper",
    "import",
    "api",
)
# Kinds recorded by the registry itself, never accepted from a client's grant.
OPT_OUT_SOURCE_KINDS: Final = (*SOURCE_KINDS, "keyword", "link", "platform")

ACTOR_LINK: Final = "customer:link"
ACTOR_KEYWORD: Final = "customer:keyword"
ACTOR_PLATFORM: Final = "platform:whatsapp"
ACTOR_SYSTEM: Final = "system"


def purpose_fits_category(purpose: str, category: str) -> bool:
    return purpose in PURPOSES_BY_CATEGORY.get(category, frozenset())


def normalise_language(code: str) -> str:
    """`en-US` and `en_US` name the same language; the platform's form is `en_US`."""
    return code.replace("-", "_")
