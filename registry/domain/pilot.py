"""The policy's `pilot` section (SPEC §13, §19): before a mass send, a newly approved
version of a template in `categories` reaches at most `customers` distinct customers
until its pilot clears.

`"pilot": null` (the default) means no pilot. Otherwise both members may be given;
one left out takes its default (500 customers, MARKETING only), as every other section
does. `customers` is an integer from 1 to 1,000,000; `categories` a non-empty list of
distinct template categories (kept in the order MARKETING, UTILITY, AUTHENTICATION).
A pilot holds back only templates of the four non-transactional purposes (SPEC §18), so
an AUTHENTICATION entry never holds anything back; it is accepted because it is a category.

Which versions a pilot covers, when it clears and when it breaches: registry.domain.rules.pilot.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from registry.domain.vocabulary import CATEGORIES

DEFAULT_PILOT_CUSTOMERS: Final = 500
DEFAULT_PILOT_CATEGORIES: Final = ("MARKETING",)
MAX_PILOT_CUSTOMERS: Final = 1_000_000
PILOT_FIELDS: Final = frozenset({"customers", "categories"})


@dataclass(frozen=True)
class Pilot:
    customers: int = DEFAULT_PILOT_CUSTOMERS
    categories: tuple[str, ...] = DEFAULT_PILOT_CATEGORIES

    def to_document(self) -> dict[str, Any]:
        return {"customers": self.customers, "categories": list(self.categories)}


def read_pilot(value: object, fail: Callable[[str, str], None]) -> Pilot | None:
    """`pilot` of a policy document; every problem is reported through `fail(path, message)`."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        fail("pilot", 'must be null or an object such as {"customers": 500}')
        return None
    for key in value:
        if key not in PILOT_FIELDS:
            fail(f"pilot.{key}", "unknown field")
    customers = value.get("customers", DEFAULT_PILOT_CUSTOMERS)
    if (
        isinstance(customers, bool)
        or not isinstance(customers, int)
        or not 1 <= customers <= MAX_PILOT_CUSTOMERS
    ):
        fail("pilot.customers", f"must be an integer from 1 to {MAX_PILOT_CUSTOMERS}")
        customers = DEFAULT_PILOT_CUSTOMERS
    return Pilot(customers, _categories(value.get("categories", DEFAULT_PILOT_CATEGORIES), fail))


def _categories(value: object, fail: Callable[[str, str], None]) -> tuple[str, ...]:
    if not isinstance(value, list | tuple) or not value:
        fail("pilot.categories", f"must be a non-empty list of categories: {', '.join(CATEGORIES)}")
        return DEFAULT_PILOT_CATEGORIES
    seen: set[str] = set()
    for index, category in enumerate(value):
        if not isinstance(category, str) or category not in CATEGORIES:
            fail(f"pilot.categories.{index}", f"unknown category {category!r}")
        elif category in seen:
            fail(f"pilot.categories.{index}", f"duplicate category {category!r}")
        else:
            seen.add(category)
    return tuple(category for category in CATEGORIES if category in seen)
