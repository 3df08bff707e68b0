"""`python -m registry.report YYYY-MM --tenant T`: the monthly review (R-REPORT) computed
from the store, with the server's environment; prints the same signed JSON the endpoint
answers (or its csv, html or pdf form).

Without `--tree-size` it reads the whole log as it is now, like the endpoint; with
`--tree-size N` it reads the log of a past checkpoint (a report's `checkpoint.tree_size`),
and gives that report again, figure for figure.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

FORMATS = ("json", "csv", "html", "pdf")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m registry.report", description=__doc__)
    parser.add_argument("month", metavar="YYYY-MM", help="the month, in the policy's timezone")
    parser.add_argument("--tenant", required=True, help="the tenant id")
    parser.add_argument(
        "--tree-size", type=int, default=None, metavar="N", help="compute from the log of N leaves"
    )
    parser.add_argument("--format", choices=FORMATS, default="json")
    parser.add_argument(
        "--output", metavar="FILE", help="write here instead of stdout (needed for pdf)"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from registry.bootstrap import build_registry, build_services
    from registry.config import ConfigError, load_settings
    from registry.domain.exceptions import InvalidRequest

    try:
        services = build_services(build_registry(load_settings()))
    except ConfigError as error:
        print(f"registry.report: {error}", file=sys.stderr)
        return 2
    try:
        report = services.reports.monthly(args.tenant, args.month, args.tree_size)
    except InvalidRequest as error:
        print(f"registry.report: {error.message}", file=sys.stderr)
        return 2
    body: str | bytes
    if args.format == "json":
        body = json.dumps(report, ensure_ascii=False) + "\n"
    elif args.format == "csv":
        from registry.reports.csv_format import csv_text

        body = csv_text(report)
    elif args.format == "html":
        from registry.reports.html import html_page

        body = html_page(report)
    else:
        from registry.reports.pdf import pdf_bytes

        body = pdf_bytes(report)
    if args.output:
        Path(args.output).write_bytes(body if isinstance(body, bytes) else body.encode("utf-8"))
    elif isinstance(body, bytes):
        print("registry.report: pdf needs --output FILE", file=sys.stderr)
        return 2
    else:
        sys.stdout.write(body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
