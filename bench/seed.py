"""Seeds a tenant: policy without time rules, an approved template, N customers by import."""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests

from registry.devtoken import make_token

TENANT = "bench"
CHUNK = 20_000

MARKETING_TEMPLATE: dict[str, Any] = {
    "name": "spring_sale",
    "language": "ru",
    "category": "MARKETING",
    "purpose": "promotions",
    "components": [
        {
            "type": "BODY",
            "text": "{{1}}, недавно вы интересовались кроссовками. Скидка 10% на ваш заказ до пятницы.",
            "example": {"body_text": [["Анна"]]},
        },
        {"type": "FOOTER", "text": "Отписаться: ответьте СТОП"},
    ],
}
TEMPLATE_REF = {"name": "spring_sale", "language": "ru"}
REVIEW_PATH = "/v1/templates/spring_sale/ru/review"
APPROVAL: dict[str, Any] = {"version": 1, "decision": "approve", "reason": "bench"}
# No time rules: every decision runs the whole rule set and is allowed.
ANY_TIME_POLICY: dict[str, Any] = {
    "send_window": None,
    "send_days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
    "holidays": None,
    "marketing_daily_limit": None,
}


def tokens(secret: str) -> tuple[str, str]:
    """The author's and the reviewer's tokens (four eyes: two `sub`s)."""
    return (
        make_token(secret, sub="bench-author", tenant=TENANT),
        make_token(secret, sub="bench-reviewer", tenant=TENANT),
    )


def _check(answer: requests.Response, *ok: int) -> Any:
    if answer.status_code not in ok:
        raise RuntimeError(
            f"{answer.request.method} {answer.url}: {answer.status_code} {answer.text[:500]}"
        )
    return answer.json()


def prepare_tenant(base: str, secret: str) -> None:
    author, reviewer = tokens(secret)
    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {author}"
    _check(s.put(base + "/v1/policy", json=ANY_TIME_POLICY), 200)
    _check(s.post(base + "/v1/templates", json=MARKETING_TEMPLATE), 201)
    _check(
        requests.post(
            base + REVIEW_PATH, json=APPROVAL, headers={"Authorization": f"Bearer {reviewer}"}
        ),
        200,
    )


def grant_row(i: int) -> dict[str, Any]:
    return {
        "customer_id": f"c{i}",
        "channel": "whatsapp",
        "purposes": ["promotions"],
        "source": {"kind": "import", "evidence": "bench seed"},
        "timezone": "Europe/Moscow",
    }


def thread_session(local: threading.local) -> requests.Session:
    """This thread's session (kept in `local`), made on its first request."""
    session = getattr(local, "session", None)
    if session is None:
        session = local.session = requests.Session()
    return session


def import_customers(
    base: str, secret: str, start: int, stop: int, chunk: int = CHUNK, *, parallel: int = 1
) -> dict[str, float]:
    """Imports customers c<start>..c<stop-1> in NDJSON chunks, `parallel` requests in
    flight (each one's parsing and preparing overlaps another's turn at the events
    table's lock); returns rows, seconds of wall time and rows per second."""
    author, _ = tokens(secret)
    headers = {"Authorization": f"Bearer {author}", "Content-Type": "application/x-ndjson"}
    local = threading.local()

    def send(lo: int) -> int:
        session = thread_session(local)
        hi = min(stop, lo + chunk)
        body = "\n".join(json.dumps(grant_row(i)) for i in range(lo, hi)).encode() + b"\n"
        answer = _check(
            session.post(base + "/v1/consents/import", data=body, headers=headers, timeout=600),
            200,
            201,
        )
        return int(answer.get("imported", hi - lo))

    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=max(1, parallel)) as pool:
        rows = sum(pool.map(send, range(start, stop, chunk)))
    elapsed = time.perf_counter() - t0
    return {"rows": rows, "seconds": elapsed, "rows_per_s": rows / elapsed if elapsed else 0.0}
