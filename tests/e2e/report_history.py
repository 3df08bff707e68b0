"""A hand-made month of sends, opt-outs and suppressions, written through the API, with
the figures a report of it must show (shared by the report's API and browser tests)."""

from __future__ import annotations

from typing import Any

from tests.conftest import MARKETING_TEMPLATE, promotions_grant, put_any_time_policy

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
    body = promotions_grant(customer)
    if purposes:
        body["purposes"] = purposes
    assert api.post("/v1/consents", json=body).status_code == 201


def authorize(api: Any, customer: str, name: str) -> None:
    answer = api.post(
        "/v1/authorizations",
        json={"customer_id": customer, "template": {"name": name, "language": "ru"}},
    )
    assert answer.status_code == 201, answer.get_json()


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


def write_history(api: Any, reviewer: Any, busy: int = 0) -> dict[str, Any]:
    """Three customers by hand, and `busy` more for a fuller page; returns the expected
    figures."""
    put_any_time_policy(api)
    approve(api, reviewer, MARKETING_TEMPLATE)
    approve(api, reviewer, NEWS_TEMPLATE)
    for customer in ("anna", "boris", "vera"):
        grant(api, customer, ["promotions", "recommendations"])
    authorize(api, "anna", "spring_sale")
    authorize(api, "boris", "spring_sale")
    authorize(api, "boris", "weekly_news")
    for _ in range(3):
        authorize(api, "vera", "weekly_news")
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
            authorize(api, customer, "spring_sale" if send % 2 else "weekly_news")
        if number % 4 == 0:
            assert api.post(
                f"/v1/customers/{customer}/inbound", json={"text": "СТОП"}
            ).status_code in (200, 201)
    return {
        "authorized": 6 + sum(1 + n % 6 for n in range(busy)),
        "spring_sale": 2,
        "weekly_news": 4,
        "opted_out_spring_sale": 1,  # anna's only send
        "opted_out_weekly_news": 1,  # boris's latest send
        "groups": {"1": 1, "2": 1, "3-4": 1},  # anna 1, boris 2, vera 3 sends
    }
