"""The report as CSV: one row per figure (`section, subject, metric, value`), in the
JSON report's order, cells a spreadsheet would run as a formula neutralised."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from audit.export import neutralise

HEADER = ("section", "subject", "metric", "value")
_SUBJECT_KEYS = {"channels": ("channel",), "templates": ("name", "language"), "daily": ("date",)}


def csv_text(report: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    for row in _rows(report):
        writer.writerow([neutralise(_text(cell)) for cell in row])
    return out.getvalue()


def _rows(report: dict[str, Any]) -> Iterator[tuple[Any, ...]]:
    for key, value in report.items():
        if key in _SUBJECT_KEYS:
            for item in value:
                subject = "/".join(str(item[k]) for k in _SUBJECT_KEYS[key])
                for metric, figure in _flat(item, _SUBJECT_KEYS[key]):
                    yield key, subject, metric, figure
        elif key == "frequency":
            for group in value["groups"]:
                for metric, figure in _flat(group, ("group",)):
                    yield key, group["group"], metric, figure
            for metric, figure in _flat(value, ("groups",)):
                yield key, "", metric, figure
        elif isinstance(value, dict):
            for metric, figure in _flat(value, ()):
                yield key, "", metric, figure
        else:
            yield "report", "", key, value


def _flat(
    item: dict[str, Any], skip: tuple[str, ...], prefix: str = ""
) -> Iterator[tuple[str, Any]]:
    for key, value in item.items():
        if key in skip:
            continue
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            yield from _flat(value, (), f"{name}.")
        elif isinstance(value, list) and any(isinstance(v, dict) for v in value):
            for number, entry in enumerate(value):
                yield from _flat(entry, (), f"{name}[{number}].")
        elif isinstance(value, list):
            yield name, ";".join(str(v) for v in value)
        else:
            yield name, value


def _text(cell: Any) -> str:
    if cell is None:
        return ""
    if isinstance(cell, bool):
        return "true" if cell else "false"
    return str(cell)
