"""`python -m registry.devtoken` (what `make run` and `make token` call)."""

from __future__ import annotations

import jwt
import pytest

from registry import devtoken


def test_without_a_secret_it_says_which_variable_is_missing(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("REGISTRY_JWT_SECRET", raising=False)
    assert devtoken.main() == 2
    assert "REGISTRY_JWT_SECRET is required" in capsys.readouterr().err


def test_bare_prints_a_token_signed_with_the_secret(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("REGISTRY_JWT_SECRET", "s" * 43)
    monkeypatch.setattr("sys.argv", ["devtoken", "--bare"])
    assert devtoken.main() == 0
    claims = jwt.decode(capsys.readouterr().out.strip(), "s" * 43, algorithms=["HS256"])
    assert (claims["tenant"], claims["sub"]) == ("demo", "dev")
