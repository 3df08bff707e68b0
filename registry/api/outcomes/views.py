"""R-OUTCOME (SPEC §11) and R-THROTTLE (SPEC §12) endpoints."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask.views import MethodView

from registry.api.arguments import Blueprint
from registry.api.auth import requires
from registry.api.common import idempotently, services, tenant
from registry.api.fields import moment_field
from registry.api.openapi import CONFLICT, idempotent
from registry.api.outcomes.schemas import (
    AuthorizationStateSchema,
    LimitsSchema,
    MessageRefAnswerSchema,
    MessageRefSchema,
    OutcomesAnswerSchema,
    OutcomesRequestSchema,
    StatsSchema,
    UnknownOutcomesSchema,
)
from registry.api.queries import MinPositionQuery, position_field

blp = Blueprint(
    "outcomes",
    __name__,
    url_prefix="/v1",
    description="Outcomes and limits (R-OUTCOME, R-THROTTLE)",
)


class StatsQuery(MinPositionQuery):
    since = moment_field(metadata={"description": "Sends authorized at or after this moment."})
    until = moment_field(metadata={"description": "Sends authorized before this moment."})


class UnknownQuery(ma.Schema):
    limit = ma.fields.Integer(load_default=100, validate=ma.validate.Range(min=1, max=1000))
    after_id = position_field(
        "Items after this id (the last `id` of the previous page).", load_default=0
    )


@blp.route("/authorizations/<string:authorization_id>")
class AuthorizationResource(MethodView):
    @requires("decisions")
    @blp.arguments(MinPositionQuery, location="query")
    @blp.response(200, AuthorizationStateSchema)
    def get(self, query: dict[str, Any], authorization_id: str) -> Any:
        """The authorization with its outcomes (R-OUTCOME)."""
        return services().outcomes.authorization(
            tenant(), authorization_id, query.get("min_position")
        )


@blp.route("/authorizations/<string:authorization_id>/message-ref")
class MessageRef(MethodView):
    @requires("decisions")
    @idempotent
    @blp.arguments(MessageRefSchema)
    @blp.response(200, MessageRefAnswerSchema)
    @blp.alt_response(409, response=CONFLICT)
    def post(self, body: dict[str, Any], authorization_id: str) -> Any:
        """Attach the message id once (a different second value is a 409)."""

        def run() -> tuple[dict[str, Any], int]:
            answer = services().outcomes.attach_message_ref(
                tenant(), authorization_id, body["message_ref"]
            )
            return answer, 200

        return idempotently(run, recorded_status=200)


@blp.route("/outcomes")
class Outcomes(MethodView):
    @requires("decisions")
    @idempotent
    @blp.arguments(OutcomesRequestSchema)
    @blp.response(200, OutcomesAnswerSchema)
    def post(self, body: dict[str, Any]) -> Any:
        """Up to 1000 outcomes of sends; unknown sends are counted and kept for inspection."""

        def run() -> tuple[dict[str, Any], int]:
            return services().outcomes.record_outcomes(tenant(), body["items"]), 200

        return idempotently(run, recorded_status=200)


@blp.route("/outcomes/unknown")
class UnknownOutcomes(MethodView):
    @requires("decisions")
    @blp.arguments(UnknownQuery, location="query")
    @blp.response(200, UnknownOutcomesSchema)
    def get(self, query: dict[str, Any]) -> Any:
        """Outcomes that named no known authorization, oldest first."""
        return services().outcomes.unknown_outcomes(
            tenant(), limit=query["limit"], after_id=query["after_id"]
        )


@blp.route("/templates/<string:name>/<string:language>/stats")
class TemplateStats(MethodView):
    @requires("templates:write", "templates:review")
    @blp.arguments(StatsQuery, location="query")
    @blp.response(200, StatsSchema)
    def get(self, query: dict[str, Any], name: str, language: str) -> Any:
        """Counts and rates per version and in total, of the sends authorized in
        [since, until), each send counted once per outcome (R-OUTCOME)."""
        return services().outcomes.template_stats(
            tenant(),
            name,
            language,
            query.get("since"),
            query.get("until"),
            min_position=query.get("min_position"),
        )


@blp.route("/limits")
class Limits(MethodView):
    @requires("policy:read")
    @blp.arguments(MinPositionQuery, location="query")
    @blp.response(200, LimitsSchema)
    def get(self, query: dict[str, Any]) -> Any:
        """Per channel: configured, platform and effective limits, the 24 h count, the
        window's rates, and why the effective limit is what it is (R-THROTTLE)."""
        return services().outcomes.limits(tenant(), query.get("min_position"))
