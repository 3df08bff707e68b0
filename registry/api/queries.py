"""The guard that refuses every query parameter a view does not take (SPEC §18), for
every route of the app (see `registry.querystrings` for how a view declares what it
takes), and the query schemas most reads share.

The guard runs after the token and scope checks and before the view, as R-AUTH orders
them (401, 403, then 400/413/415/422, then 404), so an endpoint added later gets the rule
without asking for it.
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import Flask, Request, Response, request

from registry.api.errors import error_response
from registry.querystrings import QueryParameters, QueryRefused, check_query, taken_by


def _view_of(app: Flask, req: Request) -> Any:
    view = app.view_functions.get(req.endpoint or "")
    view_class = getattr(view, "view_class", None)
    if view_class is None:
        return view
    method = getattr(view_class, req.method.lower(), None)
    if method is None and req.method == "HEAD":
        method = getattr(view_class, "get", None)
    return method


def install_query_guard(app: Flask) -> None:
    """Install after the token guard, so that 401 and 403 come first."""
    taken_by_view: dict[tuple[str, str], QueryParameters] = {}

    @app.before_request
    def refuse_unknown_query_parameters() -> None:
        req: Request = request._get_current_object()  # type: ignore[attr-defined]
        if not req.query_string or req.endpoint is None or req.method == "OPTIONS":
            return
        key = (req.endpoint, req.method)
        taken = taken_by_view.get(key)
        if taken is None:
            taken = taken_by_view[key] = taken_by(_view_of(app, req))
        check_query(taken, req.args)

    @app.errorhandler(QueryRefused)
    def query_refused(error: QueryRefused) -> Response:
        return error_response(422, "validation_error", error.message, error.details)


# ---- the query schemas most reads share --------------------------------------------------

MAX_QUERY_INT = 2**62


def position_field(description: str, **kwargs: Any) -> ma.fields.Integer:
    return ma.fields.Integer(
        validate=ma.validate.Range(min=0, max=MAX_QUERY_INT),
        metadata={"description": description},
        **kwargs,
    )


class MinPositionQuery(ma.Schema):
    min_position = position_field(
        "Answer only once the read reflects this log position (R-POSITION); a position "
        "ahead of the log is a 422."
    )


class PageQuery(MinPositionQuery):
    limit = ma.fields.Integer(
        load_default=100,
        validate=ma.validate.Range(min=1, max=1000),
        metadata={"description": "Events per page (1-1000)."},
    )
    after_position = position_field(
        "Events after this log position (the last `position` of the previous page).",
        load_default=0,
    )
