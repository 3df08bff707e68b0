"""Reports (SPEC §15, R-REPORT): a month's review with its charts, its signed checkpoint and
downloads (signed JSON, CSV, HTML, PDF), all computed by the registry's own ReportService
(the same as `GET /v1/reports/monthly/…`). Nothing here computes a figure of its own."""

from __future__ import annotations

import re
from typing import Any, Final

from flask import Blueprint, Response, g, request

from registry.querystrings import takes_query
from registry.web.console.access import need, person
from registry.web.console.render import BadValues, page

MONTH: Final = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
DOWNLOADS: Final = ("json", "csv", "html", "pdf")
# The charts are inline SVG drawn by the registry (matplotlib): their style attributes
# need inline styles; no script is ever allowed.
REPORT_PAGE_POLICY: Final = (
    "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


def _month() -> str:
    month = request.args.get("month", "").strip()
    if not month:
        clock = g.console_backend.services.parts.clock
        return str(clock.now().strftime("%Y-%m"))
    if not MONTH.match(month):
        raise BadValues(["month"])
    return month


def register_report_pages(bp: Blueprint) -> None:
    @bp.get("/reports")
    @takes_query("month")
    def reports() -> Any:
        need("audit:read")
        backend = g.console_backend
        if not backend.has_reports():
            return page("not_built.html", feature="reports", requirement="R-REPORT")
        month = _month()
        report = backend.monthly_report(person().tenant, month)
        response = page(
            "reports.html", report=report, month=month, charts=backend.report_charts(report)
        )
        response.headers["Content-Security-Policy"] = REPORT_PAGE_POLICY
        return response

    @bp.get("/reports/download")
    @takes_query("month", "format")
    def report_download() -> Any:
        need("audit:read")
        backend = g.console_backend
        if not backend.has_reports():
            return page("not_built.html", feature="reports", requirement="R-REPORT")
        fmt = request.args.get("format", "json")
        if fmt not in DOWNLOADS:
            raise BadValues(["format"])
        report = backend.monthly_report(person().tenant, _month())
        body, content_type = backend.report_as(report, fmt)
        name = f"report-{report['tenant']}-{report['month']}.{fmt}"
        response = Response(body, content_type=content_type)
        response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
