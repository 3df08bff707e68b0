"""Outcomes (SPEC §11-12), in-process: statuses ingested per second through signed
WhatsApp webhooks of 1000 statuses, and decisions per second with and without the
feedback state a busy tenant has (a messaging limit in force, a full window, outcomes).

Each webhook is followed by its floor, measured in the same run under the same load: the
same number of events appended raw (one transaction, Merkle leaves, nothing else); the
ratio floor time / webhook time says how close ingestion comes to the cost of its events
alone. The import's rows/s (2 events a row, as a first status) is printed as well.

    .venv/bin/python -m bench.outcomes_micro --database-url postgresql://postgres@127.0.0.1:5432/bench_outcomes
    (default: a SQLite file in a temp directory). Figures are printed as rates and ratios.

Decisions are also compared against another tree (`--before PATH`, e.g. a worktree of
the commit before outcomes): run this script once with PYTHONPATH=PATH and once without.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

from bench import inprocess, seed
from registry.domain.send import SendIdentity
from registry.projections.sends import micros
from registry.store.bulk_writes import BulkWriteSet
from registry.store.prepared_sends import Stamp, opened

SECRET = "bench-secret-bench-secret-bench-secret"
APP_SECRET = "bench-app-secret"
BATCH = 1000


def _ok(answer: Any) -> Any:
    if answer.status_code >= 300:
        raise RuntimeError(f"{answer.status_code}: {answer.get_data(as_text=True)[:300]}")
    return answer.get_json()


INTEGRATION = {"app_secret": APP_SECRET, "verify_token": "bench-verify"}


def feedback_policy(sends: int) -> dict[str, Any]:
    """The policy without time rules, its daily marketing limit above `sends` customers."""
    return {**seed.ANY_TIME_POLICY, "feedback": {"marketing_daily_customers": sends * 2}}


def signed_headers(body: bytes) -> dict[str, str]:
    """The headers of a WhatsApp webhook of `body`, signed with the app secret."""
    signature = "sha256=" + hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()
    return {"Content-Type": "application/json", "X-Hub-Signature-256": signature}


def statuses_payload(refs: list[str], status: str, at: int) -> bytes:
    value = {
        "messaging_product": "whatsapp",
        "statuses": [
            {"id": ref, "status": status, "timestamp": str(at), "recipient_id": f"7900{i:07d}"}
            for i, ref in enumerate(refs)
        ],
    }
    payload = {
        "object": "whatsapp_business_account",
        "entry": [{"id": "1", "changes": [{"field": "messages", "value": value}]}],
    }
    return json.dumps(payload).encode()


def decisions_per_second(client: Any, headers: dict[str, str], seconds: float) -> float:
    body = {"customer_id": "c1", "template": seed.TEMPLATE_REF}
    done, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        _ok(client.post("/v1/decisions", json=body, headers=headers))
        done += 1
    return done / (time.perf_counter() - started)


def webhook(client: Any, refs: list[str], status: str) -> float:
    """One signed webhook of these statuses: the seconds its post took."""
    body = statuses_payload(refs, status, int(time.time()))
    began = time.perf_counter()
    answer = client.post(
        f"/webhooks/whatsapp/{seed.TENANT}", data=body, headers=signed_headers(body)
    )
    spent = time.perf_counter() - began
    if answer.status_code != 200 or answer.get_json().get("recorded") != len(refs):
        raise RuntimeError(answer.get_data(as_text=True)[:300])
    return spent


def raw_appends(registry: Any, count: int) -> float:
    """The floor: `count` events appended with their Merkle leaves and nothing else (no
    read, no view, no derived row), prepared as the batch's are, in one transaction."""
    stamp = Stamp("bench", "bench-floor", datetime.now(UTC))
    identity = SendIdentity(
        "floor",
        "floor",
        "whatsapp",
        {"name": "floor", "language": "ru", "version": 1},
        "marketing",
        stamp.now,
    )
    events = [opened(seed.TENANT, uuid4(), identity, None, stamp) for _ in range(count)]
    began = time.perf_counter()
    registry.writer.write_stored(seed.TENANT, events, BulkWriteSet(tenant=seed.TENANT), {})
    return time.perf_counter() - began


def ingest(client: Any, registry: Any, refs: list[str], status: str) -> tuple[float, float]:
    """`refs` in webhooks of `BATCH` statuses, each followed by the floor of as many events
    as it records (2 per status when the status opens its send): the seconds of each."""
    per_status = 2 if status == "delivered" else 1
    spent = floor = 0.0
    for start in range(0, len(refs), BATCH):
        chunk = refs[start : start + BATCH]
        spent += webhook(client, chunk, status)
        floor += raw_appends(registry, per_status * len(chunk))
    return spent, floor


_EARLIER_SENDS = (
    "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
    "INSERT INTO registry_sends (tenant, authorization_id, customer_id, channel, "
    "template_name, language, version, purpose, authorized_at, send_version) "
    "SELECT ?, 'earlier-' || i, 'earlier-' || i, 'whatsapp', ?, ?, 1, 'promotions', "
    "CAST(? AS BIGINT) + i * CAST(? AS BIGINT), 0 FROM n"
)


def add_earlier_sends(registry: Any, count: int) -> None:
    """`count` sends of the bench's template version on WhatsApp, authorized over the
    feedback window's last 29 days and never reported on: what the feedback rules count
    over when a tenant has sent that much in its window."""
    if count <= 0:
        return
    now = datetime.now(UTC)
    first = micros(now - timedelta(days=29))
    step = (micros(now - timedelta(hours=1)) - first) // count
    template = seed.TEMPLATE_REF
    with registry.db.transaction(commit=True) as sql:
        sql.execute(
            _EARLIER_SENDS,
            [count - 1, seed.TENANT, template["name"], template["language"], first, step],
        )


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.outcomes_micro")
    parser.add_argument("--database-url", default="")
    parser.add_argument("--sends", type=int, default=2000, help="authorizations with message refs")
    parser.add_argument("--seconds", type=float, default=3.0, help="per decision run")
    parser.add_argument("--decisions-only", action="store_true")
    parser.add_argument(
        "--earlier-sends",
        type=int,
        default=0,
        help="sends already in the feedback window before the bench's (default 0)",
    )
    parser.add_argument(
        "--profile", action="store_true", help="cProfile the status webhooks instead of timing"
    )
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="bench-outcomes-"))
    app, client = inprocess.build(args.database_url, workdir, SECRET)
    headers = inprocess.author_headers(SECRET)
    inprocess.prepare_tenant(client, SECRET)
    began = time.perf_counter()
    inprocess.import_rows(client, SECRET, (seed.grant_row(i) for i in range(args.sends)), BATCH)
    imported = args.sends / (time.perf_counter() - began)  # rows/s, 2 events a row, as 'delivered'
    print(f"import rows/s, requests of {BATCH} rows: {imported:.0f}")
    plain = decisions_per_second(client, headers, args.seconds)
    print(f"decisions/s, no feedback state: {plain:.0f}")
    if args.decisions_only:
        return 0
    _ok(client.put("/v1/integrations/whatsapp", json=INTEGRATION, headers=headers))
    _ok(client.put("/v1/policy", json=feedback_policy(args.sends), headers=headers))
    refs = []
    started = time.perf_counter()
    for i in range(args.sends):
        ref = f"wamid.bench.{i}"
        authorized = _ok(
            client.post(
                "/v1/authorizations",
                json={
                    "customer_id": f"c{i}",
                    "template": seed.TEMPLATE_REF,
                    "message_ref": ref,
                },
                headers=headers,
            )
        )
        if not authorized.get("authorization_id"):
            raise RuntimeError(f"not authorized: {authorized}")
        refs.append(ref)
    allowed = _ok(
        client.get(f"/v1/authorizations/{authorized['authorization_id']}", headers=headers)
    )
    if allowed["message_ref"] != refs[-1]:
        raise RuntimeError("the last authorization lost its message_ref")
    print(
        f"authorizations/s with a messaging limit in force: {args.sends / (time.perf_counter() - started):.0f}"
    )
    registry = app.extensions["registry"]
    add_earlier_sends(registry, args.earlier_sends)
    if args.earlier_sends:
        print(f"earlier sends in the feedback window: {args.earlier_sends}")
    # A tenant in steady state has table statistics (autovacuum, or the registry's own
    # ANALYZE after large writes); just-filled tables without them are planned as empty.
    registry.db.refresh_statistics()
    for status in ("delivered", "read"):
        note = (
            "first status of each send (opens its Send, 2 events)"
            if status == "delivered"
            else "later status, 1 event"
        )
        if args.profile:

            def work(status: str = status) -> object:
                return ingest(client, registry, refs, status)

            inprocess.profile_call(work, flat=True)
            continue
        spent, floor = ingest(client, registry, refs, status)
        print(
            f"statuses/s, webhooks of {BATCH} '{status}' ({note}): {len(refs) / spent:.0f}; "
            f"floor (the same events appended raw): {len(refs) / floor:.0f} statuses/s; "
            f"ratio {floor / spent:.2f}; import rows/s {imported:.0f}, "
            f"ratio {len(refs) / spent / imported:.2f}"
        )
    busy = decisions_per_second(client, headers, args.seconds)
    print(
        f"decisions/s, limit in force, {args.sends} customers in the window, outcomes: {busy:.0f}"
    )
    print(f"ratio busy/plain: {busy / plain:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
