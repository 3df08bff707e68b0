"""SPEC §18: `/metrics` is one view of the whole server. Against a real
`gunicorn wsgi:app -w 4` (no configuration file), with every request on a fresh connection
so that consecutive scrapes land on different workers: no counter goes backwards over 20
scrapes, the domain figures count what every worker did, and the opt-outs and
authorizations it shows are recounted from the audit log."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from registry.devtoken import make_token
from tests.conftest import JWT_SECRET, MARKETING_TEMPLATE, postgres_available, promotions_grant
from tests.integration.servers import children, registry_server

pytestmark = pytest.mark.slow

WORKERS = 4
SCRAPES = 20
ANY_TIME = {
    "send_window": None,
    "send_days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
    "holidays": None,
}
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def server(request: pytest.FixtureRequest) -> Iterator[tuple[str, Path]]:
    if request.param == "postgres" and not postgres_available():
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is not reachable at 127.0.0.1:5432")
        pytest.skip("PostgreSQL is not reachable at 127.0.0.1:5432")
    with registry_server(request.param, workers=WORKERS) as running:
        yield running


class Client:
    def __init__(self, base_url: str, tenant: str, sub: str = "alice") -> None:
        self.base_url = base_url
        token = make_token(JWT_SECRET, sub=sub, tenant=tenant)
        self.headers = {"Authorization": f"Bearer {token}", "Connection": "close"}

    def ok(self, method: str, path: str, body: Any = None, status: int = 200) -> Any:
        answer = requests.request(
            method, self.base_url + path, json=body, headers=self.headers, timeout=30
        )
        assert answer.status_code == status, (method, path, answer.status_code, answer.text)
        is_json = answer.headers.get("Content-Type", "").startswith("application/json")
        return answer.json() if is_json else answer.text


def scrape(base_url: str) -> tuple[Samples, dict[str, str]]:
    answer = requests.get(f"{base_url}/metrics", headers={"Connection": "close"}, timeout=30)
    assert answer.status_code == 200
    samples: Samples = {}
    kinds = {}
    for family in text_string_to_metric_families(answer.text):
        kinds[family.name] = family.type
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples, kinds


def registry_counters(samples: Samples, kinds: dict[str, str]) -> Samples:
    """The registry's own counters and histogram series (all must only grow)."""
    return {
        key: value
        for key, value in samples.items()
        if key[0].startswith("registry_")
        and kinds.get(key[0].removesuffix("_total").rsplit("_bucket", 1)[0]) != "gauge"
        and not key[0].startswith("registry_log_position")
        and not key[0].endswith("_created")
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.fixture(scope="module")
def activity(server: tuple[str, Path]) -> dict[str, Any]:
    """Writes and decisions spread over every worker: 6 grants, 3 opt-outs, 2
    authorizations and 8 refused decisions (unknown template)."""
    base_url, _ = server
    alice = Client(base_url, "metrics")
    bob = Client(base_url, "metrics", sub="bob")
    alice.ok("PUT", "/v1/policy", ANY_TIME)
    alice.ok("POST", "/v1/templates", MARKETING_TEMPLATE, status=201)
    bob.ok("POST", "/v1/templates/spring_sale/ru/review", {"version": 1, "decision": "approve"})
    for n in range(6):
        alice.ok("POST", "/v1/consents", promotions_grant(f"c{n}"), status=201)
    for n in range(3):
        opt_out = {"customer_id": f"c{n}", "purposes": ["promotions"], "source": {"kind": "api"}}
        alice.ok("POST", "/v1/opt-outs", opt_out, status=201)
    template = {"name": "spring_sale", "language": "ru"}
    last = None
    for n in (4, 5):
        last = alice.ok(
            "POST", "/v1/authorizations", {"customer_id": f"c{n}", "template": template}, 201
        )
    for n in range(8):
        body = {"customer_id": f"c{n % 6}", "template": {"name": "nope", "language": "en"}}
        alice.ok("POST", "/v1/decisions", body)
    assert last is not None
    return {"client": alice, "position": last["position"]}


def test_no_counter_goes_backwards_over_twenty_scrapes(
    server: tuple[str, Path], activity: dict[str, Any]
) -> None:
    base_url, _ = server
    client = activity["client"]
    previous: Samples = {}
    for n in range(SCRAPES):
        if n % 4 == 0:  # more work between some scrapes, on whatever worker
            client.ok("POST", "/v1/decisions", {"customer_id": "c5", "template": None})
        samples, kinds = scrape(base_url)
        counters = registry_counters(samples, kinds)
        assert counters, "no registry counters in the scrape"
        went_back = {k: (previous[k], v) for k, v in counters.items() if v < previous.get(k, 0)}
        assert not went_back, f"scrape {n + 1}: {went_back}"
        assert set(previous) <= set(counters), f"scrape {n + 1} lost series"
        previous = counters


def test_every_scrape_counts_what_every_worker_did(
    server: tuple[str, Path], activity: dict[str, Any]
) -> None:
    base_url, _ = server
    seen = []
    for _ in range(WORKERS * 2):
        samples, _kinds = scrape(base_url)
        decided = value(
            samples,
            "registry_http_requests_total",
            method="POST",
            route="/v1/decisions",
            status="200",
        )
        seen.append(
            (
                value(samples, "registry_opt_outs_total", source="api"),
                value(samples, "registry_authorizations_total", channel="whatsapp"),
                value(samples, "registry_decisions_total", allowed="false")
                + value(samples, "registry_decisions_total", allowed="true"),
                decided,
                value(samples, "registry_decision_reasons_total", reason="template_not_found"),
                value(samples, "registry_http_request_seconds_count", route="/v1/opt-outs"),
                value(samples, "registry_log_position"),
            )
        )
    assert len(set(seen)) == 1, seen  # the same figures whichever worker answered
    opt_outs, authorizations, decisions, decided, not_found, timed, position = seen[0]
    assert (opt_outs, authorizations, timed) == (3, 2, 3)
    assert decisions == decided >= 8
    assert not_found >= 8
    assert position >= activity["position"]


def test_the_opt_outs_and_authorizations_shown_are_recounted_from_the_log(
    server: tuple[str, Path], activity: dict[str, Any]
) -> None:
    base_url, _ = server
    client = activity["client"]
    export = client.ok(
        "GET", "/v1/audit/events?type=Customer.ConsentWithdrawn&type=Customer.SendAuthorized"
    )
    events = [json.loads(line) for line in export.splitlines()][1:-1]
    topics = [e["event"]["topic"].rsplit(":", 1)[-1] for e in events]
    samples, _ = scrape(base_url)
    assert topics.count("Customer.ConsentWithdrawn") == value(
        samples, "registry_opt_outs_total", source="api"
    )
    assert topics.count("Customer.SendAuthorized") == value(
        samples, "registry_authorizations_total", channel="whatsapp"
    )


def worker_files(directory: Path) -> set[int]:
    """The workers (by process id) that wrote counters into `directory`."""
    return {int(p.stem.rsplit("_", 1)[-1]) for p in directory.glob("counter_*.db")}


def requests_at_once(base_url: str, count: int) -> None:
    """`count` GET /healthz at once, each on its own connection: sync workers that are
    busy accept none, so they spread over the workers."""
    with ThreadPoolExecutor(count) as pool:
        answers = list(
            pool.map(
                lambda _: (
                    requests.get(
                        base_url + "/healthz", headers={"Connection": "close"}, timeout=30
                    ).status_code
                ),
                range(count),
            )
        )
    assert set(answers) == {200}, answers


def test_the_workers_share_one_directory_under_var_named_by_their_master(
    server: tuple[str, Path], activity: dict[str, Any]
) -> None:
    base_url, var_dir = server
    (directory,) = (var_dir / "metrics").iterdir()
    master, _, started = directory.name.partition("-")
    assert master.isdigit() and started
    for _ in range(5):  # until requests at once reached two workers, at most 5 rounds
        if len(worker_files(directory)) >= 2:
            break
        requests_at_once(base_url, 32)
    written = worker_files(directory)
    assert len(written) >= 2  # several workers wrote figures there
    assert written <= set(children(int(master)))  # and every file is one of its workers
