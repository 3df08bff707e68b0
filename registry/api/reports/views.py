"""R-REPORT: `GET /v1/reports/monthly/{YYYY-MM}?format=json|csv|html|pdf`."""

from __future__ import annotations

import json
from typing import Any

from flask import Flask, Response
from flask.views import MethodView
from flask_smorest import Api
from marshmallow import Schema, fields, validate

from registry.api.arguments import Blueprint
from registry.api.auth import requires
from registry.api.common import services, tenant
from registry.api.queries import position_field
from registry.reports.csv_format import csv_text
from registry.reports.html import CONTENT_SECURITY_POLICY, html_page
from registry.reports.pdf import pdf_bytes

FORMATS = ("json", "csv", "html", "pdf")
FORMAT_ERROR = "format must be one of json, csv, html, pdf"

blp = Blueprint(
    "reports", __name__, url_prefix="/v1/reports", description="Monthly review (R-REPORT)"
)


class ReportQuery(Schema):
    format = fields.String(
        load_default="json",
        validate=validate.OneOf(FORMATS, error=FORMAT_ERROR),
        metadata={"description": "`json` (signed), `csv`, `html` (charts) or `pdf`."},
    )
    tree_size = position_field(
        "Compute from the log of this many leaves (a past checkpoint's `tree_size`); "
        "default: the whole log now."
    )


@blp.route("/monthly/<string:month>")
class MonthlyReport(MethodView):
    @requires("audit:read")
    @blp.arguments(ReportQuery, location="query")
    @blp.doc(
        responses={
            "200": {
                "description": "the signed report (json), or the same figures as csv, html, pdf",
                "content": {
                    "application/json": {"schema": {"type": "object"}},
                    "text/csv": {"schema": {"type": "string"}},
                    "text/html": {"schema": {"type": "string"}},
                    "application/pdf": {"schema": {"type": "string", "format": "binary"}},
                },
            },
            "422": {"description": "a month that is not YYYY-MM, in the future, or a bad format"},
        },
    )
    def get(self, query: dict[str, Any], month: str) -> Any:
        """The month's review (in the policy's timezone), signed, from a checkpoint of the log.
        Scope: audit:read."""
        fmt = query["format"]
        report = services().reports.monthly(tenant(), month, query.get("tree_size"))
        name = f"report-{report['tenant']}-{report['month']}"
        if fmt == "json":
            return Response(json.dumps(report, ensure_ascii=False), content_type="application/json")
        if fmt == "csv":
            return _download(csv_text(report), "text/csv; charset=utf-8", f"{name}.csv")
        if fmt == "pdf":
            return _download(pdf_bytes(report), "application/pdf", f"{name}.pdf")
        response = Response(html_page(report), content_type="text/html; charset=utf-8")
        response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        return response


def _download(body: str | bytes, content_type: str, filename: str) -> Response:
    response = Response(body, content_type=content_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def register(app: Flask, api: Api) -> None:
    api.register_blueprint(blp)
