"""The views' Blueprint: flask-smorest's, with two additions every resource gets by
using it.

- Its webargs parser loads a view's arguments from the JSON body the guard has already
  parsed and checked (`registry.api.guards`), instead of parsing the body a second time.
- `@blp.arguments(Schema, location="query")` also records the query parameters the
  operation takes, for the guard that refuses every other one (`registry.querystrings`):
  a view that declares no query schema takes no query parameter at all.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import flask_smorest
import marshmallow as ma
from flask import Request, g
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request

from registry.querystrings import QUERY_ATTRIBUTE, QueryParameters


class GuardedBodyParser(FlaskParser):
    # A query parameter the schema does not name is refused, not dropped (SPEC §18).
    DEFAULT_UNKNOWN_BY_LOCATION = {
        **FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION,
        "query": ma.RAISE,
        "querystring": ma.RAISE,
    }

    def _raw_load_json(self, req: Request) -> Any:
        body = g.get("json_body", core.missing)  # set for every non-empty JSON body on /v1
        if body is not core.missing and is_json_request(req):
            return body
        return super()._raw_load_json(req)


class Blueprint(flask_smorest.Blueprint):  # type: ignore[misc]
    ARGUMENTS_PARSER = GuardedBodyParser()

    def arguments(
        self, schema: type[ma.Schema] | ma.Schema, *, location: str = "json", **kwargs: Any
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        decorate = super().arguments(schema, location=location, **kwargs)
        if location not in ("query", "querystring"):
            return decorate  # type: ignore[no-any-return]
        taken = QueryParameters.of_schema(schema() if isinstance(schema, type) else schema)

        def record(view: Callable[..., Any]) -> Callable[..., Any]:
            wrapped = decorate(view)
            earlier = getattr(wrapped, QUERY_ATTRIBUTE, None)
            setattr(wrapped, QUERY_ATTRIBUTE, taken if earlier is None else earlier | taken)
            return wrapped  # type: ignore[no-any-return]

        return record
