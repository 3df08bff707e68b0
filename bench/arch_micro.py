"""`python -m bench.arch_micro [requests]`: CPU µs per request in-process (Flask test
client, temporary SQLite registry, 2,000 imported customers) of a decision, an
authorization and a grant, and of GET /healthz as the floor, in three alternated rounds.

Written for issue #14 (services instead of mixins) so that the same script runs on the tree
before and after: run it from each tree's root with `PYTHONPATH=.` and compare the figures
of runs made one after the other (BENCHMARKS.md, "Services instead of mixins")."""

from __future__ import annotations

import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import inprocess, seed

CUSTOMERS = 2000


def main(requests: int) -> None:
    secret = secrets.token_urlsafe(32)
    _, client = inprocess.build("", Path(tempfile.mkdtemp()), secret)
    inprocess.prepare_tenant(client, secret)
    rows = (seed.grant_row(i) for i in range(CUSTOMERS))
    inprocess.import_rows(client, secret, rows, chunk=1000)
    auth = inprocess.author_headers(secret)
    template = {k: seed.MARKETING_TEMPLATE[k] for k in ("name", "language")}
    granted = iter(range(10 * CUSTOMERS, 10**9))

    def ask(path: str, body: dict[str, Any]) -> Any:
        return client.post(path, json=body, headers=auth)

    routes: dict[str, Callable[[int], Any]] = {
        "decision": lambda i: ask(
            "/v1/decisions", {"customer_id": f"c{i % CUSTOMERS}", "template": template}
        ),
        "authorization": lambda i: ask(
            "/v1/authorizations", {"customer_id": f"c{i % CUSTOMERS}", "template": template}
        ),
        "grant": lambda i: ask("/v1/consents", seed.grant_row(next(granted))),
        "healthz": lambda i: client.get("/healthz"),
    }
    rounds: dict[str, list[float]] = {name: [] for name in routes}
    for r in range(3):
        for name, call in routes.items():
            start = time.process_time()
            for i in range(requests):
                answer = call(i + r * requests)
                assert answer.status_code < 300, (name, answer.status_code, answer.get_json())
            rounds[name].append((time.process_time() - start) / requests * 1e6)
    floor = statistics.median(rounds["healthz"])
    for name, figures in rounds.items():
        median = statistics.median(figures)
        print(f"{name}: {median:.1f} µs CPU/request, {median / floor:.2f} x healthz")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 300)
