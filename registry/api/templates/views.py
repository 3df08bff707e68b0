from __future__ import annotations

from typing import Any

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from registry.api.arguments import Blueprint
from registry.api.auth import requires
from registry.api.common import acting, idempotently, services, tenant
from registry.api.customers.schemas import HistorySchema, ReasonSchema
from registry.api.openapi import CONFLICT, idempotent
from registry.api.queries import MinPositionQuery, PageQuery
from registry.api.templates.schemas import TemplateSubmissionSchema
from registry.domain.template import STATUSES as TEMPLATE_STATUSES

blp = Blueprint(
    "templates", __name__, url_prefix="/v1/templates", description="Templates (R-TEMPLATE)"
)
KEY = "<string:name>/<string:language>"
READERS = ("templates:write", "templates:review")  # either one reads templates (R-AUTH)


class LintFindingSchema(Schema):
    code = fields.String()
    severity = fields.String()
    message = fields.String()


class SubmissionAnswerSchema(Schema):
    name = fields.String()
    language = fields.String()
    version = fields.Integer()
    status = fields.String()
    lint = fields.List(fields.Nested(LintFindingSchema))
    position = fields.Integer()


class TemplatePilotSchema(Schema):
    """The approved version's pilot (SPEC §13): its number, first version, when that was
    approved, and what it cleared with (null while it runs)."""

    number = fields.Integer()
    first_version = fields.Integer()
    started_at = fields.String(allow_none=True)
    cleared = fields.Dict(allow_none=True)


class TemplateStateSchema(Schema):
    name = fields.String()
    language = fields.String()
    category = fields.String(allow_none=True)
    purpose = fields.String(allow_none=True)
    status = fields.String(validate=validate.OneOf(TEMPLATE_STATUSES))
    approved_version = fields.Integer(allow_none=True)
    platform_status = fields.String(allow_none=True)
    quality = fields.String()
    pilot = fields.Nested(TemplatePilotSchema, allow_none=True)
    versions = fields.List(fields.Dict())
    position = fields.Integer()


class TemplateSummarySchema(TemplateStateSchema):
    """A template of the list: the list's answer carries the one position."""

    class Meta:
        exclude = ("position",)


class TemplateListSchema(Schema):
    templates = fields.List(fields.Nested(TemplateSummarySchema))
    position = fields.Integer()


class ReviewSchema(Schema):
    version = fields.Integer(required=True, validate=validate.Range(min=1))
    decision = fields.String(required=True, validate=validate.OneOf(["approve", "reject"]))
    reason = fields.String(validate=validate.Length(max=1024), allow_none=True)


class TemplateListQuery(MinPositionQuery):
    status = fields.String(
        validate=validate.OneOf(TEMPLATE_STATUSES),
        metadata={"description": "Only the templates with this status."},
    )


@blp.route("")
class Templates(MethodView):
    @requires("templates:write")
    @idempotent
    @blp.arguments(TemplateSubmissionSchema)
    @blp.response(201, SubmissionAnswerSchema)
    def post(self, submission: dict[str, Any]) -> Any:
        """Submit a template version; lint errors reject it at once."""
        return idempotently(
            lambda: (services().templates.submit_template(tenant(), submission), 201)
        )

    @requires(*READERS)
    @blp.arguments(TemplateListQuery, location="query")
    @blp.response(200, TemplateListSchema)
    def get(self, query: dict[str, Any]) -> Any:
        """Every template of the tenant, or those of one `status`."""
        return services().templates.templates(tenant(), **query)


@blp.route(f"/{KEY}")
class TemplateResource(MethodView):
    @requires(*READERS)
    @blp.arguments(MinPositionQuery, location="query")
    @blp.response(200, TemplateStateSchema)
    def get(self, query: dict[str, Any], name: str, language: str) -> Any:
        """One template: its status and every version."""
        return services().templates.template(tenant(), name, language, query.get("min_position"))


@blp.route(f"/{KEY}/history")
class TemplateHistory(MethodView):
    @requires(*READERS)
    @blp.arguments(PageQuery, location="query")
    @blp.response(200, HistorySchema)
    def get(self, query: dict[str, Any], name: str, language: str) -> Any:
        """Every event of this template, oldest first (`limit`, `after_position`)."""
        return services().templates.template_history(tenant(), name, language, **query)


@blp.route(f"/{KEY}/review")
class Review(MethodView):
    @requires("templates:review")
    @blp.arguments(ReviewSchema)
    @blp.response(200, TemplateStateSchema)
    @blp.alt_response(409, response=CONFLICT)
    def post(self, review: dict[str, Any], name: str, language: str) -> Any:
        """Approve or reject a PENDING version; the reviewer is not the submitter."""
        with acting():
            return services().templates.change_template(
                tenant(),
                name,
                language,
                "review",
                version=review["version"],
                decision=review["decision"],
                reason=review.get("reason"),
            )


def _action(action: str):  # type: ignore[no-untyped-def]
    class Action(MethodView):
        @requires("templates:review")
        @blp.arguments(ReasonSchema)
        @blp.response(200, TemplateStateSchema)
        @blp.alt_response(409, response=CONFLICT)
        def post(self, body: dict[str, Any], name: str, language: str) -> Any:
            with acting():
                return services().templates.change_template(
                    tenant(), name, language, action, reason=body.get("reason")
                )

    Action.__name__ = f"Template{action.title()}"
    Action.post.__doc__ = f"{action.title()} the template."
    return Action


for _name in ("pause", "resume", "disable"):
    blp.route(f"/{KEY}/{_name}", endpoint=f"template_{_name}")(_action(_name))
