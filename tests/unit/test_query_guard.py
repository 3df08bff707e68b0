"""The query guard is structural: any view of a `registry.api.arguments.Blueprint`, or
any plain Flask route, refuses query parameters it does not declare (SPEC §18)."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
import pytest
from flask import Flask
from flask.views import MethodView
from flask_smorest import Api

from registry.api.arguments import Blueprint
from registry.api.queries import install_query_guard
from registry.querystrings import ignores_query, takes_query


class WindowQuery(ma.Schema):
    limit = ma.fields.Integer()
    kinds = ma.fields.List(ma.fields.String())


@pytest.fixture
def client() -> Any:
    app = Flask("query-guard-test")
    app.config.update(API_TITLE="t", API_VERSION="1", OPENAPI_VERSION="3.0.3")
    api = Api(app)
    install_query_guard(app)
    blp = Blueprint("things", __name__, url_prefix="/v1/things")

    @blp.route("")
    class Things(MethodView):
        @blp.response(200)
        def get(self) -> Any:
            return {"ok": True}

    @blp.route("/window")
    class Window(MethodView):
        @blp.arguments(WindowQuery, location="query")
        @blp.response(200)
        def get(self, query: dict[str, Any]) -> Any:
            return query

    api.register_blueprint(blp)

    @app.get("/hook")
    @takes_query("hub.mode")
    def hook() -> Any:
        return {"ok": True}

    @app.post("/never-refused")
    @ignores_query
    def never_refused() -> Any:
        return {"ok": True}

    @app.get("/plain")
    def plain() -> Any:
        return {"ok": True}

    return app.test_client()


def test_a_new_endpoint_without_a_query_schema_refuses_any_parameter(client: Any) -> None:
    answer = client.get("/v1/things?filter=x")
    assert answer.status_code == 422
    assert answer.get_json()["error"]["details"]["filter"]


def test_an_endpoint_takes_exactly_the_fields_of_its_query_schema(client: Any) -> None:
    assert client.get("/v1/things/window?limit=3&kinds=a&kinds=b").get_json() == {
        "limit": 3,
        "kinds": ["a", "b"],
    }
    refused = client.get("/v1/things/window?limit=3&kind=a")
    assert refused.status_code == 422
    assert list(refused.get_json()["error"]["details"]) == ["kind"]


def test_a_plain_route_takes_what_it_declares(client: Any) -> None:
    assert client.get("/hook?hub.mode=subscribe").status_code == 200
    assert client.get("/hook?hub.mode=subscribe&hub.topic=x").status_code == 422
    assert client.get("/plain?x=1").status_code == 422
    assert client.get("/plain").status_code == 200


def test_a_route_that_ignores_its_query_answers_whatever_it_carries(client: Any) -> None:
    assert client.post("/never-refused?utm_source=x").status_code == 200
