"""R-AUTH: a token's jti can be revoked (issue #20 item 10); revocation is an event."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from registry.domain.token import token_revocation_id
from registry.projections.reader import (
    RevocationProbe,
    TokenRevokedError,
    ViewReader,
    answer_revocation_probe,
    revocation_probe,
)
from tests.conftest import ApiClient
from tests.e2e.outcome_helpers import TEMPLATE, authorize, promotions_grant


def _policy_status(app: Any, token: str) -> tuple[int, str | None]:
    answer = app.test_client().get("/v1/policy", headers={"Authorization": f"Bearer {token}"})
    code = answer.get_json().get("error", {}).get("code") if answer.status_code >= 400 else None
    return answer.status_code, code


def test_a_revoked_token_is_refused_from_the_next_request_on(
    app: Any, api: ApiClient, token: Callable[..., str]
) -> None:
    victim = token(sub="leaked", jti="leaked-1")
    assert _policy_status(app, victim) == (200, None)
    answer = api.post("/v1/tokens/revoke", json={"jti": "leaked-1", "reason": "laptop lost"})
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["revoked"] is True
    assert _policy_status(app, victim) == (401, "token_revoked")
    assert _policy_status(app, token(sub="leaked", jti="leaked-2")) == (200, None)


def test_revocation_is_an_event_with_actor_and_request_id(
    app: Any, api: ApiClient, registry: Any, tenant: str
) -> None:
    api.post("/v1/tokens/revoke", json={"jti": "j-event"}, headers={"X-Request-Id": "req-77"})
    db = registry.db
    with db.transaction() as sql:
        rows = sql.query(
            f"SELECT topic, state FROM {db.events_table} WHERE originator_id = ?",
            [db.originator_param(str(token_revocation_id(tenant, "j-event")))],
        )
    assert [topic for topic, _ in rows] == ["registry.domain.token:TokenRevocation.Revoked"]
    state = json.loads(bytes(rows[0][1]))
    assert (state["actor"], state["request_id"], state["jti"]) == ("alice", "req-77", "j-event")


def test_revoking_twice_records_one_event_and_answers_the_same(api: ApiClient) -> None:
    first = api.post("/v1/tokens/revoke", json={"jti": "twice"}).get_json()
    second = api.post("/v1/tokens/revoke", json={"jti": "twice"}).get_json()
    assert first == second


def test_revoking_needs_the_policy_write_scope(app: Any, token: Callable[..., str]) -> None:
    reader = ApiClient(app.test_client(), token("policy:read"))
    answer = reader.post("/v1/tokens/revoke", json={"jti": "x"})
    assert answer.status_code == 403


def test_revocation_in_one_tenant_leaves_the_same_jti_of_another_tenant_alone(
    app: Any, api: ApiClient, token: Callable[..., str]
) -> None:
    api.post("/v1/tokens/revoke", json={"jti": "shared-jti"})
    other = token(jti="shared-jti", tenant_id="other-" + uuid.uuid4().hex[:12])
    assert _policy_status(app, other)[0] == 200


def test_unknown_fields_in_a_revocation_are_refused(api: ApiClient) -> None:
    answer = api.post("/v1/tokens/revoke", json={"jti": "x", "everyone": True})
    assert answer.status_code == 422
    assert "everyone" in json.dumps(answer.get_json()["error"]["details"])


def test_a_revocation_survives_a_rebuild_of_the_views(
    app: Any, api: ApiClient, registry: Any, tenant: str, token: Callable[..., str]
) -> None:
    from registry.projections.rebuild import rebuild

    victim = token(jti="after-rebuild")
    api.post("/v1/tokens/revoke", json={"jti": "after-rebuild"})
    with registry.db.transaction(commit=True) as sql:
        sql.execute(
            "DELETE FROM registry_views WHERE tenant = ? AND kind = 'revoked_token'", [tenant]
        )
    assert _policy_status(app, victim) == (200, None)  # the view is what the guard reads
    rebuild(registry)
    assert _policy_status(app, victim) == (401, "token_revoked")


def test_a_revoked_token_gets_no_decision(
    app: Any, api: ApiClient, token: Callable[..., str]
) -> None:
    victim = ApiClient(app.test_client(), token(jti="decider"))
    body = {"customer_id": "anna", "template": {"name": "spring_sale", "language": "ru"}}
    assert victim.post("/v1/decisions", json=body).status_code == 200
    api.post("/v1/tokens/revoke", json={"jti": "decider"})
    answer = victim.post("/v1/decisions", json=body)
    assert (answer.status_code, answer.get_json()["error"]["code"]) == (401, "token_revoked")


def counted_statements(registry: Any, monkeypatch: Any) -> list[str]:
    """The read statements (`single_statement`) the registry opens from now on."""
    statements: list[str] = []
    opened = registry.db.single_statement

    def counting() -> Any:
        statements.append("single_statement")
        return opened()

    monkeypatch.setattr(registry.db, "single_statement", counting)
    return statements


def test_a_decision_asks_about_revocation_in_its_one_view_statement(
    app: Any, registry: Any, token: Callable[..., str], monkeypatch: Any
) -> None:
    statements = counted_statements(registry, monkeypatch)
    client = ApiClient(app.test_client(), token(jti="one-statement"))
    body = {"customer_id": "anna", "template": {"name": "spring_sale", "language": "ru"}}
    assert client.post("/v1/decisions", json=body).status_code == 200
    assert statements == ["single_statement"]


def test_a_revoked_token_authorizes_nothing(
    app: Any,
    api: ApiClient,
    approved_template: dict[str, Any],
    any_time_policy: None,
    token: Callable[..., str],
) -> None:
    """The revocation of an authorization rides its view read; the send is not recorded."""
    victim = ApiClient(app.test_client(), token(jti="sender"))
    assert authorize(victim, "anna")["allowed"] is True
    api.post("/v1/tokens/revoke", json={"jti": "sender"})

    answer = victim.post("/v1/authorizations", json={"customer_id": "anna", "template": TEMPLATE})

    assert (answer.status_code, answer.get_json()["error"]["code"]) == (401, "token_revoked")
    events = api.get("/v1/customers/anna/history").get_json()["events"]
    assert [e["type"] for e in events].count("Customer.SendAuthorized") == 1


def test_an_authorization_asks_about_revocation_in_its_one_view_read(
    app: Any,
    registry: Any,
    api: ApiClient,
    approved_template: dict[str, Any],
    any_time_policy: None,
    token: Callable[..., str],
    monkeypatch: Any,
) -> None:
    api.post("/v1/consents", json=promotions_grant("anna"))
    statements = counted_statements(registry, monkeypatch)
    client = ApiClient(app.test_client(), token(jti="one-read"))
    answer = client.post("/v1/authorizations", json={"customer_id": "anna", "template": TEMPLATE})
    assert answer.status_code == 201, answer.get_json()
    assert statements == ["single_statement"]  # the view read; no revocation read of its own


def test_a_probe_no_read_answered_is_asked_before_the_write(
    api: ApiClient, registry: Any, tenant: str
) -> None:
    """`answer_revocation_probe`: a probe whose tenant no view read named (the use case
    read another's) is asked on its own, and a revoked token raises before any write."""
    api.post("/v1/tokens/revoke", json={"jti": "gone"})
    views = ViewReader(registry.db)
    for jti, revoked in (("kept", False), ("gone", True)):
        probe = RevocationProbe(tenant, jti)
        revocation_probe.set(probe)
        try:
            views.read("another-tenant", [("tenant", "")])
            assert probe.answered is False
            if revoked:
                with pytest.raises(TokenRevokedError):
                    answer_revocation_probe(views)
            else:
                answer_revocation_probe(views)
            assert probe.answered is True
        finally:
            revocation_probe.set(None)
