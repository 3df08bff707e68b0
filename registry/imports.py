"""`python -m registry.imports FILE --tenant T`: import a CSV or JSON-lines file of grants of
any size, in chunks of the API's size (`POST /v1/consents/import`: at most MAX_ROWS rows),
through the same parsing and the same use case (`services.imports.import_grants`).

The file is read as a stream: one chunk of rows in memory at a time. Each chunk is all or
nothing, like one API request; chunks already imported stay imported. When a chunk is
refused (an invalid row), the command names the rows, says how many rows were imported
before it, and exits 1: fix the file and rerun with `--start-row N` (the first row of the
refused chunk) to go on without importing the earlier rows twice. The server's environment
(REGISTRY_DATABASE_URL, REGISTRY_JWT_SECRET, …) says which store. Progress on stderr: a
bar on a terminal, plain lines otherwise."""

from __future__ import annotations

import argparse
import csv
import getpass
import sys
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from registry.api.consents.imports import (
    MAX_ROWS,
    check_csv_header,
    csv_record,
    load_grants,
    ndjson_record,
)
from registry.api.errors import ApiError
from registry.progress import Progress, progress

FORMATS = ("csv", "ndjson")


@dataclass
class Chunk:
    first_row: int  # the number of its first data row in the file (1 = the first)
    records: list[Any]


class _CountedLines:
    """The file's lines decoded as UTF-8, counting the bytes read (for the progress bar)."""

    def __init__(self, stream: Any, shown: Progress | None) -> None:
        self.stream, self.shown = stream, shown
        self.first = True

    def __iter__(self) -> Iterator[str]:
        for raw in self.stream:
            if self.shown is not None:
                self.shown.update(len(raw))
            if self.first:
                raw = raw.removeprefix(b"\xef\xbb\xbf")  # a byte-order mark, as utf-8-sig
                self.first = False
            try:
                yield raw.decode("utf-8")
            except UnicodeDecodeError:
                raise ApiError(400, "bad_encoding", "the file is not valid UTF-8") from None


def chunks(
    lines: Iterator[str] | _CountedLines, file_format: str, size: int = MAX_ROWS
) -> Iterator[Chunk]:
    """The file's records, `size` rows at a time, numbered as the API numbers them."""
    if file_format == "csv":
        reader = csv.DictReader(lines, strict=False)
        check_csv_header(reader.fieldnames or [])
        records: Iterator[Any] = (csv_record(row) for row in reader)
    else:
        records = (ndjson_record(line) for line in lines if line.strip())
    batch: list[Any] = []
    first = 1
    for record in records:
        batch.append(record)
        if len(batch) == size:
            yield Chunk(first, batch)
            first, batch = first + size, []
    if batch:
        yield Chunk(first, batch)


def guess_format(path: Path) -> str:
    return "csv" if path.suffix.lower() == ".csv" else "ndjson"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m registry.imports",
        description="Import a CSV or JSON-lines file of consent grants of any size, in chunks "
        f"of {MAX_ROWS:,} rows (the API's limit), with the server's environment.",
    )
    parser.add_argument("file", metavar="FILE", type=Path, help="the .csv or .ndjson/.jsonl file")
    parser.add_argument("--tenant", required=True, help="the tenant the grants belong to")
    parser.add_argument(
        "--format", choices=FORMATS, help="csv or ndjson (default: from the file's extension)"
    )
    parser.add_argument(
        "--actor",
        default=f"cli:{getpass.getuser()}",
        help="who the events name as their actor (default: cli:<your user name>)",
    )
    parser.add_argument(
        "--start-row", type=int, default=1, help="skip the rows before this one (to resume)"
    )
    parser.add_argument("--chunk-rows", type=int, default=MAX_ROWS, help=argparse.SUPPRESS)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if not 1 <= args.chunk_rows <= MAX_ROWS or args.start_row < 1:
        print("registry.imports: --start-row must be >= 1", file=sys.stderr)
        return 2
    from registry.api.auth import TENANT_PATTERN

    if not TENANT_PATTERN.match(args.tenant):
        print(f"registry.imports: {args.tenant!r} is not a tenant id", file=sys.stderr)
        return 2
    try:
        stream = args.file.open("rb")
    except OSError as error:
        print(f"registry.imports: cannot read {args.file}: {error.strerror}", file=sys.stderr)
        return 2
    from registry.bootstrap import build_registry, build_services
    from registry.config import ConfigError, load_settings

    try:
        services = build_services(build_registry(load_settings()))
    except ConfigError as error:
        print(f"registry.imports: {error}", file=sys.stderr)
        return 2
    with stream:
        total = args.file.stat().st_size
        with progress("import", total=total, unit="bytes") as shown:
            return _run(args, services, _CountedLines(stream, shown))


def _run(args: argparse.Namespace, services: Any, lines: _CountedLines) -> int:
    from registry.domain.base import acting_as

    run_id = uuid.uuid4().hex[:16]
    imported, position, number, refused_from = 0, 0, 0, args.start_row
    try:
        for number, chunk in enumerate(chunks(lines, args.format or guess_format(args.file),
                                              args.chunk_rows), 1):  # fmt: skip
            last_row = chunk.first_row + len(chunk.records) - 1
            if last_row < args.start_row:
                continue
            skip = max(0, args.start_row - chunk.first_row)
            records, first_row = chunk.records[skip:], chunk.first_row + skip
            refused_from = first_row
            grants = load_grants(records, first_row)
            with acting_as(args.actor, f"import-{run_id}-{number}"):
                answer = services.imports.import_grants(args.tenant, grants)
            imported += int(answer["imported"])
            position = int(answer.get("position") or position)
    except ApiError as error:
        print(f"registry.imports: {error.message}", file=sys.stderr)
        for row in error.details.get("rows", [])[:20]:
            print(f"  {row}", file=sys.stderr)
        print(
            f"registry.imports: {imported} rows were imported before this; fix the file and "
            f"rerun with --start-row {refused_from}",
            file=sys.stderr,
        )
        return 1
    print(f"imported {imported} grants into {args.tenant} (log position {position})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
