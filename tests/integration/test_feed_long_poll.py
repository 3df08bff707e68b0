"""R-FEED's long poll against a real gunicorn: waits are held by gthread workers up to
`REGISTRY_FEED_MAX_WAITS` each, `/healthz` answers while all of them are held, a wait
beyond the cap answers at once, a commit on another worker releases the waits, and a
sync worker never holds one."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests

from registry.devtoken import make_token
from tests.conftest import JWT_SECRET, postgres_available, promotions_grant
from tests.integration.servers import registry_server

pytestmark = pytest.mark.slow

MAX_WAITS = 2
THREADS = 4


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest) -> str:
    if request.param == "postgres" and not postgres_available():
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is not reachable at 127.0.0.1:5432")
        pytest.skip("PostgreSQL is not reachable at 127.0.0.1:5432")
    return str(request.param)


@pytest.fixture(scope="module")
def threaded(backend: str) -> Iterator[tuple[str, Path]]:
    with registry_server(
        backend,
        workers=1,
        extra_args=("-k", "gthread", "--threads", str(THREADS)),
        extra_env={"REGISTRY_FEED_MAX_WAITS": str(MAX_WAITS)},
    ) as running:
        yield running


HEADERS = {"Authorization": f"Bearer {make_token(JWT_SECRET, sub='feed', tenant='poller')}"}


def _get(base: str, path: str, timeout: float = 60) -> requests.Response:
    return requests.get(base + path, headers={**HEADERS, "Connection": "close"}, timeout=timeout)


def _grant(base: str, customer_id: str) -> int:
    answer = requests.post(
        base + "/v1/consents", json=promotions_grant(customer_id), headers=HEADERS, timeout=30
    )
    assert answer.status_code == 201, answer.text
    return int(answer.json()["position"])


def _held_wait(base: str, after: int) -> requests.Response:
    """A long poll that asks again until the server holds it."""
    while True:
        answer = _get(base, f"/v1/changes?after_position={after}&wait=30")
        if "Retry-After" not in answer.headers:
            return answer
        time.sleep(0.01)


def _until_every_wait_is_held(base: str, after: int) -> None:
    """A short probe is refused (`Retry-After`) only while every wait of the cap is held."""
    for _ in range(1000):
        probe = _get(base, f"/v1/changes?after_position={after}&wait=0.05", timeout=10)
        if "Retry-After" in probe.headers:
            return
    raise AssertionError("the waits were never all held")


def test_healthz_answers_while_every_wait_is_held(threaded: tuple[str, Path]) -> None:
    base, _ = threaded
    after = _grant(base, "start")
    with ThreadPoolExecutor(MAX_WAITS) as pool:
        futures = [pool.submit(_held_wait, base, after) for _ in range(MAX_WAITS)]
        _until_every_wait_is_held(base, after)
        health = requests.get(base + "/healthz", timeout=5)
        assert health.status_code == 200
        beyond = _get(base, f"/v1/changes?after_position={after}&wait=30", timeout=10)
        assert beyond.headers["Retry-After"] == "1"
        assert beyond.json() == {"changes": [], "next_after_position": after}
        position = _grant(base, "released")
        pages = [f.result(timeout=60) for f in futures]
    for page in pages:
        assert page.status_code == 200
        assert "Retry-After" not in page.headers
        assert [c["position"] for c in page.json()["changes"]] == [position]


def test_a_sync_worker_never_holds_a_wait(backend: str) -> None:
    with registry_server(backend, workers=1) as (base, _):
        after = _grant(base, "start")
        answer = _get(base, f"/v1/changes?after_position={after}&wait=30", timeout=10)
        assert answer.headers["Retry-After"] == "1"
        assert answer.json() == {"changes": [], "next_after_position": after}
        assert requests.get(base + "/healthz", timeout=5).status_code == 200


def _readme_follow() -> Any:
    """The `follow` loop exactly as the README shows it."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    block = next(b for b in readme.split("```python\n")[1:] if "def follow(" in b)
    namespace: dict[str, Any] = {}
    exec(block.split("```", 1)[0], namespace)
    return namespace["follow"]


def test_the_readme_feed_loop_follows_changes_as_they_commit(threaded: tuple[str, Path]) -> None:
    base, _ = threaded
    token = make_token(JWT_SECRET, sub="feed", tenant="readme")
    follow = _readme_follow()(base, token)
    grant = requests.post(
        base + "/v1/consents",
        json=promotions_grant("anna"),
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    first = next(follow)
    assert (first["customer_id"], first["status"]) == ("anna", "granted")
    assert first["position"] == grant.json()["position"]
    with ThreadPoolExecutor(1) as pool:
        later = pool.submit(next, follow)  # long-polls: nothing is new yet
        requests.post(
            base + "/v1/opt-outs",
            json={
                "customer_id": "anna",
                "channel": "whatsapp",
                "purposes": "all",
                "source": {"kind": "api"},
            },
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        assert later.result(timeout=60)["status"] == "withdrawn"
