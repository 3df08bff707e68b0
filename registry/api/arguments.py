"""The views' Blueprint: flask-smorest's, whose webargs parser loads a view's arguments
from the JSON body the guard has already parsed and checked (`registry.api.guards`),
instead of parsing the body a second time."""

from __future__ import annotations

from typing import Any

import flask_smorest
from flask import Request, g
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request


class GuardedBodyParser(FlaskParser):
    def _raw_load_json(self, req: Request) -> Any:
        body = g.get("json_body", core.missing)  # set for every non-empty JSON body on /v1
        if body is not core.missing and is_json_request(req):
            return body
        return super()._raw_load_json(req)


class Blueprint(flask_smorest.Blueprint):  # type: ignore[misc]
    ARGUMENTS_PARSER = GuardedBodyParser()
