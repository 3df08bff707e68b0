"""The report as an HTML page: tables and inline SVG charts, no JavaScript, nothing
loaded from anywhere (the charts are drawn here), readable at phone width."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from registry.reports.charts import CHARTS, drawn, svg

_ENVIRONMENT = Environment(
    loader=PackageLoader("registry", "web/templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
# No script, no request to anywhere: styles inline, charts inline.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


def percent(value: str) -> str:
    """A rate ("0.012500") as a percentage ("1.25 %")."""
    scaled = (Decimal(value) * 100).normalize()
    return f"{scaled:f} %"


def html_page(report: dict[str, Any]) -> str:
    charts = {}
    for key, title, draw in CHARTS:
        charts[key] = svg(drawn(draw, report), title)
    template = _ENVIRONMENT.get_template("report_monthly.html")
    return template.render(r=report, charts=charts, percent=percent)
