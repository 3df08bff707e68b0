"""Who is signed in, and what their token's scopes open (the same table as R-AUTH)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Final, cast

from flask import g

from registry.api.auth import Principal
from registry.domain.base import acting_as

READ_TEMPLATES: Final = frozenset({"templates:write", "templates:review"})


@dataclass(frozen=True)
class Section:
    """A console page, the scopes any one of which opens it, and its menu label key."""

    endpoint: str
    label: str
    scopes: frozenset[str]


SECTIONS: Final = (
    Section("console.queue", "nav.queue", READ_TEMPLATES),
    Section("console.templates", "nav.templates", READ_TEMPLATES),
    Section("console.customers", "nav.customers", frozenset({"consents:read"})),
    Section("console.policy", "nav.policy", frozenset({"policy:read"})),
    Section("console.limits", "nav.limits", frozenset({"policy:read"})),
    Section("console.experiments", "nav.experiments", READ_TEMPLATES),
    Section("console.reports", "nav.reports", frozenset({"audit:read"})),
    Section("console.audit", "nav.audit", frozenset({"audit:read"})),
)


class ScopeMissing(Exception):
    def __init__(self, scopes: frozenset[str]) -> None:
        super().__init__(" or ".join(sorted(scopes)))
        self.scopes = scopes


def person() -> Principal:
    return cast(Principal, g.console_principal)


def has(scope: str) -> bool:
    return scope in person().scopes


def has_any(scopes: frozenset[str]) -> bool:
    return bool(person().scopes & scopes)


def need(*scopes: str) -> None:
    """Refuse the page (403) unless the token holds one of `scopes`."""
    wanted = frozenset(scopes)
    if not has_any(wanted):
        raise ScopeMissing(wanted)


def open_sections() -> list[Section]:
    return [s for s in SECTIONS if has_any(s.scopes)]


@contextmanager
def acting() -> Iterator[None]:
    """Events recorded in this block name the person's `sub` and the request id."""
    with acting_as(person().actor, g.get("request_id", "")):
        yield
