"""Parsing `POST /v1/consents/import` bodies (CSV or JSON lines) into grants,
with a row-numbered error report; nothing is recorded unless every row is valid."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import Any

from marshmallow import ValidationError

from registry.api.consents.schemas import GrantSchema
from registry.api.errors import ApiError
from registry.api.guards import SURROGATE_ESCAPE, has_lone_surrogate
from registry.jsontext import loads

MAX_ROWS = 100_000
MAX_REPORTED_ERRORS = 100
CSV_COLUMNS = (
    "customer_id",
    "channel",
    "purposes",
    "source_kind",
    "evidence",
    "phone",
    "timezone",
    "locale",
    "granted_at",
    "expires_at",
)


PER_ROW_FIELDS = ("customer_id", "phone")
MAX_SHARED_SHAPES = 10_000


class _GrantLoader:
    """`GrantSchema().load`, once per distinct shape of row rather than once per row.

    Import rows mostly differ only in `customer_id` (and `phone`): the rest (channel,
    purposes, source, timezone, moments) repeats. Those two fields are validated on
    their own with the schema's own fields, which no schema-level rule reads; the rest
    is loaded by the full schema the first time it is seen and reused after. A row
    whose `expires_at` is checked against "now" (no `granted_at`) is always loaded
    in full, and so is any row that fails: its error report is the schema's own."""

    def __init__(self) -> None:
        self.schema = GrantSchema()
        self.row_fields = {name: self.schema.fields[name] for name in PER_ROW_FIELDS}
        self.shared: dict[str, dict[str, Any]] = {}

    def load(self, record: dict[str, Any]) -> dict[str, Any]:
        if not isinstance(record.get("customer_id"), str) or (
            record.get("expires_at") is not None and record.get("granted_at") is None
        ):
            return self._full(record)
        rest = {k: v for k, v in record.items() if k not in self.row_fields}
        shape = json.dumps(rest, sort_keys=True)
        shared = self.shared.get(shape)
        if shared is None:
            return self._full(record, shape)
        try:
            own = {
                name: field.deserialize(record[name], name, record)
                for name, field in self.row_fields.items()
                if name in record
            }
        except ValidationError:
            return self._full(record)
        return {**shared, **own}

    def _full(self, record: dict[str, Any], shape: str | None = None) -> dict[str, Any]:
        grant: dict[str, Any] = self.schema.load(record)
        if shape is not None and len(self.shared) < MAX_SHARED_SHAPES:
            self.shared[shape] = {k: v for k, v in grant.items() if k not in self.row_fields}
        return grant


def _csv_records(text: str) -> list[dict[str, Any]]:
    try:
        return _csv_rows(text)
    except csv.Error as error:  # e.g. a NUL byte or a stray line break the csv module refuses
        raise ApiError(
            422, "validation_error", "the CSV body is malformed", {"csv": [str(error)]}
        ) from None


def _csv_rows(text: str) -> list[dict[str, Any]]:
    # newline="": the csv module handles \r, \n and \r\n itself (a lone \r is a row end).
    reader = csv.DictReader(io.StringIO(text, newline=""))
    check_csv_header(reader.fieldnames or [])
    return [csv_record(row) for row in reader]


def check_csv_header(header: Sequence[str]) -> None:
    unknown = [c for c in header if c not in CSV_COLUMNS]
    if unknown or "customer_id" not in header:
        raise ApiError(
            422,
            "validation_error",
            "the CSV header is not the import format",
            {"header": [f"expected columns {list(CSV_COLUMNS)}; unknown {unknown}"]},
        )


def csv_record(row: dict[Any, Any]) -> dict[str, Any]:
    """One CSV row (a `csv.DictReader` row) as the grant record the schema loads."""
    if None in row:
        return {"__error__": "more cells than header columns"}
    cells = {k: v for k, v in row.items() if v not in (None, "")}
    record: dict[str, Any] = {
        k: v for k, v in cells.items() if k not in ("purposes", "source_kind", "evidence")
    }
    record["purposes"] = [p.strip() for p in cells.get("purposes", "").split(";") if p.strip()]
    record["source"] = {"kind": cells.get("source_kind", "import")}
    if "evidence" in cells:
        record["source"]["evidence"] = cells["evidence"]
    return record


def _ndjson_records(text: str) -> list[Any]:
    return [ndjson_record(line) for line in text.splitlines() if line.strip()]


def ndjson_record(line: str) -> Any:
    """One JSON line as the grant record the schema loads (or a row error)."""
    try:
        record = loads(line)
    except (ValueError, RecursionError):
        return {"__error__": "not valid JSON"}
    if SURROGATE_ESCAPE.search(line) and has_lone_surrogate(record):
        return {"__error__": "escapes a lone UTF-16 surrogate, which is not text"}
    return record


def parse_import(body: bytes, mimetype: str) -> list[dict[str, Any]]:
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ApiError(400, "bad_encoding", "the body is not valid UTF-8") from None
    if mimetype == "text/csv":
        records = _csv_records(text)
    elif mimetype in ("application/x-ndjson", "application/jsonl", "application/json-lines"):
        records = _ndjson_records(text)
    else:
        raise ApiError(
            415,
            "unsupported_media_type",
            "imports are text/csv or application/x-ndjson",
            {"content_type": mimetype},
        )
    if len(records) > MAX_ROWS:
        raise ApiError(
            422,
            "validation_error",
            f"at most {MAX_ROWS} rows per request",
            {"rows": [f"{len(records)} rows"]},
        )
    return load_grants(records)


def load_grants(records: Sequence[Any], first_row: int = 1) -> list[dict[str, Any]]:
    """The grants of `records` (rows numbered from `first_row`), or one 422 naming every
    invalid row (the first MAX_REPORTED_ERRORS of them)."""
    loader = _GrantLoader()
    grants, errors = [], []
    for number, record in enumerate(records, start=first_row):
        if not isinstance(record, dict) or "__error__" in record:
            reason = record.get("__error__") if isinstance(record, dict) else "not a JSON object"
            errors.append({"row": number, "errors": {"_row": [reason]}})
            continue
        try:
            grants.append(loader.load(record))
        except ValidationError as error:
            errors.append({"row": number, "errors": error.messages})
    if errors:
        raise ApiError(
            422,
            "validation_error",
            f"{len(errors)} rows are invalid; nothing was imported",
            {"rows": errors[:MAX_REPORTED_ERRORS], "invalid_rows": len(errors)},
        )
    if not grants:
        raise ApiError(422, "validation_error", "the import has no rows", {"rows": ["empty"]})
    return grants
