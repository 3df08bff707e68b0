"""Which query parameters a view takes (SPEC §18: an unknown one is refused, never
ignored, so that a mistyped filter cannot export everything).

What a view takes is declared once, where it is parsed and documented: a flask-smorest
view's `@blp.arguments(SomeQuerySchema, location="query")` (`registry.api.arguments`
records it), or `@takes_query(...)` on a plain Flask view. A view that declares nothing
takes nothing. `registry.api.queries` installs the guard that refuses the rest, for
every route of the app; it raises `QueryRefused`, which the API answers as an R-ERRORS
422 and the customer-facing pages as a page of their own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

import marshmallow as ma

QUERY_ATTRIBUTE = "_query_parameters"
F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class QueryParameters:
    """The names a view takes, and those of them that may be given more than once.
    `anything` marks a view that reads no query but must never refuse one (an opt-out)."""

    names: frozenset[str] = frozenset()
    repeatable: frozenset[str] = frozenset()
    anything: bool = False

    @classmethod
    def of_schema(cls, schema: ma.Schema) -> QueryParameters:
        names, repeatable = set(), set()
        for name, field in schema.fields.items():
            if field.dump_only:
                continue
            key = field.data_key or name
            names.add(key)
            if isinstance(field, ma.fields.List):
                repeatable.add(key)
        return cls(frozenset(names), frozenset(repeatable))

    def __or__(self, other: QueryParameters) -> QueryParameters:
        return QueryParameters(
            self.names | other.names,
            self.repeatable | other.repeatable,
            self.anything or other.anything,
        )


NOTHING = QueryParameters()


def takes_query(*names: str, repeatable: Iterable[str] = ()) -> Callable[[F], F]:
    """For a plain Flask view that reads `request.args` itself."""

    def mark(view: F) -> F:
        setattr(view, QUERY_ATTRIBUTE, QueryParameters(frozenset(names), frozenset(repeatable)))
        return view

    return mark


def ignores_query(view: F) -> F:
    """For a view that must answer whatever its URL carries (an opt-out is never refused)."""
    setattr(view, QUERY_ATTRIBUTE, QueryParameters(anything=True))
    return view


def taken_by(view: Any) -> QueryParameters:
    taken: QueryParameters = getattr(view, QUERY_ATTRIBUTE, NOTHING)
    return taken


class QueryRefused(Exception):
    """Query parameters a view does not take, or repeated where it takes one value."""

    def __init__(self, message: str, details: dict[str, list[str]]) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    @property
    def names(self) -> list[str]:
        return sorted(self.details)


def check_query(taken: QueryParameters, args: Any) -> None:
    """Raises `QueryRefused` unless every parameter of `args` (a MultiDict) is taken."""
    if taken.anything:
        return
    unknown = sorted(name for name in args if name not in taken.names)
    if unknown:
        accepted = ", ".join(sorted(taken.names)) or "none"
        raise QueryRefused(
            f"unknown query parameter: {', '.join(unknown)}",
            {
                name: [f"unknown query parameter (this operation takes: {accepted})"]
                for name in unknown
            },
        )
    repeated = sorted(
        name for name in args if name not in taken.repeatable and len(args.getlist(name)) > 1
    )
    if repeated:
        raise QueryRefused(
            f"query parameter given more than once: {', '.join(repeated)}",
            {name: ["given more than once"] for name in repeated},
        )
