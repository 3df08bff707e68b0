"""The console holds the same security line as /v1, on SQLite and PostgreSQL: cookie
flags, CSRF, scopes, four eyes, tenant isolation, forged and ended sessions."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import MARKETING_TEMPLATE, ApiClient
from tests.e2e.console_client import Console, csrf_of

REVIEW = "/console/templates/spring_sale/ru/review"


def set_cookie(answer: Any) -> str:
    cookies = [c for c in answer.headers.getlist("Set-Cookie") if c.startswith("registry_console=")]
    assert len(cookies) == 1, answer.headers
    return cookies[0]


def max_age(cookie: str) -> int:
    found = re.search(r"Max-Age=(\d+)", cookie)
    assert found is not None, cookie
    return int(found.group(1))


def main_of(html: str) -> str:
    return html[html.index("<main") : html.index("</main>")]


@pytest.fixture
def bob(app: Any, token: Callable[..., str]) -> Console:
    return Console(app, token(sub="bob"))


@pytest.fixture
def pending(api: Any) -> None:
    answer = api.post("/v1/templates", json=MARKETING_TEMPLATE)
    assert answer.get_json()["status"] == "PENDING", answer.get_json()


def test_the_session_cookie_is_httponly_strict_and_lasts_at_most_eight_hours(
    bob: Console,
) -> None:
    cookie = set_cookie(bob.sign_in_answer)
    assert "HttpOnly" in cookie
    assert "SameSite=Strict" in cookie
    assert "Path=/console" in cookie
    assert "Secure" not in cookie  # served over plain http here
    assert 8 * 3600 - 60 <= max_age(cookie) <= 8 * 3600


def test_the_session_cookie_is_secure_over_https(app: Any, token: Callable[..., str]) -> None:
    console = Console(app, token(sub="bob"), base_url="https://localhost")
    assert "; Secure" in set_cookie(console.sign_in_answer)
    assert console.get("/console/policy").status_code == 200


def test_a_session_never_outlives_its_token(app: Any, token: Callable[..., str]) -> None:
    console = Console(app, token(sub="bob", ttl_seconds=600))
    assert 500 <= max_age(set_cookie(console.sign_in_answer)) <= 600


def test_a_forged_session_cookie_gets_the_sign_in_page(app: Any) -> None:
    client = app.test_client()
    client.set_cookie("registry_console", "enc:v1:" + "A" * 200, path="/console")
    answer = client.get("/console/policy")
    assert answer.status_code == 303
    assert answer.headers["Location"].endswith("/console/sign-in?ended=1")
    assert "Войдите снова" in client.get(answer.headers["Location"]).text


def test_an_altered_session_cookie_gets_the_sign_in_page(app: Any, bob: Console) -> None:
    value = set_cookie(bob.sign_in_answer).split(";")[0].split("=", 1)[1]
    altered = value[:-6] + ("AAAAAA" if not value.endswith("AAAAAA") else "BBBBBB")
    client = app.test_client()
    client.set_cookie("registry_console", altered, path="/console")
    assert client.get("/console/policy").status_code == 303


def test_an_expired_session_gets_the_sign_in_page(
    app: Any, bob: Console, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert bob.get("/console/policy").status_code == 200
    monkeypatch.setattr(app.session_interface, "clock", lambda: time.time() + 8 * 3600 + 1)
    answer = bob.get("/console/policy")
    assert answer.status_code == 303
    assert answer.headers["Location"].endswith("/console/sign-in?ended=1")


def test_sign_out_ends_the_session_even_for_a_kept_copy_of_the_cookie(
    app: Any, bob: Console
) -> None:
    kept = set_cookie(bob.sign_in_answer).split(";")[0].split("=", 1)[1]
    signed_out = bob.post_form("/console", "/console/sign-out", {})
    assert signed_out.status_code == 200
    replay = app.test_client()
    replay.set_cookie("registry_console", kept, path="/console")
    assert replay.get("/console/policy").status_code == 303
    assert bob.get("/console/policy").status_code == 303


def test_a_review_without_a_csrf_token_is_a_400_and_changes_nothing(
    api: Any, bob: Console, pending: None
) -> None:
    answer = bob.post_raw(REVIEW, {"version": "1", "decision": "approve", "reason": "x"})
    assert answer.status_code == 400
    assert api.get("/v1/templates/spring_sale/ru").get_json()["status"] == "PENDING"


def test_a_review_with_a_wrong_csrf_token_is_a_400_and_changes_nothing(
    app: Any, api: Any, bob: Console, token: Callable[..., str], pending: None
) -> None:
    other = Console(app, token(sub="carol"))
    someone_elses = csrf_of(other.get("/console/queue").text)
    answer = bob.post_raw(
        REVIEW, {"csrf_token": someone_elses, "version": "1", "decision": "approve"}
    )
    assert answer.status_code == 400
    assert api.get("/v1/templates/spring_sale/ru").get_json()["status"] == "PENDING"


def test_a_policy_post_without_a_csrf_token_changes_nothing(api: Any, bob: Console) -> None:
    before = api.get("/v1/policy").get_json()
    answer = bob.post_raw("/console/policy", {"display_name": "Forged", "max_emoji": "9"})
    assert answer.status_code == 400
    assert api.get("/v1/policy").get_json()["version"] == before["version"]


def test_signing_in_without_a_csrf_token_is_refused(app: Any, token: Callable[..., str]) -> None:
    client = app.test_client()
    answer = client.post("/console/sign-in", data={"token": token(sub="bob")})
    assert answer.status_code == 400
    assert client.get("/console/policy").status_code == 303


def test_a_pasted_token_that_does_not_verify_is_refused(app: Any) -> None:
    console = Console(app, "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.")
    assert console.sign_in_answer.status_code == 401
    assert console.get("/console/policy").status_code == 303


def test_an_expired_token_cannot_sign_in(app: Any, token: Callable[..., str]) -> None:
    console = Console(app, token(sub="bob", ttl_seconds=-10))
    assert console.sign_in_answer.status_code == 401


def test_pages_a_scope_does_not_open_are_neither_shown_nor_served(
    app: Any, token: Callable[..., str]
) -> None:
    reader = Console(app, token("consents:read", sub="dora"))
    home = reader.get("/console").text
    assert "/console/customers" in home
    for hidden in ("/console/policy", "/console/queue", "/console/audit", "/console/reports"):
        assert hidden not in home
        assert reader.get(hidden).status_code == 403


def test_a_submitter_scope_sees_the_queue_without_review_buttons(
    app: Any, api: Any, token: Callable[..., str], pending: None
) -> None:
    writer = Console(app, token("templates:write", sub="erin"))
    queue = writer.get("/console/queue").text
    assert "spring_sale" in queue
    assert 'name="decision"' not in queue
    forged = writer.post_form(
        "/console/queue", REVIEW, {"version": "1", "decision": "approve", "reason": "x"}
    )
    assert forged.status_code == 403
    assert api.get("/v1/templates/spring_sale/ru").get_json()["status"] == "PENDING"


def test_four_eyes_hold_the_submitter_cannot_approve_their_own_version(
    app: Any, api: Any, token: Callable[..., str], pending: None
) -> None:
    alice = Console(app, token(sub="alice"))
    queue = alice.get("/console/queue").text
    assert 'name="decision"' not in queue
    forged = alice.post_form(
        "/console/queue", REVIEW, {"version": "1", "decision": "approve", "reason": "mine"}
    )
    assert forged.status_code == 403
    assert api.get("/v1/templates/spring_sale/ru").get_json()["status"] == "PENDING"


def test_an_approval_is_recorded_with_the_persons_sub_and_the_request_id(
    api: Any, bob: Console, pending: None
) -> None:
    answer = bob.post_form(
        "/console/queue", REVIEW, {"version": "1", "decision": "approve", "reason": "ok"}
    )
    assert answer.status_code == 303
    events = api.get("/v1/templates/spring_sale/ru/history").get_json()["events"]
    reviewed = [e for e in events if e["type"] == "Template.VersionReviewed"]
    assert [(e["actor"], e["request_id"]) for e in reviewed] == [
        ("bob", answer.headers["X-Request-Id"])
    ]


def test_another_tenants_customer_is_not_found_exactly_like_a_missing_one(
    app: Any, bob: Console, token: Callable[..., str]
) -> None:
    other_api = ApiClient(app.test_client(), token(sub="zed", tenant_id=f"other{time.time_ns()}"))
    granted = other_api.post(
        "/v1/consents",
        json={
            "customer_id": "carol",
            "channel": "whatsapp",
            "purposes": ["promotions"],
            "source": {"kind": "api"},
            "phone": "+79035550101",
        },
    )
    assert granted.status_code == 201
    theirs = bob.get("/console/customers/view?id=carol")
    nobody = bob.get("/console/customers/view?id=nobody")
    assert theirs.status_code == nobody.status_code == 404
    assert main_of(theirs.text) == main_of(nobody.text)
    by_their_phone = bob.post_form(
        "/console/customers", "/console/customers/by-phone", {"phone": "+79035550101"}
    )
    by_no_phone = bob.post_form(
        "/console/customers", "/console/customers/by-phone", {"phone": "+79035550199"}
    )
    assert by_their_phone.status_code == by_no_phone.status_code == 404
    assert main_of(by_their_phone.text) == main_of(by_no_phone.text)


def test_an_erase_whose_confirmation_does_not_match_is_refused(api: Any, bob: Console) -> None:
    assert (
        api.post(
            "/v1/consents",
            json={
                "customer_id": "frank",
                "channel": "whatsapp",
                "purposes": ["alerts"],
                "source": {"kind": "api"},
                "phone": "+79035550102",
            },
        ).status_code
        == 201
    )
    page = "/console/customers/view?id=frank"
    refused = bob.post_form(
        page, "/console/customers/erase", {"customer_id": "frank", "confirmation": "Frank"}
    )
    assert refused.status_code == 422
    assert api.get("/v1/customers/frank").get_json()["erased"] is False
    erased = bob.post_form(
        page, "/console/customers/erase", {"customer_id": "frank", "confirmation": "frank"}
    )
    assert erased.status_code == 303
    state = api.get("/v1/customers/frank").get_json()
    assert state["erased"] is True and state["phone"] is None
    last = api.get("/v1/customers/frank/history").get_json()["events"][-1]
    assert (last["type"], last["actor"]) == ("Customer.Erased", "bob")


def test_hostile_text_is_escaped(api: Any, bob: Console) -> None:
    body = "{{1}}, ваш заказ <script>alert(1)</script> \u202eevil\u202c"
    template = {**MARKETING_TEMPLATE, "name": "hostile"}
    template["components"] = [
        {**MARKETING_TEMPLATE["components"][0], "text": body},
        MARKETING_TEMPLATE["components"][1],
    ]
    assert api.post("/v1/templates", json=template).status_code == 201
    queue = bob.get("/console/queue").text
    assert "<script>alert(1)</script>" not in queue
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in queue


def test_an_unknown_query_parameter_is_refused_by_name(bob: Console) -> None:
    answer = bob.get("/console/policy?verbose=1")
    assert answer.status_code == 422
    assert "verbose" in answer.text


def test_console_pages_load_nothing_from_another_origin(bob: Console) -> None:
    answer = bob.get("/console/policy")
    policy = answer.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "style-src 'self'" in policy
    assert not re.search(r'(src|href)="(https?:)?//', answer.text)


@pytest.mark.parametrize(
    "scopes", ["", "policy:read consents:read audit:read templates:write"], ids=["all", "readers"]
)
def test_every_post_form_on_every_page_carries_the_csrf_token(
    app: Any, api: Any, token: Callable[..., str], pending: None, scopes: str
) -> None:
    assert (
        api.post(
            "/v1/consents",
            json={
                "customer_id": "gina",
                "channel": "sms",
                "purposes": ["alerts"],
                "source": {"kind": "api"},
            },
        ).status_code
        == 201
    )
    console = Console(app, token(scopes, sub="bob") if scopes else token(sub="bob"))
    pages = [
        "/console",
        "/console/queue",
        "/console/templates",
        "/console/templates/spring_sale/ru",
        "/console/customers",
        "/console/customers/view?id=gina",
        "/console/policy",
        "/console/limits",
        "/console/experiments",
        "/console/reports",
        "/console/audit",
    ]
    forms = 0
    for path in pages:
        html = console.get(path).text
        for form in re.findall(r"<form[^>]*>.*?</form>", html, flags=re.S):
            if 'method="post"' in form:
                forms += 1
                assert 'name="csrf_token" value="' in form, (path, form[:200])
    assert forms >= 5


def test_a_revoked_token_ends_its_console_session_and_cannot_sign_in_again(
    app: Any, api: Any, token: Callable[..., str]
) -> None:
    import jwt

    pasted = token(sub="bob")
    console = Console(app, pasted)
    assert console.get("/console/policy").status_code == 200
    jti = jwt.decode(pasted, options={"verify_signature": False})["jti"]
    assert api.post("/v1/tokens/revoke", json={"jti": jti, "reason": "lost"}).status_code in (
        200,
        201,
    )
    answer = console.get("/console/policy")
    assert answer.status_code == 303
    assert answer.headers["Location"].endswith("/console/sign-in?ended=1")
    assert Console(app, pasted).sign_in_answer.status_code == 401
