"""R-AUTH: `aud` and `iss` are checked when REGISTRY_JWT_AUDIENCE / _ISSUER are set."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from registry.devtoken import make_token
from tests.conftest import JWT_SECRET, environment_for

AUDIENCE, ISSUER = "consent-registry", "https://issuer.test"


@pytest.fixture(scope="module")
def strict_app(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from registry.api.app import create_app
    from registry.config import load_settings

    var = Path(tmp_path_factory.mktemp("aud-iss"))
    env = environment_for(f"sqlite:///{var / 'r.sqlite3'}", var)
    env.update(REGISTRY_JWT_AUDIENCE=AUDIENCE, REGISTRY_JWT_ISSUER=ISSUER)
    return create_app(load_settings(env))


def _status(app: Any, **claims: Any) -> int:
    token = make_token(JWT_SECRET, tenant="strict", **claims)
    headers = {"Authorization": f"Bearer {token}"}
    return int(app.test_client().get("/v1/policy", headers=headers).status_code)


def test_a_token_naming_the_audience_and_issuer_is_accepted(strict_app: Any) -> None:
    assert _status(strict_app, audience=AUDIENCE, issuer=ISSUER) == 200


@pytest.mark.parametrize(
    "claims",
    [
        {"issuer": ISSUER},
        {"audience": AUDIENCE},
        {"audience": "another-service", "issuer": ISSUER},
        {"audience": AUDIENCE, "issuer": "https://someone-else.test"},
    ],
    ids=["no aud", "no iss", "wrong aud", "wrong iss"],
)
def test_a_token_missing_or_naming_another_audience_or_issuer_is_401(
    strict_app: Any, claims: dict[str, str]
) -> None:
    assert _status(strict_app, **claims) == 401


def test_without_configuration_aud_and_iss_are_not_checked(app: Any) -> None:
    assert _status(app, audience="anything", issuer="anyone") == 200
