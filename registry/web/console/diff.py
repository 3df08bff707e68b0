"""A side-by-side diff of two template versions, line by line of what the customer sees
(header, body, footer, buttons) plus the category and purpose."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class DiffRow:
    """`kind`: same | changed | removed | added; a side is None where it has no line."""

    kind: str
    left: str | None
    right: str | None


def version_lines(version: dict[str, Any] | None) -> list[str]:
    if version is None:
        return []
    lines = [f"category: {version.get('category')}", f"purpose: {version.get('purpose')}"]
    for component in version.get("components") or []:
        kind = str(component.get("type", "?"))
        if kind == "BUTTONS":
            for button in component.get("buttons") or []:
                target = button.get("url") or button.get("phone_number") or ""
                label = f"BUTTON {button.get('type', '?')}: {button.get('text', '')}"
                lines.append(f"{label} {target}".rstrip())
            continue
        header_format = component.get("format")
        label = f"{kind} ({header_format})" if header_format else kind
        text = str(component.get("text", ""))
        text_lines = text.splitlines() or [""]
        lines.append(f"{label}: {text_lines[0]}")
        lines.extend(f"{' ' * len(label)}  {line}" for line in text_lines[1:])
    return lines


def side_by_side(old: dict[str, Any] | None, new: dict[str, Any]) -> list[DiffRow]:
    left, right = version_lines(old), version_lines(new)
    rows: list[DiffRow] = []
    matcher = difflib.SequenceMatcher(a=left, b=right, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            rows.extend(
                DiffRow("same", a, b) for a, b in zip(left[i1:i2], right[j1:j2], strict=True)
            )
            continue
        olds, news = left[i1:i2], right[j1:j2]
        for index in range(max(len(olds), len(news))):
            a = olds[index] if index < len(olds) else None
            b = news[index] if index < len(news) else None
            kind = (
                "changed"
                if a is not None and b is not None
                else "removed"
                if b is None
                else "added"
            )
            rows.append(DiffRow(kind, a, b))
    return rows
