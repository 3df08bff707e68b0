"""Outcomes over HTTP (SPEC §11, #15): statuses ingested per second through signed
WhatsApp webhooks of 1000 statuses posted to gunicorn (4 sync workers, as served) on a
fresh PostgreSQL database of its own, created and dropped by `bench.server.Server`.

The sends are split in two: webhooks for the first half are posted one at a time (a
platform that waits for each answer), those for the second half by `--clients` clients
at once (Meta delivers a busy number's webhooks concurrently). Each status is posted
first as `delivered` (the send's first status: 2 events) and then as `read` (1 event).

The floor, measured in the same run on the same database: the same number of events
appended raw, one transaction per 1000 statuses, with their Merkle leaves and nothing
else (`bench.outcomes_micro.raw_appends`). Figures are printed as rates and ratios.

    .venv/bin/python -m bench.outcomes_http [--sends 8000] [--clients 4]

Loopback only; bounded by `--sends`; the server and its database are removed on exit.
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import requests

from bench import inprocess, seed
from bench.outcomes_micro import (
    BATCH,
    INTEGRATION,
    feedback_policy,
    raw_appends,
    signed_headers,
    statuses_payload,
)
from bench.server import Server


def _authorize(base: str, headers: dict[str, str], count: int, clients: int) -> list[str]:
    """`count` authorizations, each with its message ref, `clients` at a time."""
    local = threading.local()

    def one(i: int) -> str:
        session = seed.thread_session(local)
        ref = f"wamid.http.{i}"
        body: dict[str, Any] = {
            "customer_id": f"c{i}",
            "template": seed.TEMPLATE_REF,
            "message_ref": ref,
        }
        answer = session.post(base + "/v1/authorizations", json=body, headers=headers, timeout=60)
        if answer.status_code != 201 or not answer.json().get("authorization_id"):
            raise RuntimeError(f"not authorized: {answer.status_code} {answer.text[:300]}")
        return ref

    with ThreadPoolExecutor(max_workers=clients) as pool:
        return list(pool.map(one, range(count)))


def _post_webhooks(base: str, bodies: list[bytes], clients: int, expected: int) -> float:
    """Posts the signed bodies, `clients` at a time; the seconds of wall time."""
    local = threading.local()
    url = f"{base}/webhooks/whatsapp/{seed.TENANT}"

    def post(body: bytes) -> int:
        session = seed.thread_session(local)
        answer = session.post(url, data=body, headers=signed_headers(body), timeout=600)
        if answer.status_code != 200:
            raise RuntimeError(f"{answer.status_code}: {answer.text[:300]}")
        return int(answer.json().get("recorded", 0))

    began = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        recorded = sum(pool.map(post, bodies))
    spent = time.perf_counter() - began
    if recorded != expected:
        raise RuntimeError(f"recorded {recorded} of {expected} statuses")
    return spent


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.outcomes_http")
    parser.add_argument("--sends", type=int, default=8000, help="sends, split in two halves")
    parser.add_argument("--clients", type=int, default=4, help="webhooks in flight at once")
    args = parser.parse_args()
    if args.sends < 2 * BATCH or args.sends % (2 * BATCH):
        parser.error(f"--sends must be a multiple of {2 * BATCH}")
    with Server("postgres") as server:
        base, secret = server.url, server.secret
        author, _ = seed.tokens(secret)
        headers = {"Authorization": f"Bearer {author}"}
        seed.prepare_tenant(base, secret)
        seed.import_customers(base, secret, 0, args.sends, chunk=BATCH)
        for path, body in (
            ("/v1/integrations/whatsapp", INTEGRATION),
            ("/v1/policy", feedback_policy(args.sends)),
        ):
            answer = requests.put(base + path, json=body, headers=headers, timeout=60)
            if answer.status_code != 200:
                raise RuntimeError(f"PUT {path}: {answer.status_code} {answer.text[:300]}")
        refs = _authorize(base, headers, args.sends, 8)
        server.analyze()
        half = args.sends // 2
        workdir = Path(tempfile.mkdtemp(prefix="bench-outcomes-http-"))
        app, _ = inprocess.build(server.database_url, workdir, secret)
        registry = app.extensions["registry"]
        print(
            f"gunicorn {server.settings.label()} x{server.workers}, PostgreSQL, {args.sends} sends"
        )
        for status in ("delivered", "read"):
            events = 2 if status == "delivered" else 1
            for label, part, clients in (
                ("one at a time", refs[:half], 1),
                (f"{args.clients} at once", refs[half:], args.clients),
            ):
                chunks = [part[i : i + BATCH] for i in range(0, len(part), BATCH)]
                bodies = [statuses_payload(chunk, status, int(time.time())) for chunk in chunks]
                spent = _post_webhooks(base, bodies, clients, len(part))
                floor = sum(raw_appends(registry, events * len(chunk)) for chunk in chunks)
                print(
                    f"'{status}' ({events} event(s) a status), webhooks {label}: "
                    f"{len(part) / spent:.0f} statuses/s; floor (the same events appended raw, "
                    f"one at a time): {len(part) / floor:.0f}/s; ratio {floor / spent:.2f}"
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
