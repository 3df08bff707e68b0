"""Replay equals live (R-AUDIT): for generated histories of a customer, the template and
the policy, `POST /v1/audit/replay` at a moment answers what a live decision answered at
that moment. Time is the clocked app's `FakeClock`, moved between steps (no sleeping)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import MARKETING_TEMPLATE, ApiClient

TEMPLATE = {"name": "spring_sale", "language": "ru"}
ANY_TIME = {
    "send_window": None,
    "send_days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
    "holidays": None,
}
WORKING_HOURS = {
    "send_window": {"start": "10:00", "end": "18:00"},
    "send_days": ["mon", "tue", "wed", "thu", "fri"],
}

steps = st.lists(
    st.tuples(
        st.sampled_from(
            ["grant", "opt_out", "suppress", "unsuppress", "inbound", "authorize", "policy"]
        ),
        st.integers(min_value=1, max_value=30 * 3600),  # seconds before the step
        st.sampled_from([None, 0, 1, 2]),  # a policy step's daily limit
        st.booleans(),  # a policy step's time rules: working hours, or none
    ),
    min_size=1,
    max_size=8,
)


def _ok(answer: Any) -> Any:
    assert answer.status_code in (200, 201), answer.get_json()
    return answer.get_json()


def _step(api: ApiClient, kind: str, limit: int | None, working_hours: bool) -> None:
    if kind == "grant":
        _ok(
            api.post(
                "/v1/consents",
                json={
                    "customer_id": "anna",
                    "channel": "whatsapp",
                    "purposes": ["promotions"],
                    "source": {"kind": "api"},
                    "timezone": "Europe/Moscow",
                },
            )
        )
    elif kind == "opt_out":
        _ok(api.post("/v1/opt-outs", json={"customer_id": "anna", "purposes": ["promotions"]}))
    elif kind in ("suppress", "unsuppress"):  # unsuppressing a customer never seen: 404
        answer = api.post(f"/v1/customers/anna/{kind}", json={"reason": "test"})
        assert answer.status_code in (200, 404), answer.get_json()
    elif kind == "inbound":
        _ok(api.post("/v1/customers/anna/inbound", json={"channel": "whatsapp", "text": "hi"}))
    elif kind == "authorize":
        answer = api.post("/v1/authorizations", json={"customer_id": "anna", "template": TEMPLATE})
        assert answer.status_code in (200, 201, 404), answer.get_json()
    else:
        rules = WORKING_HOURS if working_hours else ANY_TIME
        _ok(api.put("/v1/policy", json={**rules, "marketing_daily_limit": limit}))


def _decision(answer: dict[str, Any]) -> dict[str, Any]:
    keys = ("allowed", "reasons", "template_version", "next_allowed_at")
    return {k: answer[k] for k in keys}


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(history=steps)
def test_replay_at_a_moment_answers_what_a_live_decision_answered_then(
    clocked_app: Any, clock: Any, token: Callable[..., str], history: list[Any]
) -> None:
    tenant = "t" + uuid.uuid4().hex[:12]
    api = ApiClient(clocked_app.test_client(), token(tenant_id=tenant))
    reviewer = ApiClient(clocked_app.test_client(), token(sub="bob", tenant_id=tenant))
    clock.advance(seconds=1)
    _ok(api.post("/v1/templates", json=MARKETING_TEMPLATE))
    _ok(
        reviewer.post(
            "/v1/templates/spring_sale/ru/review",
            json={"version": 1, "decision": "approve", "reason": "ok"},
        )
    )
    seen: list[tuple[str, dict[str, Any], dict[str, Any]]] = []
    for kind, wait, limit, working_hours in history:
        clock.advance(seconds=wait)
        _step(api, kind, limit, working_hours)
        moment = clock.advance(seconds=1).isoformat().replace("+00:00", "Z")
        request = {"customer_id": "anna", "template": TEMPLATE}  # replay asks for a template
        seen.append((moment, request, _ok(api.post("/v1/decisions", json=request))))
    for moment, request, live in seen:
        replayed = _ok(api.post("/v1/audit/replay", json={**request, "at": moment}))
        assert _decision(replayed) == _decision(live), (moment, request)
