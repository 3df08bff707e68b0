"""The report as an HTML page: tables and inline SVG charts, no JavaScript, nothing
loaded from anywhere (the charts are drawn here), readable at phone width."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal
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
    """A rate ("0.012500") as a percentage to two places ("1.25 %"; the JSON and CSV
    forms keep the rate's six)."""
    scaled = (Decimal(value) * 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)
    return f"{scaled:f} %"


def template_events(row: dict[str, Any]) -> list[str]:
    """A template row's quality changes, pauses, resumes and platform status changes in
    the month, each as a phrase with its date."""
    phrases = [f"quality {q['quality']} on {q['at'][:10]}" for q in row["quality"]["changes"]]
    for pause in row["pauses"]:
        why = pause["cause"] + (f": {pause['reason']}" if pause["reason"] else "")
        by = f", by {pause['actor']}" if pause["actor"] else ""
        phrases.append(f"paused on {pause['at'][:10]} ({why}{by})")
    for resume in row["resumes"]:
        why = f" ({resume['reason']})" if resume["reason"] else ""
        phrases.append(f"resumed on {resume['at'][:10]}{why}")
    for change in row["platform_status_changes"]:
        why = f" ({change['reason']})" if change["reason"] else ""
        phrases.append(f"platform status {change['status']} on {change['at'][:10]}{why}")
    return phrases


_ENVIRONMENT.filters["template_events"] = template_events


def html_page(report: dict[str, Any]) -> str:
    charts = {}
    for key, title, draw in CHARTS:
        charts[key] = svg(drawn(draw, report), title)
    template = _ENVIRONMENT.get_template("report_monthly.html")
    return template.render(r=report, charts=charts, percent=percent)
