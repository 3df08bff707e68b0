"""`python -m registry.devtoken` (what `make run` and `make token` call)."""

from __future__ import annotations

import jwt
import pytest

from registry import devtoken


def test_without_a_secret_it_says_which_variable_is_missing(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("REGISTRY_JWT_SECRET", raising=False)
    assert devtoken.main([]) == 2
    assert "REGISTRY_JWT_SECRET is required" in capsys.readouterr().err


def test_bare_prints_a_token_signed_with_the_secret(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("REGISTRY_JWT_SECRET", "s" * 43)
    monkeypatch.setattr("sys.argv", ["devtoken", "--bare"])
    assert devtoken.main() == 0
    claims = jwt.decode(capsys.readouterr().out.strip(), "s" * 43, algorithms=["HS256"])
    assert (claims["tenant"], claims["sub"]) == ("demo", "dev")


def test_sub_scope_and_tenant_are_chosen_on_the_command_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("REGISTRY_JWT_SECRET", "s" * 43)
    argv = ["--bare", "--sub", "reviewer", "--tenant", "acme", "--scope", "decisions policy:read"]
    assert devtoken.main(argv) == 0
    claims = jwt.decode(capsys.readouterr().out.strip(), "s" * 43, algorithms=["HS256"])
    assert (claims["sub"], claims["tenant"], claims["scope"]) == (
        "reviewer",
        "acme",
        "decisions policy:read",
    )


def test_every_token_carries_its_own_jti_so_it_can_be_revoked() -> None:
    first, second = (
        jwt.decode(devtoken.make_token("s" * 43), "s" * 43, algorithms=["HS256"])["jti"]
        for _ in range(2)
    )
    assert first and second and first != second


def test_help_describes_the_options_and_prints_no_token(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("REGISTRY_JWT_SECRET", "s" * 43)
    with pytest.raises(SystemExit) as exited:
        devtoken.main(["--help"])
    out = capsys.readouterr().out
    assert exited.value.code == 0
    assert all(option in out for option in ("--sub", "--scope", "--tenant", "--bare"))
    assert "export TOKEN" not in out
