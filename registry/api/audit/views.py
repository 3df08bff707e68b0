"""R-AUDIT endpoints."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flask import Flask, Response, stream_with_context
from flask.views import MethodView
from flask_smorest import Api
from marshmallow import Schema, fields

from registry.api.arguments import Blueprint
from registry.api.audit.filters import ExportQuery
from registry.api.auth import requires
from registry.api.common import services, tenant
from registry.api.decisions.views import TemplateOrExperiment, TemplateRefSchema, reasons_field
from registry.api.errors import ApiError
from registry.api.fields import channel_field, customer_id_field, moment_field
from registry.api.queries import position_field

STREAM_CHUNK = 64 * 1024

blp = Blueprint(
    "audit", __name__, url_prefix="/v1/audit", description="Verifiable audit trail (R-AUDIT)"
)


class CheckpointSchema(Schema):
    origin = fields.String()
    tree_size = fields.Integer()
    root_hash = fields.String()
    note = fields.String()
    signature = fields.String()
    key_id = fields.String()


class ProofSchema(Schema):
    leaf_index = fields.Integer()
    tree_size = fields.Integer()
    proof = fields.List(fields.String())


class ConsistencyQuery(Schema):
    first = position_field("The size of the earlier tree.", required=True)
    second = position_field("The size of the later tree (at most the log's).", required=True)


class InclusionQuery(Schema):
    leaf_index = position_field("The leaf to prove (from 0).", required=True)
    tree_size = position_field("The size of the tree it is proved in.", required=True)


class ConsistencySchema(Schema):
    first = fields.Integer()
    second = fields.Integer()
    proof = fields.List(fields.String())


class ReplayRequestSchema(TemplateOrExperiment):
    customer_id = customer_id_field(required=True)
    channel = channel_field(load_default="whatsapp")
    template = fields.Nested(
        TemplateRefSchema,
        allow_none=True,
        metadata={"description": "Required unless `experiment` is given; null: a session message."},
    )
    at = moment_field(calculated=True, required=True)


class ReplaySchema(Schema):
    allowed = fields.Boolean()
    reasons = reasons_field()
    template_version = fields.Integer(allow_none=True)
    next_allowed_at = fields.String(allow_none=True)
    at = fields.String()
    policy_version = fields.Integer()
    experiment = fields.String(metadata={"description": "Only when the request named one."})
    arm = fields.String(allow_none=True, metadata={"description": "The customer's arm then."})
    template = fields.Dict(
        allow_none=True, metadata={"description": "{name, language, version} the arm resolved to."}
    )
    rested_on = fields.Dict()
    position = fields.Integer()


def _proof_error(error: ValueError) -> ApiError:
    return ApiError(422, "validation_error", str(error), {"range": [str(error)]})


@blp.route("/checkpoint")
class Checkpoint(MethodView):
    @requires("audit:read")
    @blp.response(200, CheckpointSchema)
    def get(self) -> Any:
        """A signed checkpoint covering every acknowledged event of the tenant."""
        return services().audit.checkpoint(tenant())


def _text_response(description: str, *content_types: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {ct: {"schema": {"type": "string"}} for ct in content_types},
    }


@blp.route("/public-key")
class PublicKey(MethodView):
    @requires("audit:read")
    @blp.doc(responses={"200": _text_response("PEM public key", "application/x-pem-file")})
    def get(self) -> Any:
        """The Ed25519 public key (PEM) for checkpoints and receipts."""
        return Response(services().parts.keyring.public_key_pem, mimetype="application/x-pem-file")


@blp.route("/consistency")
class Consistency(MethodView):
    @requires("audit:read")
    @blp.arguments(ConsistencyQuery, location="query")
    @blp.response(200, ConsistencySchema)
    def get(self, query: dict[str, Any]) -> Any:
        """RFC 9162 consistency proof between two tree sizes (`first`, `second`)."""
        try:
            return services().audit.consistency(tenant(), query["first"], query["second"])
        except ValueError as error:
            raise _proof_error(error) from None


@blp.route("/proof")
class Inclusion(MethodView):
    @requires("audit:read")
    @blp.arguments(InclusionQuery, location="query")
    @blp.response(200, ProofSchema)
    def get(self, query: dict[str, Any]) -> Any:
        """RFC 9162 inclusion proof of a leaf (`leaf_index`) in a tree (`tree_size`)."""
        try:
            return services().audit.inclusion(tenant(), query["leaf_index"], query["tree_size"])
        except ValueError as error:
            raise _proof_error(error) from None


@blp.route("/events")
class Events(MethodView):
    @requires("audit:read")
    @blp.doc(
        responses={
            "200": _text_response(
                "JSON lines (format=jsonl) or CSV (format=csv)", "application/x-ndjson", "text/csv"
            )
        }
    )
    @blp.arguments(ExportQuery, location="query")
    def get(self, query: dict[str, Any]) -> Any:
        """Stream the trail as JSON lines with proofs, or CSV (`format`, filters)."""
        fmt = query.pop("format")
        lines = services().audit.export(tenant(), query, fmt)
        mimetype = (
            "text/csv; charset=utf-8" if fmt == "csv" else "application/x-ndjson; charset=utf-8"
        )
        return Response(stream_with_context(_chunks(lines)), content_type=mimetype)


def _chunks(lines: Iterator[str], size: int = STREAM_CHUNK) -> Iterator[bytes]:
    """Whole lines gathered into writes of about `size` bytes: one write (and, behind a
    WSGI server, one system call) per line would cost more than making the line."""
    pending: list[str] = []
    length = 0
    for line in lines:
        pending.append(line)
        length += len(line)
        if length >= size:
            yield "".join(pending).encode()
            pending.clear()
            length = 0
    if pending:
        yield "".join(pending).encode()


@blp.route("/replay")
class Replay(MethodView):
    @requires("audit:read")
    @blp.arguments(ReplayRequestSchema)
    @blp.response(200, ReplaySchema)
    def post(self, body: dict[str, Any]) -> Any:
        """The decision as the registry knew things at a past moment."""
        return services().audit.replay(tenant(), body)


def register(app: Flask, api: Api) -> None:
    api.register_blueprint(blp)
