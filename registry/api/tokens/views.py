"""`POST /v1/tokens/revoke`: revoke a bearer token by its `jti` (scope policy:write)."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from registry.api.arguments import Blueprint
from registry.api.auth import requires
from registry.api.common import idempotently, services, tenant
from registry.api.fields import reference_field
from registry.api.openapi import idempotent

blp = Blueprint("tokens", __name__, url_prefix="/v1/tokens", description="Bearer tokens (R-AUTH)")


class RevokeSchema(Schema):
    jti = reference_field(256, required=True)
    reason = fields.String(validate=validate.Length(max=1024), allow_none=True)


class RevokeAnswerSchema(Schema):
    jti = fields.String()
    revoked = fields.Boolean()
    position = fields.Integer()


@blp.route("/revoke")
class Revoke(MethodView):
    @requires("policy:write")
    @idempotent
    @blp.arguments(RevokeSchema)
    @blp.response(200, RevokeAnswerSchema)
    def post(self, body: dict[str, Any]) -> Any:
        """Revoke the tenant's token with this `jti`: from the next request on, every worker
        answers it with 401 `token_revoked`. Revoking it again changes nothing."""
        return idempotently(
            lambda: (services().tokens.revoke(tenant(), body["jti"], body.get("reason")), 200),
            recorded_status=200,
        )
