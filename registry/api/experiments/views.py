"""R-EXPERIMENT (SPEC §13): `POST /v1/experiments` (DRAFT), `GET` one or all, and
`…/start` (four eyes), `…/stop`, `…/conclude {winner, reason}`."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from registry.api.arguments import Blueprint
from registry.api.auth import requires
from registry.api.common import acting, idempotently, services, tenant
from registry.api.customers.schemas import ReasonSchema
from registry.api.decisions.views import TemplateRefSchema
from registry.api.openapi import CONFLICT, idempotent
from registry.api.queries import MinPositionQuery
from registry.domain.experiment import STATUSES
from registry.domain.experiment_results import SUGGESTION_REASONS
from registry.domain.vocabulary import CHANNELS, NON_TRANSACTIONAL

blp = Blueprint(
    "experiments", __name__, url_prefix="/v1/experiments", description="A/B tests (R-EXPERIMENT)"
)
KEY = "<string:name>"
READERS = ("templates:write", "templates:review")
NAME = validate.Regexp(r"^[A-Za-z0-9_.-]{1,128}$")
METRICS = ("read", "replied", "clicked", "converted")


def _weight(description: str, **kw: Any) -> fields.Integer:
    return fields.Integer(
        strict=True,
        validate=validate.Range(min=0, max=100),
        metadata={"description": description},
        **kw,
    )


class ArmSchema(Schema):
    name = fields.String(required=True, validate=NAME)
    template = fields.Nested(TemplateRefSchema, required=True)
    weight = _weight("An integer; the arms' weights and control_weight sum to 100.", required=True)


class GuardrailsSchema(Schema):
    max_opt_out_rate = fields.Decimal(
        required=True,
        validate=validate.Range(min=0, max=1),
        # apispec writes a Decimal field's range as strings, which is no JSON Schema
        metadata={"minimum": 0, "maximum": 1},
    )
    max_complaint_rate = fields.Decimal(
        required=True,
        validate=validate.Range(min=0, max=1),
        # apispec writes a Decimal field's range as strings, which is no JSON Schema
        metadata={"minimum": 0, "maximum": 1},
    )


class ExperimentRequestSchema(Schema):
    name = fields.String(required=True, validate=NAME)
    channel = fields.String(required=True, validate=validate.OneOf(CHANNELS))
    purpose = fields.String(required=True, validate=validate.OneOf(NON_TRANSACTIONAL))
    arms = fields.List(fields.Nested(ArmSchema), required=True, validate=validate.Length(2, 8))
    control_weight = _weight("The holdout's share of 100 (assigned last).", load_default=0)
    metric = fields.String(required=True, validate=validate.OneOf(METRICS))
    min_sample_per_arm = fields.Integer(
        strict=True, validate=validate.Range(min=1), load_default=1000
    )
    guardrails = fields.Nested(GuardrailsSchema, required=True)


class ConcludeSchema(ReasonSchema):
    winner = fields.String(required=True, validate=NAME)


class ExperimentSchema(Schema):
    name = fields.String()
    channel = fields.String()
    purpose = fields.String()
    arms = fields.List(fields.Dict())
    control_weight = fields.Integer()
    metric = fields.String()
    min_sample_per_arm = fields.Integer()
    guardrails = fields.Dict(metadata={"description": "Rates as numbers (0..1)."})
    status = fields.String(validate=validate.OneOf(STATUSES))
    created_by = fields.String()
    started_by = fields.String(allow_none=True)
    started_at = fields.String(allow_none=True)
    winner = fields.String(allow_none=True)
    ended = fields.Dict(allow_none=True)
    stopped_arms = fields.Dict(
        metadata={"description": "Arms stopped by a failed guardrail (actor system), by name."}
    )
    position = fields.Integer()


class IntervalSchema(Schema):
    low = fields.Float()
    high = fields.Float()


class RateSchema(Schema):
    count = fields.Integer()
    rate = fields.Float(allow_none=True, metadata={"description": "count / delivered"})
    wilson_95 = fields.Nested(IntervalSchema, allow_none=True)


class GuardrailRateSchema(RateSchema):
    max = fields.Float()
    passed = fields.Boolean()


class ArmGuardrailsSchema(Schema):
    passed = fields.Boolean(metadata={"description": "False when a guardrail fails."})
    judged = fields.Boolean(metadata={"description": "At least min_delivered delivered."})
    min_delivered = fields.Integer(
        metadata={"description": "The lesser of min_sample_per_arm and feedback.min_delivered."}
    )
    opt_out_rate = fields.Nested(GuardrailRateSchema)
    complaint_rate = fields.Nested(GuardrailRateSchema)


class ArmMetricsSchema(Schema):
    read = fields.Nested(RateSchema)
    replied = fields.Nested(RateSchema)
    clicked = fields.Nested(RateSchema)
    converted = fields.Nested(RateSchema)


class ArmResultsSchema(Schema):
    name = fields.String()
    template = fields.Dict()
    weight = fields.Integer()
    stopped = fields.Dict(allow_none=True)
    assigned = fields.Integer(metadata={"description": "Distinct customers authorized."})
    authorized = fields.Integer()
    sent = fields.Integer()
    delivered = fields.Integer(
        metadata={"description": "Delivery reported, or shown by read/replied/clicked/"
                  "converted/complained."}
    )  # fmt: skip
    read = fields.Integer()
    replied = fields.Integer()
    clicked = fields.Integer()
    converted = fields.Integer()
    failed = fields.Integer()
    opted_out = fields.Integer()
    complained = fields.Integer()
    metrics = fields.Nested(ArmMetricsSchema)
    guardrails = fields.Nested(ArmGuardrailsSchema)


class ChiSquaredSchema(Schema):
    statistic = fields.Float()
    degrees_of_freedom = fields.Integer()


class ExperimentResultsSchema(ExperimentSchema):
    arms = fields.List(fields.Nested(ArmResultsSchema))
    p_value = fields.Float(
        allow_none=True,
        metadata={"description": "Pearson's chi-squared of the metric across arms, no Yates."},
    )
    chi_squared = fields.Nested(ChiSquaredSchema, allow_none=True)
    suggested_winner = fields.String(allow_none=True)
    suggested_winner_reason = fields.String(
        validate=validate.OneOf(SUGGESTION_REASONS),
        metadata={"description": "best_rate when there is a winner, else why there is none."},
    )
    suggested_winner_detail = fields.String()


class ExperimentSummarySchema(ExperimentSchema):
    class Meta:
        exclude = ("position",)


class ExperimentListSchema(Schema):
    experiments = fields.List(fields.Nested(ExperimentSummarySchema))
    position = fields.Integer()


@blp.route("")
class Experiments(MethodView):
    @requires("templates:write")
    @idempotent
    @blp.arguments(ExperimentRequestSchema)
    @blp.response(201, ExperimentSchema)
    @blp.alt_response(409, response=CONFLICT)
    def post(self, body: dict[str, Any]) -> Any:
        """Define an experiment (DRAFT); a DRAFT may be redefined, a started one not (409)."""
        return idempotently(lambda: (services().experiments.create(tenant(), body), 201))

    @requires(*READERS)
    @blp.arguments(MinPositionQuery, location="query")
    @blp.response(200, ExperimentListSchema)
    def get(self, query: dict[str, Any]) -> Any:
        """Every experiment of the tenant."""
        return services().experiments.list(tenant(), query.get("min_position"))


@blp.route(f"/{KEY}")
class ExperimentResource(MethodView):
    @requires(*READERS)
    @blp.arguments(MinPositionQuery, location="query")
    @blp.response(200, ExperimentResultsSchema)
    def get(self, query: dict[str, Any], name: str) -> Any:
        """One experiment's definition, status and results per arm (SPEC §13)."""
        return services().experiments.experiment(tenant(), name, query.get("min_position"))


@blp.route(f"/{KEY}/start")
class ExperimentStart(MethodView):
    @requires("templates:review")
    @blp.arguments(ReasonSchema)
    @blp.response(200, ExperimentSchema)
    @blp.alt_response(409, response=CONFLICT)
    def post(self, _body: dict[str, Any], name: str) -> Any:
        """Start a DRAFT; the starter is not its creator (403 four_eyes)."""
        with acting():
            return services().experiments.change(tenant(), name, "start")


@blp.route(f"/{KEY}/stop")
class ExperimentStop(MethodView):
    @requires("templates:review")
    @blp.arguments(ReasonSchema)
    @blp.response(200, ExperimentSchema)
    @blp.alt_response(409, response=CONFLICT)
    def post(self, body: dict[str, Any], name: str) -> Any:
        """Stop a RUNNING experiment without a winner."""
        with acting():
            return services().experiments.change(tenant(), name, "stop", reason=body.get("reason"))


@blp.route(f"/{KEY}/conclude")
class ExperimentConclude(MethodView):
    @requires("templates:review")
    @blp.arguments(ConcludeSchema)
    @blp.response(200, ExperimentSchema)
    @blp.alt_response(409, response=CONFLICT)
    def post(self, body: dict[str, Any], name: str) -> Any:
        """Conclude with a winner (one of the arms, else 422): everyone then gets its template."""
        with acting():
            return services().experiments.change(
                tenant(), name, "conclude", winner=body["winner"], reason=body.get("reason")
            )
