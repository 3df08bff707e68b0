"""R-FEED through the HTTP API on both databases: order, continuation, kinds, bad input,
tenancy, personal data, and the long poll."""

from __future__ import annotations

import threading
from typing import Any

from tests import helpers
from tests.conftest import MARKETING_TEMPLATE, ApiClient

MULTITHREADED = {"wsgi.multithread": True}  # as under gunicorn's gthread worker


def changes(api: ApiClient, query: str = "", **kw: Any) -> dict[str, Any]:
    answer = api.get(f"/v1/changes{query}", **kw)
    assert answer.status_code == 200, answer.get_json()
    body: dict[str, Any] = answer.get_json()
    return body


def grant(api: ApiClient, customer_id: str, **extra: Any) -> int:
    """The grant's log position."""
    return int(helpers.grant(api, customer_id, **extra)["position"])


def opt_out(api: ApiClient, customer_id: str) -> int:
    answer = api.post(
        "/v1/opt-outs",
        json={
            "customer_id": customer_id,
            "channel": "whatsapp",
            "purposes": ["promotions"],
            "source": {"kind": "api"},
        },
    )
    assert answer.status_code == 201, answer.get_json()
    return int(answer.get_json()["position"])


def test_grants_and_withdrawals_are_listed_in_log_order(api: ApiClient) -> None:
    first = grant(api, "anna")
    second = opt_out(api, "anna")
    third = grant(api, "boris")
    page = changes(api)
    assert [c["position"] for c in page["changes"]] == [first, second, third]
    assert [(c["customer_id"], c["status"]) for c in page["changes"]] == [
        ("anna", "granted"),
        ("anna", "withdrawn"),
        ("boris", "granted"),
    ]
    assert page["changes"][1] | {"occurred_at": None} == {
        "position": second,
        "kind": "consent",
        "type": "Customer.ConsentWithdrawn",
        "occurred_at": None,
        "customer_id": "anna",
        "channel": "whatsapp",
        "purposes": ["promotions"],
        "status": "withdrawn",
    }
    assert page["next_after_position"] == third


def test_next_after_position_continues_without_repeating_or_skipping(api: ApiClient) -> None:
    written = [grant(api, f"c{i}") for i in range(5)]
    seen: list[int] = []
    after = 0
    for _ in range(10):
        page = changes(api, f"?after_position={after}&limit=2")
        if not page["changes"]:
            break
        seen += [c["position"] for c in page["changes"]]
        after = page["next_after_position"]
    assert seen == written


def test_an_empty_page_keeps_the_after_position_asked(api: ApiClient) -> None:
    last = grant(api, "anna")
    page = changes(api, f"?after_position={last}")
    assert page == {"changes": [], "next_after_position": last}


def test_after_position_past_the_log_is_an_empty_page(api: ApiClient) -> None:
    grant(api, "anna")
    page = changes(api, "?after_position=999999999999")
    assert page == {"changes": [], "next_after_position": 999999999999}


def test_kinds_filters_the_listed_kinds_only(api: ApiClient, reviewer: ApiClient) -> None:
    grant(api, "anna")
    assert api.post("/v1/customers/anna/suppress", json={"reason": "complaint"}).status_code == 200
    assert api.put("/v1/policy", json={}).status_code == 200
    assert api.post("/v1/templates", json=MARKETING_TEMPLATE).status_code == 201
    assert api.post("/v1/customers/anna/erase", json={}).status_code == 200
    kinds_of = {c["kind"] for c in changes(api)["changes"]}
    assert kinds_of == {"consent", "suppression", "policy", "template", "erasure"}
    page = changes(api, "?kinds=suppression,erasure")
    assert [(c["kind"], c["status"]) for c in page["changes"]] == [
        ("suppression", "suppressed"),
        ("erasure", "erased"),
    ]
    template = changes(api, "?kinds=template")["changes"]
    assert [c["template"] for c in template] == [
        {"name": "spring_sale", "language": "ru", "version": 1}
    ]
    assert template[0]["status"] == "PENDING"


def test_template_reviews_and_pauses_are_template_changes(
    api: ApiClient, reviewer: ApiClient, approved_template: dict[str, str]
) -> None:
    paused = reviewer.post("/v1/templates/spring_sale/ru/pause", json={"reason": "check"})
    assert paused.status_code == 200, paused.get_json()
    items = changes(api, "?kinds=template")["changes"]
    assert [(c["type"], c.get("status")) for c in items] == [
        ("Template.VersionSubmitted", "PENDING"),
        ("Template.VersionReviewed", "APPROVED"),
        ("Template.Paused", "PAUSED"),
    ]


def test_inbound_messages_and_profile_changes_are_not_listed(api: ApiClient) -> None:
    grant(api, "anna")
    answer = api.post("/v1/customers/anna/inbound", json={"text": "hello"})
    assert answer.status_code == 201
    assert [c["type"] for c in changes(api)["changes"]] == ["Customer.ConsentGranted"]


def test_another_tenants_changes_are_never_listed(api: ApiClient, app: Any, token: Any) -> None:
    other = ApiClient(app.test_client(), token(tenant_id="other" + token()[-8:]))
    grant(other, "stranger")
    mine = grant(api, "anna")
    assert [c["position"] for c in changes(api)["changes"]] == [mine]


def test_items_carry_no_personal_data(api: ApiClient) -> None:
    grant(
        api,
        "anna",
        phone="+79123456789",
        source={"kind": "web_form", "evidence": "signed form 42", "ip": "203.0.113.9"},
    )
    api.post("/v1/customers/anna/suppress", json={"reason": "reported as spam by Anna"})
    text = api.get("/v1/changes").get_data(as_text=True)
    for secret in ("79123456789", "signed form", "203.0.113.9", "reported as spam", "sealed"):
        assert secret not in text


def test_bad_feed_parameters_are_422_naming_them(api: ApiClient) -> None:
    cases = {
        "?after_position=-1": "after_position",
        "?wait=31": "wait",
        "?wait=nan": "wait",
        "?limit=1001": "limit",
        "?limit=0": "limit",
        "?kinds=consent,bogus": "kinds",
        "?kinds=": "kinds",
        "?after=3": "after",
    }
    for query, field in cases.items():
        answer = api.get(f"/v1/changes{query}")
        assert answer.status_code == 422, (query, answer.get_json())
        assert field in answer.get_json()["error"]["details"], (query, answer.get_json())


def test_the_feed_needs_the_consents_read_scope(app: Any, token: Any) -> None:
    client = ApiClient(app.test_client(), token("decisions"))
    answer = client.get("/v1/changes")
    assert answer.status_code == 403
    assert answer.get_json()["error"]["details"]["required_scope"] == "consents:read"


def test_a_wait_returns_as_soon_as_a_matching_change_commits(api: ApiClient) -> None:
    start = grant(api, "anna")
    answers: list[dict[str, Any]] = []

    def poll() -> None:
        answers.append(
            changes(
                api,
                f"?after_position={start}&wait=30&kinds=consent",
                environ_overrides=MULTITHREADED,
            )
        )

    poller = threading.Thread(target=poll)
    poller.start()
    assert api.put("/v1/policy", json={}).status_code == 200  # not a consent: keeps waiting
    last = opt_out(api, "anna")
    poller.join(timeout=60)
    assert not poller.is_alive()
    assert [c["position"] for c in answers[0]["changes"]] == [last]


def test_a_worker_that_cannot_hold_a_wait_answers_at_once_with_retry_after(
    api: ApiClient,
) -> None:
    last = grant(api, "anna")
    answer = api.get(f"/v1/changes?after_position={last}&wait=30")  # single-threaded
    assert answer.status_code == 200
    assert answer.headers["Retry-After"] == "1"
    assert answer.get_json() == {"changes": [], "next_after_position": last}
