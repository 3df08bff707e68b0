"""Shared fixtures: one registry per backend per test process (SQLite file, and a
PostgreSQL database created for this run and dropped after), a fresh tenant per
test so tests never see each other's data, and a token helper."""

from __future__ import annotations

import os
import secrets
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from registry.devtoken import ALL_SCOPES, make_token

PG_ADMIN = dict(host="127.0.0.1", port=5432, user="postgres", dbname="postgres")
JWT_SECRET = "test-secret-" + "x" * 32


def postgres_available() -> bool:
    try:
        import psycopg

        with psycopg.connect(**PG_ADMIN, connect_timeout=3):
            return True
    except Exception:
        return False


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    if not postgres_available():
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is not reachable at 127.0.0.1:5432")
        pytest.skip("PostgreSQL is not reachable at 127.0.0.1:5432")
    import psycopg

    name = f"registry_test_{os.getpid()}_{secrets.token_hex(4)}"
    with psycopg.connect(**PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield name
    with psycopg.connect(**PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def environment_for(url: str, var_dir: Path) -> dict[str, str]:
    return {
        "REGISTRY_DATABASE_URL": url,
        "REGISTRY_JWT_SECRET": JWT_SECRET,
        "REGISTRY_VAR_DIR": str(var_dir),
        "REGISTRY_PUBLIC_URL": "http://registry.test",
        # Many registries share the test machine's PostgreSQL (max_connections 100).
        "REGISTRY_POSTGRES_POOL_SIZE": "2",
        "REGISTRY_POSTGRES_MAX_OVERFLOW": "2",
    }


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def backend_env(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, str]:
    var_dir = tmp_path_factory.mktemp(f"var-{request.param}")
    if request.param == "sqlite":
        url = f"sqlite:///{var_dir / 'registry.sqlite3'}"
    else:
        url = f"postgresql://postgres@127.0.0.1:5432/{request.getfixturevalue('pg_database')}"
    return environment_for(url, var_dir)


@pytest.fixture(scope="session")
def app(backend_env: dict[str, str]) -> Any:
    from registry.api.app import create_app
    from registry.config import load_settings

    flask_app = create_app(load_settings(backend_env))
    flask_app.config["TESTING"] = True
    return flask_app


@pytest.fixture(scope="session")
def clocked_app(backend_env: dict[str, str]) -> Any:
    """A second app on the same database whose services read a `FakeClock` (started at
    the real time, so that what other apps recorded lies in its past)."""
    from datetime import UTC, datetime

    from registry.api.app import create_app
    from registry.config import load_settings
    from tests.fakes import FakeClock

    clock = FakeClock(datetime.now(UTC))
    flask_app = create_app(load_settings(backend_env), clock=clock)
    flask_app.config["TESTING"] = True
    flask_app.extensions["test_clock"] = clock
    return flask_app


@pytest.fixture
def clock(clocked_app: Any) -> Any:
    """The clocked app's clock, moved to the real time or later for each test."""
    from datetime import UTC, datetime

    moved = clocked_app.extensions["test_clock"]
    moved.at = max(moved.at, datetime.now(UTC))
    return moved


@pytest.fixture
def clocked_api(clocked_app: Any, token: Callable[..., str], clock: Any) -> ApiClient:
    return ApiClient(clocked_app.test_client(), token())


@pytest.fixture
def registry(app: Any) -> Any:
    return app.extensions["registry"]


@pytest.fixture
def services(app: Any) -> Any:
    """The app's services container (registry/usecases/container.py)."""
    return app.extensions["services"]


@pytest.fixture
def tenant() -> str:
    return "t" + uuid.uuid4().hex[:12]


@pytest.fixture
def token(tenant: str) -> Callable[..., str]:
    def make(
        scope: str = ALL_SCOPES, *, sub: str = "alice", tenant_id: str | None = None, **kw: Any
    ) -> str:
        return make_token(JWT_SECRET, sub=sub, tenant=tenant_id or tenant, scope=scope, **kw)

    return make


class ApiClient:
    """A test client that sends a bearer token with every request."""

    def __init__(self, client: Any, token: str) -> None:
        self.client = client
        self.token = token

    def _headers(self, headers: dict[str, str] | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", **(headers or {})}

    def get(self, path: str, **kw: Any) -> Any:
        return self.client.get(path, headers=self._headers(kw.pop("headers", None)), **kw)

    def post(self, path: str, json: Any = None, **kw: Any) -> Any:
        return self.client.post(
            path, json=json, headers=self._headers(kw.pop("headers", None)), **kw
        )

    def put(self, path: str, json: Any = None, **kw: Any) -> Any:
        return self.client.put(
            path, json=json, headers=self._headers(kw.pop("headers", None)), **kw
        )

    def patch(self, path: str, json: Any = None, **kw: Any) -> Any:
        return self.client.patch(
            path, json=json, headers=self._headers(kw.pop("headers", None)), **kw
        )


@pytest.fixture
def api(app: Any, token: Callable[..., str]) -> ApiClient:
    return ApiClient(app.test_client(), token())


@pytest.fixture
def reviewer(app: Any, token: Callable[..., str]) -> ApiClient:
    return ApiClient(app.test_client(), token(sub="bob"))


MARKETING_TEMPLATE = {
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


@pytest.fixture
def approved_template(api: ApiClient, reviewer: ApiClient) -> dict[str, Any]:
    submitted = api.post("/v1/templates", json=MARKETING_TEMPLATE)
    assert submitted.status_code == 201, submitted.get_json()
    assert submitted.get_json()["status"] == "PENDING", submitted.get_json()
    reviewed = reviewer.post(
        "/v1/templates/spring_sale/ru/review",
        json={"version": 1, "decision": "approve", "reason": "ok"},
    )
    assert reviewed.status_code == 200, reviewed.get_json()
    return {"name": "spring_sale", "language": "ru"}


def promotions_grant(customer_id: str) -> dict[str, Any]:
    """A WhatsApp promotions grant for `customer_id`, from the API."""
    return {
        "customer_id": customer_id,
        "channel": "whatsapp",
        "purposes": ["promotions"],
        "source": {"kind": "api"},
    }


def put_any_time_policy(api: ApiClient, daily_limit: int | None = None) -> dict[str, Any]:
    """A policy with no time rules (and this daily limit); returns the stored policy."""
    answer = api.put(
        "/v1/policy",
        json={
            "send_window": None,
            "send_days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
            "holidays": None,
            "marketing_daily_limit": daily_limit,
        },
    )
    assert answer.status_code == 200, answer.get_json()
    body: dict[str, Any] = answer.get_json()
    return body


@pytest.fixture
def any_time_policy(api: ApiClient) -> None:
    """A policy with no time rules, so consent tests do not depend on the clock."""
    put_any_time_policy(api)
