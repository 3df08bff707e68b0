"""A hand-made month of sends, opt-outs and suppressions, written through the API, with
the figures a report of it must show (shared by the report's API and browser tests)."""

from __future__ import annotations

from typing import Any

from tests import helpers
from tests.conftest import MARKETING_TEMPLATE, put_any_time_policy

NEWS_TEMPLATE = {
    **MARKETING_TEMPLATE,
    "name": "weekly_news",
    "purpose": "recommendations",
}


def approve(api: Any, reviewer: Any, template: dict[str, Any]) -> None:
    assert api.post("/v1/templates", json=template).status_code == 201
    answer = reviewer.post(
        f"/v1/templates/{template['name']}/{template['language']}/review",
        json={"version": 1, "decision": "approve", "reason": "ok"},
    )
    assert answer.status_code == 200, answer.get_json()


def grant(api: Any, customer: str, purposes: list[str] | None = None) -> None:
    helpers.grant(api, customer, **({"purposes": purposes} if purposes else {}))


def authorize(api: Any, customer: str, name: str) -> str:
    answer = api.post(
        "/v1/authorizations",
        json={"customer_id": customer, "template": {"name": name, "language": "ru"}},
    )
    assert answer.status_code == 201, answer.get_json()
    return str(answer.get_json()["authorization_id"])


def busy_statuses(number: int) -> list[str]:
    """The statuses the platform reports for the `number`th send of a busy month: every
    send sent; every 15th failed, the others delivered; two in three of those read, every
    7th replied to, every 11th complained about."""
    if number % 15 == 14:
        return ["sent", "failed"]
    statuses = ["sent", "delivered"]
    if number % 3:
        statuses.append("read")
    if number % 7 == 3:
        statuses.append("replied")
    if number % 11 == 5:
        statuses.append("complained")
    return statuses


def record_outcomes(api: Any, authorizations: list[str]) -> dict[str, int]:
    """Each authorization's `busy_statuses`, as the platform's status reports would
    bring them (a batch of items per send); returns how many of each were recorded."""
    counts: dict[str, int] = {}
    for number, authorization in enumerate(authorizations):
        statuses = busy_statuses(number)
        items = [{"authorization_id": authorization, "status": s} for s in statuses]
        answer = api.post("/v1/outcomes", json={"items": items})
        assert answer.status_code == 200, answer.get_json()
        for status in statuses:
            counts[status] = counts.get(status, 0) + 1
    return counts


def rate_red(api: Any, tenant: str, name: str) -> None:
    """The platform rates the template RED (a signed quality webhook): the registry
    records the quality and pauses the template."""
    from tests.e2e.test_webhooks_api import APP_SECRET, VERIFY_TOKEN, deliver, fixture, for_template

    configured = api.put(
        "/v1/integrations/whatsapp", json={"app_secret": APP_SECRET, "verify_token": VERIFY_TOKEN}
    )
    assert configured.status_code == 200, configured.get_json()
    payload = for_template(fixture("template_quality_red"), name)
    assert deliver(api, tenant, payload).status_code == 200


def write_history(
    api: Any, reviewer: Any, busy: int = 0, *, outcomes: bool = False
) -> dict[str, Any]:
    """Three customers by hand, and `busy` more for a fuller page; with `outcomes`, the
    statuses of every send (`busy_statuses`) after them. Returns the expected figures."""
    put_any_time_policy(api)
    approve(api, reviewer, MARKETING_TEMPLATE)
    approve(api, reviewer, NEWS_TEMPLATE)
    for customer in ("anna", "boris", "vera"):
        grant(api, customer, ["promotions", "recommendations"])
    sent = [
        authorize(api, "anna", "spring_sale"),
        authorize(api, "boris", "spring_sale"),
        authorize(api, "boris", "weekly_news"),
    ]
    sent += [authorize(api, "vera", "weekly_news") for _ in range(3)]
    # anna opts out by the link page's kind, boris by replying STOP; vera is suppressed
    opted = api.post(
        "/v1/opt-outs",
        json={
            "customer_id": "anna",
            "channel": "whatsapp",
            "purposes": "all",
            "source": {"kind": "link"},
        },
    )
    assert opted.status_code == 201
    assert api.post("/v1/customers/boris/inbound", json={"text": "STOP"}).status_code in (200, 201)
    assert api.post("/v1/customers/vera/suppress", json={"reason": "spam"}).status_code == 200
    for number in range(busy):
        customer = f"busy-{number}"
        grant(api, customer, ["promotions", "recommendations"])
        for send in range(1 + number % 6):
            sent.append(authorize(api, customer, "spring_sale" if send % 2 else "weekly_news"))
        if number % 4 == 0:
            assert api.post(
                f"/v1/customers/{customer}/inbound", json={"text": "СТОП"}
            ).status_code in (200, 201)
    recorded = record_outcomes(api, sent) if outcomes else {}
    return {
        "outcomes": recorded,
        "authorized": 6 + sum(1 + n % 6 for n in range(busy)),
        "spring_sale": 2,
        "weekly_news": 4,
        "opted_out_spring_sale": 1,  # anna's only send
        "opted_out_weekly_news": 1,  # boris's latest send
        "groups": {"1": 1, "2": 1, "3-4": 1},  # anna 1, boris 2, vera 3 sends
    }
