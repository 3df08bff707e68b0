"""The report's charts, drawn server-side with matplotlib (no pyplot: figures are plain
objects, safe in threaded workers): SVG for the page, the same figures for the PDF.

Each chart says so in the picture when the figures it needs are not measured (a rate
without delivered messages, a registry without outcomes) rather than drawing zeros.
"""

from __future__ import annotations

import io
import re
import threading
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import matplotlib
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

matplotlib.use("Agg")  # no display; the SVG and PDF backends are chosen per save

QUALITY_COLOURS = {"GREEN": "#1a7f37", "YELLOW": "#bf8700", "RED": "#cf222e", "UNKNOWN": "#8c959f"}
RATE_SERIES = (
    ("delivery_rate", "delivery", "#0b57d0"),
    ("read_rate", "read", "#1a7f37"),
    ("opt_out_rate", "opt-out", "#bf8700"),
    ("complaint_rate", "complaint", "#cf222e"),
)
MAX_TEMPLATES_DRAWN = 12
# 4 inches drawn 358 px wide (a 390 px phone less the page's margins): 9-point text is
# about 11 px there, and the page caps a chart at 34rem on wider screens.
WIDE = (4.0, 3.4)
STYLE: dict[str, Any] = {"font.size": 9, "axes.titlesize": 10, "legend.fontsize": 8}
_SVG_PREFIX = re.compile(r"^.*?(?=<svg)", re.DOTALL)
_SVG_SIZE = re.compile(r'<svg([^>]*?) width="[^"]*" height="[^"]*"')
NO_SENDS = "no data: no send was authorized in the month"


def _percent(value: str | None) -> float | None:
    return None if value is None else float(Decimal(value) * 100)


def _note(ax: Axes, text: str) -> None:
    ax.text(
        0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center", wrap=True,
        color="#4a5260",
        bbox={"boxstyle": "round", "facecolor": "#f6f8fa", "edgecolor": "#d0d7de"},
    )  # fmt: skip


def _no_data(ax: Axes, text: str) -> None:
    """An axes with nothing to draw: no value ticks (matplotlib's default range around
    0 would show -0.04…0.04), the reason in the middle."""
    ax.set_ylim(0, 1)
    ax.set_yticks([])
    _note(ax, text)


def _count_axis(ax: Axes, values: list[int]) -> None:
    """Counts from 0, in whole numbers, with room above the highest bar."""
    ax.set_ylim(0, max([1, *values]) * 1.12)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))


def _rate_axis(ax: Axes, values: list[float]) -> None:
    """Rates in % from 0 to a little over the highest drawn (at least 1 %)."""
    ax.set_ylim(0, max([1.0, *values]) * 1.15)


def _legend_below(ax: Axes, handles: list[Any]) -> None:
    if handles:
        ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.22), ncols=2)


def daily_rates(report: dict[str, Any]) -> Figure:
    days = report["daily"]
    figure = Figure(figsize=WIDE, layout="constrained")
    ax = figure.add_subplot()
    ax.set_title(f"Sends and rates by day sent, {report['month']}")
    ax.set_xlabel(f"day of the month ({report['timezone']})")
    ax.set_xlim(0.5, _month_days(report) + 0.5)
    ax.set_xticks([1, 5, 10, 15, 20, 25, _month_days(report)])
    numbers = [date.fromisoformat(d["date"]).day for d in days]
    sends = [d["authorized"] for d in days]
    if not any(sends):
        _no_data(ax, NO_SENDS)
        return figure
    ax.bar(numbers, sends, color="#d0d7de", label="authorized sends")
    ax.set_ylabel("authorized sends")
    _count_axis(ax, sends)
    rates = ax.twinx()
    drawn_values: list[float] = []
    for key, label, colour in RATE_SERIES:
        points = [(n, _percent(d[key])) for n, d in zip(numbers, days, strict=True)]
        measured = [(n, v) for n, v in points if v is not None]
        if measured:
            drawn_values += [v for _, v in measured]
            rates.plot(
                *zip(*measured, strict=True), marker="o", color=colour,
                label=f"{label} rate",
            )  # fmt: skip
    if drawn_values:
        rates.set_ylabel("rate, %")
        _rate_axis(rates, drawn_values)
    else:
        rates.set_yticks([])
        _note(ax, "rates not measured:\n" + _why_unmeasured(report))
    handles = ax.get_legend_handles_labels()[0] + rates.get_legend_handles_labels()[0]
    _legend_below(ax, handles)
    return figure


def frequency_curve(report: dict[str, Any]) -> Figure:
    frequency = report["frequency"]
    groups = frequency["groups"]
    labels = [g["group"] for g in groups]
    customers = [g["customers"] for g in groups]
    figure = Figure(figsize=WIDE, layout="constrained")
    ax = figure.add_subplot()
    ax.set_title(f"Frequency curve (best: {_best_label(report)})")
    ax.set_xlabel("marketing sends per customer in the month")
    if not any(customers):
        ax.set_xticks(range(len(labels)), labels)
        _no_data(ax, "no data: no marketing send was\nauthorized in the month")
        return figure
    ax.bar(labels, customers, color="#d0d7de", label="customers")
    ax.set_ylabel("customers")
    _count_axis(ax, customers)
    rates = ax.twinx()
    thresholds = frequency["thresholds"]
    drawn_values: list[float] = []
    for key, label, colour, limit in (
        ("opt_out_rate", "opt-out rate", "#bf8700", thresholds["template_pause_opt_out_rate"]),
        (
            "complaint_rate",
            "complaint rate",
            "#cf222e",
            thresholds["template_pause_complaint_rate"],
        ),
    ):
        measured = [(g["group"], _percent(g[key])) for g in groups if g[key] is not None]
        if measured:
            threshold = float(Decimal(limit) * 100)
            drawn_values += [v for _, v in measured if v is not None] + [threshold]
            rates.plot(*zip(*measured, strict=True), marker="o", color=colour, label=label)
            rates.axhline(
                threshold, color=colour, linestyle="--", linewidth=1,
                label=f"{label} pause threshold",
            )  # fmt: skip
    if drawn_values:
        rates.set_ylabel("rate per delivered message, %")
        _rate_axis(rates, drawn_values)
    else:
        rates.set_yticks([])
        _note(ax, "rates not measured:\n" + _why_unmeasured(report))
    handles = ax.get_legend_handles_labels()[0] + rates.get_legend_handles_labels()[0]
    _legend_below(ax, handles)
    return figure


def _best_label(report: dict[str, Any]) -> str:
    frequency = report["frequency"]
    if frequency["best_frequency"] is not None:
        return f"{frequency['best_frequency']} sends"
    measured = any(g["complaint_rate"] is not None for g in frequency["groups"])
    return "none under the thresholds" if measured else "not measured"


def template_ranking(report: dict[str, Any]) -> Figure:
    rows = report["templates"][:MAX_TEMPLATES_DRAWN]
    figure = Figure(figsize=(WIDE[0], 1.6 + 0.45 * max(len(rows), 2)), layout="constrained")
    ax = figure.add_subplot()
    ax.set_title("Templates by complaint rate, worst first")
    names = [f"{r['rank']}. {r['name']}/{r['language']}" for r in rows]
    measured = [_percent(r["complaint_rate"]) for r in rows]
    if rows and any(v is not None for v in measured):
        values = [v or 0.0 for v in measured]
        bars = ax.barh(names, values, color="#cf222e")
        ax.bar_label(
            bars, labels=["not measured" if v is None else f"{v:.2f} %" for v in measured],
            padding=3,
        )  # fmt: skip
        ax.set_xlabel("complaint rate, % of delivered")
        ax.set_xlim(0, max([1.0, *values]) * 1.35)
    elif rows:
        sends = [r["authorized"] for r in rows]
        ax.barh(names, sends, color="#d0d7de")
        ax.set_xlabel("authorized sends (complaint rate not measured)")
        ax.set_xlim(0, max([1, *sends]) * 1.12)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        _note(ax, "complaint rates not measured:\n" + _why_unmeasured(report))
    else:
        ax.set_xticks([])
        _no_data(ax, "no data: no template was\nsent in the month")
    ax.invert_yaxis()
    return figure


def quality_history(report: dict[str, Any]) -> Figure:
    """Each template's platform quality rating across the month, as coloured spans."""
    rows = report["templates"][:MAX_TEMPLATES_DRAWN]
    figure = Figure(figsize=(WIDE[0], 2.0 + 0.45 * max(len(rows), 2)), layout="constrained")
    ax = figure.add_subplot()
    ax.set_title("Template quality rating (platform)")
    ax.set_xlabel("day of the month")
    ax.set_xlim(1, _month_days(report) + 1)
    if not rows:
        _no_data(ax, "no data: no template was sent\nor rated in the month")
        return figure
    start = _day_number(report["period"]["start"], report)
    end = len(report["daily"]) + 1 if report["partial"] else _month_days(report) + 1
    for row_number, row in enumerate(rows):
        spans = _quality_spans(row["quality"], report, start, end)
        for first, last, quality in spans:
            ax.barh(
                row_number, last - first, left=first, color=QUALITY_COLOURS.get(quality, "#8c959f")
            )
    ax.set_yticks(range(len(rows)), [f"{r['name']}/{r['language']}" for r in rows])
    for quality, colour in QUALITY_COLOURS.items():
        ax.bar([0], [0], color=colour, label=quality)
    _legend_below(ax, ax.get_legend_handles_labels()[0])
    ax.invert_yaxis()
    return figure


def _quality_spans(
    quality: dict[str, Any], report: dict[str, Any], start: float, end: float
) -> list[tuple[float, float, str]]:
    spans, current, since = [], quality["at_start"], start
    for change in quality["changes"]:
        at = _day_number(change["at"], report)
        spans.append((since, at, current))
        current, since = change["quality"], at
    spans.append((since, end, current))
    return spans


def _day_number(moment: str, report: dict[str, Any]) -> float:
    """A moment as a fractional day of the month in the report's timezone (1.0 = the
    first midnight)."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    local = datetime.fromisoformat(moment).astimezone(ZoneInfo(report["timezone"]))
    return local.day + (local.hour * 3600 + local.minute * 60 + local.second) / 86400


def _month_days(report: dict[str, Any]) -> int:
    year, month = (int(part) for part in report["month"].split("-"))
    following = date(year + month // 12, month % 12 + 1, 1)
    return (following - date(year, month, 1)).days


def _why_unmeasured(report: dict[str, Any]) -> str:
    outcomes = report["outcomes"]
    if not outcomes["available"]:
        return "no send outcomes are recorded\nby this registry version"
    return "no delivered messages were\nreported for these sends"


CHARTS: tuple[tuple[str, str, Callable[[dict[str, Any]], Figure]], ...] = (
    ("daily", "Daily sends and rates", daily_rates),
    ("frequency", "Frequency curve", frequency_curve),
    ("ranking", "Template ranking by complaint rate", template_ranking),
    ("quality", "Template quality history", quality_history),
)


# rc_context changes matplotlib's global settings: one chart at a time per process
# (a threaded server could otherwise draw one chart in another's style).
_RC_LOCK = threading.Lock()


def drawn(
    draw: Callable[[dict[str, Any]], Figure], report: dict[str, Any], scale: float = 1.0
) -> Figure:
    """A chart drawn in the report's style (sizes for a phone-wide page; `scale` times
    the text and marker sizes for a larger page, the PDF's)."""
    style = {key: value * scale for key, value in STYLE.items()}
    style["lines.markersize"] = 6 * scale
    with _RC_LOCK, matplotlib.rc_context(style):  # type: ignore[arg-type]
        return draw(report)


def svg(figure: Figure, title: str) -> str:
    """The figure as an inline `<svg>` element that scales to its container, its text
    kept as text (readable, searchable) and its ids stable."""
    out = io.StringIO()
    with (
        _RC_LOCK,
        matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "registry-report"}),
    ):
        figure.savefig(out, format="svg", metadata={"Date": None})
    figure.clear()
    text = _SVG_PREFIX.sub("", out.getvalue(), count=1)
    text = _SVG_SIZE.sub(r'<svg\1 style="width:100%;height:auto"', text, count=1)
    return text.replace("<svg", f'<svg role="img" aria-label="{_attribute(title)}"', 1)


def _attribute(text: str) -> str:
    return text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
