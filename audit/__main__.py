"""`python -m audit verify EXPORT --public-key KEY.pem`, `python -m audit verify-report
REPORT.json --public-key KEY.pem`, `python -m audit verify-consent RECORD --public-key
KEY.pem`, `python -m audit verify-receipt RECEIPT --public-key KEY.pem` and
`python -m audit check`."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m audit", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    verify = commands.add_parser(
        "verify",
        help="check a JSON-lines export offline: signature, every proof, order and count",
    )
    verify.add_argument("export", metavar="EXPORT", help="the .jsonl file to check")
    verify.add_argument(
        "--public-key", required=True, metavar="KEY", help="the registry's Ed25519 public key (PEM)"
    )
    report = commands.add_parser(
        "verify-report",
        help="check a signed monthly report (JSON) offline: its signature and its checkpoint",
    )
    report.add_argument("report", metavar="REPORT", help="the report's .json file")
    report.add_argument(
        "--public-key", required=True, metavar="KEY", help="the registry's Ed25519 public key (PEM)"
    )
    verify_consent = commands.add_parser(
        "verify-consent",
        help="check a consent record (GET /v1/consents/{receipt_id}) offline: signature and fields",
    )
    verify_consent.add_argument(
        "record", metavar="RECORD", help="a file with the JWS or the JSON answer"
    )
    verify_consent.add_argument(
        "--public-key", required=True, metavar="KEY", help="the registry's Ed25519 public key (PEM)"
    )
    receipt = commands.add_parser(
        "verify-receipt",
        help="check an authorization receipt (compact JWS) offline: signature, claims and kid",
    )
    receipt.add_argument("receipt", metavar="RECEIPT", help="a file with the receipt, or -")
    receipt.add_argument(
        "--public-key", required=True, metavar="KEY", help="the registry's Ed25519 public key (PEM)"
    )
    commands.add_parser(
        "check",
        help="re-read the whole store and name any event altered after it was written "
        "(uses the server's environment)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "verify":
        from audit.verify import run

        return run(args)
    if args.command == "verify-report":
        from audit.verify_report import run as run_report

        return run_report(args)
    if args.command == "verify-consent":
        from audit.verify_consent import run as run_verify_consent

        return run_verify_consent(args)
    if args.command == "verify-receipt":
        from audit.verify_receipt import run as run_receipt

        return run_receipt(args)
    check = importlib.import_module("audit.check")
    return int(check.main(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
