from __future__ import annotations

from typing import Any

from flask import request
from flask.views import MethodView

from registry.api.arguments import Blueprint
from registry.api.auth import requires
from registry.api.common import acting, idempotently, services, tenant
from registry.api.consents.imports import parse_import
from registry.api.consents.schemas import (
    ConsentGrantSchema,
    ConsentRecordSchema,
    GrantAnswerSchema,
    ImportAnswerSchema,
    OptOutAnswerSchema,
    OptOutSchema,
)
from registry.api.openapi import idempotent
from registry.api.queries import MinPositionQuery

blp = Blueprint(
    "consents", __name__, url_prefix="/v1", description="Consents and opt-outs (R-CONSENT)"
)


@blp.route("/consents")
class Consents(MethodView):
    @requires("consents:write")
    @idempotent
    @blp.arguments(ConsentGrantSchema)
    @blp.response(201, GrantAnswerSchema)
    def post(self, grant: dict[str, Any]) -> Any:
        """Record a consent grant; every grant gets its own receipt."""
        return idempotently(lambda: (services().consents.grant(tenant(), grant), 201))


@blp.route("/consents/<receipt_id>")
class ConsentRecord(MethodView):
    @requires("consents:read")
    @blp.arguments(MinPositionQuery, location="query")
    @blp.response(200, ConsentRecordSchema)
    def get(self, query: dict[str, Any], receipt_id: str) -> Any:
        """The grant as recorded, its status now, and a signed ISO/IEC TS 27560 record."""
        return services().consent_records.record(tenant(), receipt_id, query.get("min_position"))


@blp.route("/opt-outs")
class OptOuts(MethodView):
    @requires("consents:write")
    @idempotent
    @blp.arguments(OptOutSchema)
    @blp.response(201, OptOutAnswerSchema)
    def post(self, opt_out: dict[str, Any]) -> Any:
        """Withdraw consent; never refused, effective for the next read."""
        return idempotently(
            lambda: (
                services().consents.opt_out(
                    tenant(),
                    opt_out["customer_id"],
                    opt_out["channel"],
                    opt_out["purposes"],
                    opt_out["source"],
                ),
                201,
            )
        )


@blp.route("/consents/import")
class ConsentImport(MethodView):
    @requires("consents:write")
    @idempotent
    @blp.response(201, ImportAnswerSchema)
    @blp.doc(
        requestBody={
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                "application/x-ndjson": {"schema": {"type": "string"}},
            }
        }
    )
    def post(self) -> Any:
        """Import up to 100,000 grants (CSV or JSON lines), all or nothing."""
        grants = parse_import(request.get_data(cache=True), request.mimetype)
        with acting():
            return idempotently(lambda: (services().imports.import_grants(tenant(), grants), 201))
