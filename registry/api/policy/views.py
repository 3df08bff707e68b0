from __future__ import annotations

from typing import Any

from flask import request
from flask.views import MethodView
from marshmallow import Schema, fields

from registry.api.arguments import Blueprint
from registry.api.auth import requires
from registry.api.common import acting, services, tenant
from registry.api.errors import ApiError
from registry.api.queries import MinPositionQuery, PageQuery

blp = Blueprint("policy", __name__, url_prefix="/v1/policy", description="Tenant policy (R-POLICY)")


class FeedbackSchema(Schema):
    """SPEC §12; rates are numbers here (stored as decimal strings)."""

    attribution_hours = fields.Integer()
    window_days = fields.Integer()
    min_delivered = fields.Integer()
    template_pause_complaint_rate = fields.Float()
    template_pause_opt_out_rate = fields.Float()
    tenant_warn_complaint_rate = fields.Float()
    marketing_daily_customers = fields.Integer(allow_none=True)


class PilotSchema(Schema):
    """SPEC §13: a newly approved version of a template in `categories` reaches at most
    `customers` distinct customers until its pilot clears; null (the default) is no pilot."""

    customers = fields.Integer(metadata={"example": 500})
    categories = fields.List(fields.String(), metadata={"example": ["MARKETING"]})


class PolicySchema(Schema):
    display_name = fields.String()
    timezone = fields.String()
    send_window = fields.Dict(
        allow_none=True, metadata={"example": {"start": "09:00", "end": "21:00"}}
    )
    send_days = fields.List(fields.String())
    holidays = fields.String(allow_none=True)
    marketing_daily_limit = fields.Integer(allow_none=True)
    service_window_hours = fields.Integer()
    lint = fields.Dict(metadata={"example": {"max_emoji": 3}})
    confirmation_days = fields.Raw(
        metadata={
            "type": "number",
            "example": 30,
            "description": "double opt-in expiry (R-CONFIRM)",
        }
    )
    feedback = fields.Nested(FeedbackSchema)
    pilot = fields.Nested(PilotSchema, allow_none=True)
    version = fields.Integer(dump_only=True)
    position = fields.Integer(dump_only=True)


@blp.route("")
class Policy(MethodView):
    @requires("policy:read")
    @blp.arguments(MinPositionQuery, location="query")
    @blp.response(200, PolicySchema)
    def get(self, query: dict[str, Any]) -> Any:
        """The tenant's policy (defaults until first replaced)."""
        return services().policies.policy(tenant(), query.get("min_position"))

    @requires("policy:write")
    @blp.doc(requestBody={"content": {"application/json": {"schema": PolicySchema}}})
    @blp.response(200, PolicySchema)
    def put(self) -> Any:
        """Replace the whole policy; a field left out takes its default."""
        document = request.get_json(silent=True)
        if not isinstance(document, dict):
            raise ApiError(
                422,
                "validation_error",
                "the policy must be a JSON object",
                {"_schema": ["a JSON object is required"]},
            )
        # `version` and `position` are what GET adds; a read-edit-write round trip keeps them.
        document = {k: v for k, v in document.items() if k not in ("version", "position")}
        with acting():
            return services().policies.replace_policy(tenant(), document)


class PolicyVersionSchema(Schema):
    version = fields.Integer()
    position = fields.Integer()
    replaced_at = fields.String()
    actor = fields.String()
    request_id = fields.String(allow_none=True)
    policy = fields.Nested(PolicySchema)


class PolicyHistorySchema(Schema):
    versions = fields.List(fields.Nested(PolicyVersionSchema))
    position = fields.Integer()


@blp.route("/history")
class PolicyHistory(MethodView):
    @requires("policy:read")
    @blp.arguments(PageQuery, location="query")
    @blp.response(200, PolicyHistorySchema)
    def get(self, query: dict[str, Any]) -> Any:
        """Every version of the policy, oldest first, with who replaced it and when; page
        with `after_position` (the last version's `position`) and `limit`."""
        return services().policies.policy_history(
            tenant(),
            limit=query["limit"],
            after_position=query["after_position"],
            min_position=query.get("min_position"),
        )
