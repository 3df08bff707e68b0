"""`python -m bench.profile`: one hot route in-process, through the app's WSGI callable
itself (no test client: the environs are built before the clock starts), on a temporary
SQLite registry (or `--database-url`) with a few thousand customers. Request logs go to a
file, as gunicorn's stderr does in `make bench`.

- default: a profile of POST /v1/decisions (`--endpoint batch|authorization`), with
  pyinstrument if installed, else cProfile (`--flat`: by own time);
- `--time`: CPU microseconds per request of the route and of `GET /healthz`, in
  alternated rounds, and their ratio: the figure each per-request change is judged by
  (run it on the tree before and after the change).
"""

from __future__ import annotations

import argparse
import io
import logging
import random
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from bench import inprocess, seed

ROUTES = {
    "decision": ("/v1/decisions", 200),
    "batch": ("/v1/decisions/batch", 200),
    "authorization": ("/v1/authorizations", 201),
    "healthz": ("/healthz", 200),
}


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
    parser.add_argument("--flat", action="store_true", help="cProfile by own time")
    parser.add_argument("--time", action="store_true", help="µs per request against /healthz")
    parser.add_argument("--rounds", type=int, default=5, help="with --time")
    parser.add_argument("--endpoint", choices=sorted(ROUTES), default="decision")
    args = parser.parse_args()

    secret = secrets.token_urlsafe(32)
    app, client = inprocess.build(args.database_url, tmp, secret)
    log_file = (tmp / "requests.log").open("w")
    for handler in logging.getLogger("registry").handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(log_file)
    inprocess.prepare_tenant(client, secret)
    rows = (seed.grant_row(i) for i in range(args.customers))
    inprocess.import_rows(client, secret, rows, chunk=20_000)
    token = seed.tokens(secret)[0]
    call = wsgi_caller(app)

    def requests(endpoint: str) -> list[dict[str, Any]]:
        path, _ = ROUTES[endpoint]
        return [environ(path, token, body(endpoint, args.customers)) for _ in range(args.requests)]

    def work(endpoint: str) -> Callable[[], None]:
        prepared = requests(endpoint)
        expected = ROUTES[endpoint][1]

        def go() -> None:
            for env in prepared:
                call(env, expected)

        return go

    if args.time:
        return compare(work, args.endpoint, args.rounds, args.requests)
    work(args.endpoint)()  # warm caches
    inprocess.profile_call(work(args.endpoint), flat=args.flat, lines=40)
    return 0


def body(endpoint: str, customers: int) -> bytes | None:
    def item() -> dict[str, object]:
        return {"customer_id": f"c{random.randrange(customers)}", "template": seed.TEMPLATE_REF}

    if endpoint == "healthz":
        return None
    if endpoint == "batch":
        return orjson.dumps({"items": [item() for _ in range(1000)]})
    return orjson.dumps(item())


def environ(path: str, token: str, body: bytes | None) -> dict[str, Any]:
    env: dict[str, Any] = {
        "REQUEST_METHOD": "GET" if body is None else "POST",
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1:8000",
        "HTTP_AUTHORIZATION": f"Bearer {token}",
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "wsgi.version": (1, 0),
        "wsgi.input": io.BytesIO(body or b""),
    }
    if body is not None:
        env["CONTENT_TYPE"] = "application/json"
        env["CONTENT_LENGTH"] = str(len(body))
    return env


def wsgi_caller(app: Any) -> Callable[[dict[str, Any], int], None]:
    """Calls the WSGI app as gunicorn does: status, headers, the body's chunks, close()."""
    wsgi = app.wsgi_app

    def call(env: dict[str, Any], expected: int) -> None:
        env["wsgi.input"].seek(0)
        status: list[str] = []

        def start_response(line: str, headers: list[Any], exc_info: Any = None) -> Any:
            status.append(line)
            return None

        chunks = wsgi(env, start_response)
        try:
            answer = b"".join(chunks)
        finally:
            getattr(chunks, "close", lambda: None)()
        if not status[0].startswith(str(expected)):
            raise SystemExit(f"{env['PATH_INFO']}: {status[0]} {answer[:300]!r}")

    return call


def compare(work: Callable[[str], Callable[[], None]], endpoint: str, rounds: int, n: int) -> int:
    """Alternated rounds of `endpoint` and /healthz: CPU µs per request (process time:
    what the machine's other load changes least) and the ratio of the medians."""
    runs = {name: work(name) for name in dict.fromkeys((endpoint, "healthz"))}
    for go in runs.values():
        go()  # warm
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(rounds):
        for name, go in runs.items():
            t0 = time.process_time()
            go()
            times[name].append((time.process_time() - t0) / n * 1e6)
    medians = {name: statistics.median(values) for name, values in times.items()}
    for name, values in times.items():
        print(f"{name}: median {medians[name]:.1f} µs CPU/request; rounds "
              + ", ".join(f"{v:.1f}" for v in values))  # fmt: skip
    print(f"{endpoint} ÷ healthz: {medians[endpoint] / medians['healthz']:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
