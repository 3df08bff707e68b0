"""Path parameters that cannot name anything (R-ERRORS): on `/v1`, a parameter that holds
a control character (NUL, a newline, …) is a 422 naming it, before the view runs.

No customer, template, receipt or experiment key is made of such characters (their fields
refuse them), and PostgreSQL's text refuses NUL outright, so such a key used to reach a
lookup and answer 500. The guard runs after the token and query guards, in R-AUTH's
order (401, 403, then 422)."""

from __future__ import annotations

from flask import Flask, Response, request

from registry.api.errors import error_response


def install_path_guard(app: Flask) -> None:
    @app.before_request
    def refuse_unprintable_path_parameters() -> Response | None:
        if not request.view_args or not request.path.startswith("/v1/"):
            return None
        refused = {
            name: ["must contain only printable characters"]
            for name, value in request.view_args.items()
            if isinstance(value, str) and not value.isprintable()
        }
        if not refused:
            return None
        return error_response(
            422, "validation_error", "a path parameter is not printable text", refused
        )
