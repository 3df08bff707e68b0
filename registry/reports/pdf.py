"""The report as a PDF for archiving: the page's figures and tables, drawn with
matplotlib's PDF backend (one page per section)."""

from __future__ import annotations

import io
import textwrap
from typing import Any

from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from registry.reports.charts import (
    daily_rates,
    drawn,
    frequency_curve,
    quality_history,
    template_ranking,
)
from registry.reports.html import percent

A4 = (8.27, 11.69)
MAX_TABLE_ROWS = 40
# A chart drawn 4 inches wide fills an A4 landscape page: its text scaled to match.
CHART_SCALE = 1.8


def _cell(value: Any) -> str:
    return "—" if value is None else str(value)


def _rate(value: str | None) -> str:
    return "—" if value is None else percent(value)


def _text_page(title: str, lines: list[str]) -> Figure:
    figure = Figure(figsize=A4)
    figure.text(0.07, 0.95, title, fontsize=15, weight="bold", va="top")
    wrapped = [part for line in lines for part in (textwrap.wrap(line, 95) or [""])]
    figure.text(0.07, 0.91, "\n".join(wrapped), fontsize=9, va="top", family="DejaVu Sans")
    return figure


def _table_page(title: str, header: list[str], rows: list[list[str]], note: str = "") -> Figure:
    figure = Figure(figsize=(A4[1], A4[0]))
    figure.text(0.04, 0.95, title, fontsize=13, weight="bold", va="top")
    if note:
        figure.text(0.04, 0.91, "\n".join(textwrap.wrap(note, 150)), fontsize=8, va="top")
    ax = figure.add_axes((0.03, 0.05, 0.94, 0.8))
    ax.axis("off")
    shown = rows[:MAX_TABLE_ROWS] or [["(none)"] + [""] * (len(header) - 1)]
    table = ax.table(cellText=shown, colLabels=header, loc="upper center", cellLoc="right")
    table.auto_set_font_size(False)
    table.set_fontsize(9)
    table.scale(1, 1.5)
    table.auto_set_column_width(list(range(len(header))))
    if len(rows) > MAX_TABLE_ROWS:
        figure.text(
            0.04,
            0.02,
            f"{len(rows) - MAX_TABLE_ROWS} more rows in the JSON and CSV forms",
            fontsize=8,
        )
    return figure


def _experiments_line(section: dict[str, Any]) -> str:
    if not section["available"]:
        return str(section["reason"])
    if not section["experiments"]:
        return "none ran in the month"
    return "; ".join(
        f"{e['name']} {e['status']}, winner {e['winner'] or 'none'}, suggested "
        f"{e['suggested_winner'] or 'none'} ({e['suggested_winner_reason']}), arms "
        + ", ".join(f"{a['name']} {a['authorized']} sent" for a in e["arms"])
        for e in section["experiments"]
    )


def pdf_bytes(report: dict[str, Any]) -> bytes:
    out = io.BytesIO()
    with PdfPages(
        out,
        metadata={
            "Title": f"Monthly review {report['month']} — {report['tenant']}",
            "CreationDate": None,
        },
    ) as pdf:
        for figure in _pages(report):
            if figure.get_size_inches()[0] < A4[0]:  # a chart drawn for the page's width
                figure.set_size_inches(A4[1], A4[0])
            pdf.savefig(figure)
            figure.clear()
    return out.getvalue()


def _pages(report: dict[str, Any]) -> list[Figure]:
    cp = report["checkpoint"]
    frequency = report["frequency"]
    satisfaction = report["satisfaction"]
    lines = [
        f"Tenant {report['tenant']}, month {report['month']} in {report['timezone']} "
        f"({report['period']['start']} to {report['period']['end']}), policy version {report['policy_version']}.",
        "PARTIAL: the month is not over yet; the figures cover it so far."
        if report["partial"]
        else "The month is complete.",
        "" if report["outcomes"]["available"] else report["outcomes"]["reason"] + ".",
        "",
        f"Authorized sends: {report['summary']['authorized']}; customers sent to: {report['summary']['customers_sent_to']}; templates sent: {report['summary']['templates_sent']}.",
        f"Best frequency: {_cell(frequency['best_frequency'])} ({frequency['best_frequency_reason']}).",
        "",
        "Satisfaction:",
        f"  replies {_cell(satisfaction['replied'])}, conversions {_cell(satisfaction['converted'])}, complaints {_cell(satisfaction['complained'])}",
        f"  opt-outs recorded {satisfaction['opt_outs']['total']} ({satisfaction['opt_outs']['customers']} customers), attributed to this month's sends {satisfaction['opt_outs']['attributed_to_the_months_sends']}",
        "  by source: "
        + ", ".join(f"{k} {n}" for k, n in satisfaction["opt_outs"]["by_source"].items()),
        f"  suppressions {satisfaction['suppressions']}, inbound messages {satisfaction['inbound_messages']}",
        "",
        "Experiments: " + _experiments_line(report["experiments"]) + ".",
        "",
        f"Computed from the log {cp['origin']} at tree size {cp['tree_size']}, root hash {cp['root_hash']}.",
        "The JSON form of this report is signed (EdDSA, the audit key): python -m audit verify-report REPORT.json --public-key key.pem",
    ]
    channel_rows = [
        [c["channel"], str(c["authorized"]), _cell(c["delivered"]), _rate(c["delivery_rate"]), _rate(c["read_rate"]),
         _rate(c["reply_rate"]), str(c["opted_out"]), _rate(c["opt_out_rate"]), _rate(c["complaint_rate"])]
        for c in report["channels"]
    ]  # fmt: skip
    template_rows = [
        [str(t["rank"]), f"{t['name']}/{t['language']}", ",".join(map(str, t["versions_used"])), str(t["authorized"]),
         _rate(t["complaint_rate"]), _rate(t["opt_out_rate"]), str(t["opted_out"]), _rate(t["delivery_rate"]),
         f"{t['quality']['at_start']} -> {t['quality']['at_end']}", str(len(t["pauses"]))]
        for t in report["templates"]
    ]  # fmt: skip
    group_rows = [
        [g["group"], str(g["customers"]), str(g["authorized"]), _cell(g["delivered"]), str(g["opted_out"]),
         _rate(g["opt_out_rate"]), _rate(g["complaint_rate"])]
        for g in frequency["groups"]
    ]  # fmt: skip
    return [
        _text_page(f"Monthly review {report['month']}", lines),
        _table_page("Channels", ["channel", "authorized", "delivered", "delivery", "read", "reply", "opted out", "opt-out", "complaint"], channel_rows),
        drawn(daily_rates, report, CHART_SCALE),
        _table_page("Templates, ranked by complaint rate (worst first)", ["#", "template", "versions", "authorized", "complaint", "opt-out", "opted out", "delivery", "quality", "pauses"], template_rows),
        drawn(template_ranking, report, CHART_SCALE),
        drawn(quality_history, report, CHART_SCALE),
        _table_page("Frequency", ["sends", "customers", "authorized", "delivered", "opted out", "opt-out", "complaint"], group_rows, frequency["basis"]),
        drawn(frequency_curve, report, CHART_SCALE),
    ]  # fmt: skip
