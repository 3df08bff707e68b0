"""`python -m bench.profile`: profiles POST /v1/decisions (or `--endpoint batch` /
`authorization`) in-process (pyinstrument if installed, else cProfile) on a temporary
SQLite registry with a few thousand customers."""

from __future__ import annotations

import argparse
import random
import secrets
import shutil
import sys
import tempfile
from pathlib import Path

from bench import inprocess, seed


def main() -> int:
    tmp = Path(tempfile.mkdtemp(prefix="bench-profile-"))
    try:
        return run(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run(tmp: Path) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile")
    parser.add_argument("--customers", type=int, default=5000)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--database-url", default="", help="default: a temporary SQLite file")
    parser.add_argument("--flat", action="store_true", help="also print a cProfile by own time")
    parser.add_argument(
        "--endpoint", choices=("decision", "batch", "authorization"), default="decision"
    )
    args = parser.parse_args()

    secret = secrets.token_urlsafe(32)
    _, client = inprocess.build(args.database_url, tmp, secret)
    auth = inprocess.author_headers(secret)
    inprocess.prepare_tenant(client, secret)
    rows = (seed.grant_row(i) for i in range(args.customers))
    inprocess.import_rows(client, secret, rows, chunk=20_000)

    def item() -> dict[str, object]:
        return {
            "customer_id": f"c{random.randrange(args.customers)}",
            "template": seed.TEMPLATE_REF,
        }

    def work() -> None:
        for _ in range(args.requests):
            if args.endpoint == "batch":
                request: dict[str, object] = {"items": [item() for _ in range(1000)]}
                path, expected = "/v1/decisions/batch", 200
            elif args.endpoint == "authorization":
                request, path, expected = item(), "/v1/authorizations", 201
            else:
                request, path, expected = item(), "/v1/decisions", 200
            answer = client.post(path, json=request, headers=auth)
            assert answer.status_code == expected, answer.get_json()

    work()  # warm caches
    inprocess.profile_call(work, lines=40)
    if "--flat" in sys.argv:
        inprocess.profile_call(work, flat=True, lines=25)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
