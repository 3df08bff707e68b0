"""R-WEBHOOK: integration settings (/v1) and the platform's webhook endpoint."""

from __future__ import annotations

import hmac
import json
from typing import Any

from flask import Flask, Response, jsonify, request
from flask.views import MethodView
from flask_smorest import Api
from marshmallow import Schema, fields, validate

from registry.api.arguments import Blueprint
from registry.api.auth import TENANT_PATTERN, requires
from registry.api.common import acting, services, tenant
from registry.api.errors import error_response
from registry.api.queries import MAX_QUERY_INT
from registry.integrations.whatsapp import signature_is_valid
from registry.querystrings import takes_query

blp = Blueprint(
    "integrations",
    __name__,
    url_prefix="/v1/integrations",
    description="Platform integrations (R-WEBHOOK)",
)


class WhatsAppSettingsSchema(Schema):
    app_secret = fields.String(required=True, validate=validate.Length(8, 512), load_only=True)
    verify_token = fields.String(required=True, validate=validate.Length(8, 512), load_only=True)
    waba_id = fields.String(validate=validate.Length(max=64), allow_none=True)


class WhatsAppSettingsAnswerSchema(Schema):
    configured = fields.Boolean()
    waba_id = fields.String(allow_none=True)
    position = fields.Integer()


class UnprocessedQuery(Schema):
    limit = fields.Integer(
        load_default=100,
        validate=validate.Range(min=1, max=1000),
        metadata={"description": "Payloads per page (1-1000)."},
    )
    after_id = fields.Integer(
        load_default=0,
        validate=validate.Range(min=0, max=MAX_QUERY_INT),
        metadata={"description": "Payloads after this id (the last `id` of the previous page)."},
    )


class UnprocessedSchema(Schema):
    items = fields.List(fields.Dict())
    position = fields.Integer()


@blp.route("/whatsapp")
class WhatsAppSettings(MethodView):
    @requires("policy:write")
    @blp.arguments(WhatsAppSettingsSchema)
    @blp.response(200, WhatsAppSettingsAnswerSchema)
    def put(self, settings: dict[str, Any]) -> Any:
        """Set the app secret (stored encrypted) and the verify token for webhooks."""
        with acting():
            return services().webhooks.configure_whatsapp(tenant(), settings)


@blp.route("/whatsapp/unprocessed")
class Unprocessed(MethodView):
    @requires("policy:write")
    @blp.arguments(UnprocessedQuery, location="query")
    @blp.response(200, UnprocessedSchema)
    def get(self, query: dict[str, Any]) -> Any:
        """Webhook payloads that were acknowledged but not understood (`after_id`, `limit`)."""
        return services().webhooks.unprocessed(tenant(), **query)


def register(app: Flask, api: Api) -> None:
    api.register_blueprint(blp)

    @app.get("/webhooks/whatsapp/<tenant_id>")
    @takes_query("hub.mode", "hub.verify_token", "hub.challenge")
    def whatsapp_handshake(tenant_id: str) -> Response:
        secrets = (
            services().webhooks.whatsapp_secrets(tenant_id)
            if TENANT_PATTERN.match(tenant_id)
            else None
        )
        mode = request.args.get("hub.mode")
        offered = request.args.get("hub.verify_token", "")
        if (
            secrets
            and mode == "subscribe"
            and hmac.compare_digest(offered.encode(), secrets[1].encode())
        ):
            return Response(request.args.get("hub.challenge", ""), mimetype="text/plain")
        return error_response(403, "forbidden", "verification failed")

    @app.post("/webhooks/whatsapp/<tenant_id>")
    def whatsapp_webhook(tenant_id: str) -> Response:
        raw = request.get_data(cache=True)
        secrets = (
            services().webhooks.whatsapp_secrets(tenant_id)
            if TENANT_PATTERN.match(tenant_id)
            else None
        )
        if not secrets or not signature_is_valid(
            secrets[0], raw, request.headers.get("X-Hub-Signature-256")
        ):
            return error_response(
                401, "invalid_signature", "the X-Hub-Signature-256 does not match"
            )
        try:
            payload: object = json.loads(raw.decode("utf-8"))
        except (ValueError, RecursionError):
            payload = {"unparseable_body": raw.decode("utf-8", "replace")[:100_000]}
        counts = services().webhooks.ingest_whatsapp(tenant_id, payload)
        return jsonify({"status": "ok", **counts})
