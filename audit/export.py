"""Audit trail exports as JSON lines and CSV, one line at a time (constant memory).

JSON lines: a checkpoint line, one event line per event with its inclusion proof against
that checkpoint, an end line with the count. `python -m audit verify` checks such a file.
CSV is for people: the same events, with cells a spreadsheet would run as a formula
neutralised by a leading single quote (OWASP "CSV Injection").
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, NamedTuple

CSV_HEADER = ("position", "occurred_at", "type", "customer_id", "template", "actor", "data")
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


class ExportEvent(NamedTuple):
    leaf_index: int
    position: int
    event_json: str  # the event as stored, as JSON text: canonical_json of its parse is the leaf
    proof: Sequence[bytes]  # inclusion proof against the export's checkpoint (JSON lines)
    readable: dict[str, Any] | None  # decrypted personal data; None once erased
    occurred_at: str
    event_type: str
    customer_id: str | None
    template: str | None
    actor: str

    @property
    def leaf_object(self) -> dict[str, Any]:
        leaf: dict[str, Any] = json.loads(self.event_json)
        return leaf


def jsonl_lines(checkpoint_doc: Mapping[str, Any], events: Iterable[ExportEvent]) -> Iterator[str]:
    """The checkpoint line, one line per event (see `event_line`), the end line with the
    count. The event lines are assembled as text around the stored event's own JSON,
    which is spliced in as it is rather than parsed and serialised again."""
    return jsonl_blocks(
        checkpoint_doc,
        (
            (
                event_line(
                    event.leaf_index,
                    event.position,
                    event.event_json,
                    proof_json(event.proof),
                    None if event.readable is None else _compact_unsorted(event.readable),
                ),
                1,
            )
            for event in events
        ),
    )


def jsonl_blocks(
    checkpoint_doc: Mapping[str, Any], blocks: Iterable[tuple[str, int]]
) -> Iterator[str]:
    """`jsonl_lines` of event lines that come in blocks: (whole lines, their count)."""
    yield _line({"kind": "checkpoint", **checkpoint_doc})
    count = 0
    for text, lines in blocks:
        yield text
        count += lines
    yield _line({"kind": "end", "count": count})


def event_line(
    leaf_index: int, position: int, event_json: str, proof: str, readable: str | None
) -> str:
    """One event line from JSON texts: the leaf object, the proof (see `proof_json`) and
    the readable state (None: no member)."""
    line = (
        f'{{"kind":"event","leaf_index":{leaf_index:d},"position":{position:d},'
        f'"event":{event_json},"proof":{proof}'
    )
    if readable is not None:
        return f'{line},"readable":{readable}}}\n'
    return line + "}\n"


def proof_json(proof: Sequence[bytes]) -> str:
    """An inclusion proof as a compact JSON array of hex strings."""
    return "[" + ",".join(f'"{node.hex()}"' for node in proof) + "]"


def csv_lines(events: Iterable[ExportEvent]) -> Iterator[str]:
    """The header, then one row per event; `data` is the compact JSON of the leaf's `data`
    member (the whole stored event `state` when it has none)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def row(cells: Iterable[object]) -> str:
        writer.writerow([neutralise("" if cell is None else str(cell)) for cell in cells])
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    yield row(CSV_HEADER)
    for event in events:
        yield row(
            (
                event.position,
                event.occurred_at,
                event.event_type,
                event.customer_id,
                event.template,
                event.actor,
                _compact(_data_of(event.leaf_object)),
            )
        )


def neutralise(cell: str) -> str:
    """Prefix a quote to a cell a spreadsheet would otherwise evaluate as a formula."""
    return "'" + cell if cell.startswith(FORMULA_PREFIXES) else cell


def _data_of(leaf_object: Mapping[str, Any]) -> Any:
    if "data" in leaf_object:
        return leaf_object["data"]
    return leaf_object.get("state", {})


def _compact(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _compact_unsorted(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _line(obj: Mapping[str, Any]) -> str:
    return _compact_unsorted(obj) + "\n"
