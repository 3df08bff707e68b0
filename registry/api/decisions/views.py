from __future__ import annotations

from typing import Any

from flask import current_app
from flask.views import MethodView
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from registry.api.arguments import Blueprint
from registry.api.auth import requires
from registry.api.common import idempotently, services, tenant
from registry.api.decisions.plain import (
    MAX_BATCH,
    TEMPLATE_LANGUAGE,
    TEMPLATE_NAME,
    PlainPathSchema,
    dump_authorization,
    dump_batch,
    dump_decision,
    load_authorization_request,
    load_batch_request,
    load_decision_request,
)
from registry.api.fields import channel_field, customer_id_field, moment_field, reference_field
from registry.api.openapi import idempotent
from registry.domain.reasons import REASON_ORDER
from registry.metrics import count_decisions

blp = Blueprint(
    "decisions", __name__, url_prefix="/v1", description="Decisions and authorizations (R-DECIDE)"
)


def reasons_field() -> fields.List[str]:
    """The reasons of a refusal, in SPEC §18's order; the enumeration is every code."""
    return fields.List(
        fields.String(validate=validate.OneOf(REASON_ORDER)),
        metadata={"description": "Every failing rule's code, in the order of SPEC §18."},
    )


class TemplateRefSchema(Schema):
    name = fields.String(required=True, validate=validate.Regexp(TEMPLATE_NAME))
    language = fields.String(required=True, validate=validate.Regexp(TEMPLATE_LANGUAGE))


class TemplateOrExperiment(Schema):
    """A request naming either `template` or `experiment` (R-EXPERIMENT); the schema
    declares `template` itself (whether it may be null differs)."""

    experiment = fields.String(
        validate=validate.Regexp(r"^[A-Za-z0-9_.-]{1,128}$"),
        metadata={"description": "An experiment's name in place of `template` (R-EXPERIMENT)."},
    )

    @validates_schema
    def _template_or_experiment(self, data: dict[str, Any], **_: Any) -> None:
        if "experiment" in data and "template" in data:
            raise ValidationError("give either template or experiment", "experiment")
        if "experiment" not in data and "template" not in data:
            raise ValidationError("Missing data for required field.", "template")


class DecisionRequestSchema(TemplateOrExperiment, PlainPathSchema):
    plain_load = staticmethod(load_decision_request)

    customer_id = customer_id_field(required=True)
    channel = channel_field(load_default="whatsapp")
    template = fields.Nested(
        TemplateRefSchema,
        allow_none=True,
        metadata={"description": "Required unless `experiment` is given; null: a session message."},
    )
    at = moment_field(calculated=True, allow_none=True)
    min_position = fields.Integer(validate=validate.Range(min=0), allow_none=True)


class DecisionSchema(PlainPathSchema):
    plain_dump = staticmethod(dump_decision)

    allowed = fields.Boolean()
    reasons = reasons_field()
    template_version = fields.Integer(allow_none=True)
    next_allowed_at = fields.String(allow_none=True)
    experiment = fields.String(metadata={"description": "Only when the request named one."})
    arm = fields.String(allow_none=True, metadata={"description": "The customer's arm."})
    template = fields.Dict(
        allow_none=True, metadata={"description": "{name, language, version} the arm resolved to."}
    )
    position = fields.Integer()


class BatchRequestSchema(PlainPathSchema):
    plain_load = staticmethod(load_batch_request)

    items = fields.List(
        fields.Nested(DecisionRequestSchema),
        required=True,
        validate=validate.Length(min=1, max=MAX_BATCH),
    )
    min_position = fields.Integer(validate=validate.Range(min=0), allow_none=True)


class BatchDecisionSchema(DecisionSchema):
    """A decision of a batch: the batch's answer carries the one position."""

    class Meta:
        exclude = ("position",)


class BatchSchema(PlainPathSchema):
    plain_dump = staticmethod(dump_batch)

    results = fields.List(fields.Nested(BatchDecisionSchema))
    position = fields.Integer()


class AuthorizationRequestSchema(TemplateOrExperiment, PlainPathSchema):
    plain_load = staticmethod(load_authorization_request)

    customer_id = customer_id_field(required=True)
    channel = channel_field(load_default="whatsapp")
    template = fields.Nested(
        TemplateRefSchema, metadata={"description": "Required unless `experiment` is given."}
    )
    message_ref = reference_field(256, min_length=0, allow_none=True)


class AuthorizationSchema(PlainPathSchema):
    plain_dump = staticmethod(dump_authorization)

    authorization_id = fields.String()
    allowed = fields.Boolean()
    template_version = fields.Integer(allow_none=True)
    receipt = fields.String()
    reasons = reasons_field()
    next_allowed_at = fields.String(allow_none=True)
    experiment = fields.String(metadata={"description": "Only when the request named one."})
    arm = fields.String(allow_none=True, metadata={"description": "The customer's arm."})
    template = fields.Dict(
        allow_none=True, metadata={"description": "{name, language, version} the arm resolved to."}
    )
    position = fields.Integer()


def _max_age() -> int:
    return int(current_app.config["REGISTRY_MAX_REQUEST_AGE_SECONDS"])


@blp.route("/decisions")
class Decisions(MethodView):
    @requires("decisions")
    @blp.arguments(DecisionRequestSchema())
    @blp.response(200, DecisionSchema())
    def post(self, body: dict[str, Any]) -> Any:
        """May we send this template (or a session message) to this customer now?"""
        decisions = services().decisions
        decisions.check_moment(body.get("at"), max_age_seconds=_max_age())
        answer = decisions.decide(tenant(), body)
        count_decisions((answer,))
        return answer


@blp.route("/decisions/batch")
class BatchDecisions(MethodView):
    @requires("decisions")
    @blp.arguments(BatchRequestSchema())
    @blp.response(200, BatchSchema())
    def post(self, body: dict[str, Any]) -> Any:
        """Up to 1000 decisions in one request, answered in the same order."""
        decisions = services().decisions
        moments = [item.get("at") for item in body["items"]]
        decisions.check_moments(moments, max_age_seconds=_max_age())
        answer = decisions.decide_batch(tenant(), body["items"], body.get("min_position"))
        count_decisions(answer["results"])
        return answer


@blp.route("/authorizations")
class Authorizations(MethodView):
    @requires("decisions")
    @idempotent
    @blp.arguments(AuthorizationRequestSchema())
    @blp.response(201, AuthorizationSchema())
    @blp.alt_response(200, schema=DecisionSchema(), description="Not allowed; nothing recorded")
    def post(self, body: dict[str, Any]) -> Any:
        """Decide for now and, when allowed, record the send with a signed receipt."""

        def run() -> tuple[dict[str, Any], int]:
            allowed, answer = services().decisions.authorize(tenant(), body)
            return answer, 201 if allowed else 200

        return idempotently(run)
