"""The console's pure parts: the version diff, the policy form's round trip, the session
cookie's sealing and end, and the two languages' phrase lists."""

from __future__ import annotations

import json

from flask import Flask
from hypothesis import given
from hypothesis import strategies as st

from registry.domain.policy import Policy
from registry.web.console.diff import side_by_side, version_lines
from registry.web.console.policy_form import changes, form_values, policy_document
from registry.web.console.session import (
    COOKIE_NAME,
    MAX_SESSION_SECONDS,
    ConsoleSessionInterface,
    session_end,
)
from registry.web.console.texts import TEXTS, text

BODY = {"type": "BODY", "text": "{{1}}, ваш заказ готов"}
FOOTER = {"type": "FOOTER", "text": "Отписаться: СТОП"}


def version(*components: dict[str, str]) -> dict[str, object]:
    return {"category": "MARKETING", "purpose": "promotions", "components": list(components)}


def test_a_changed_body_is_one_changed_row_between_equal_ones() -> None:
    old = version(BODY, FOOTER)
    new = version({**BODY, "text": "{{1}}, ваш заказ в пути"}, FOOTER)
    kinds = [row.kind for row in side_by_side(old, new)]
    assert kinds == ["same", "same", "changed", "same"]


def test_with_nothing_approved_every_line_is_added() -> None:
    rows = side_by_side(None, version(BODY))
    assert {row.kind for row in rows} == {"added"}
    assert all(row.left is None for row in rows)


@given(st.text(max_size=200), st.text(max_size=200))
def test_the_diff_keeps_every_line_of_both_sides_in_order(old_text: str, new_text: str) -> None:
    old, new = version({**BODY, "text": old_text}), version({**BODY, "text": new_text})
    rows = side_by_side(old, new)
    assert [r.left for r in rows if r.left is not None] == version_lines(old)
    assert [r.right for r in rows if r.right is not None] == version_lines(new)


def _form_of(policy: dict[str, object]) -> tuple[dict[str, str], list[str]]:
    values = form_values(policy)
    form = {
        k: str(v)
        for k, v in values.items()
        if k not in ("any_time", "send_days", "extra") and v is not None
    }
    if values["any_time"]:
        form["any_time"] = "on"
    form.update({f"extra:{k}": v for k, v in values["extra"].items()})
    return form, list(values["send_days"])


def test_the_default_policy_survives_the_form_unchanged() -> None:
    policy = Policy.default("acme").to_document()
    form, days = _form_of(policy)
    assert policy_document(form, days) == policy


def test_a_policy_without_a_window_or_limit_survives_the_form() -> None:
    policy = {
        **Policy.default("acme").to_document(),
        "send_window": None,
        "marketing_daily_limit": None,
        "holidays": None,
    }
    form, days = _form_of(policy)
    assert policy_document(form, days) == policy


def test_sections_the_form_does_not_know_travel_as_json() -> None:
    feedback = {"attribution_hours": 72, "window_days": 7}
    policy = {**Policy.default("acme").to_document(), "feedback": feedback}
    form, days = _form_of(policy)
    assert json.loads(form["extra:feedback"]) == feedback
    assert policy_document(form, days)["feedback"] == feedback


def test_changes_name_each_field_that_differs() -> None:
    before = Policy.default("acme").to_document()
    after = {**before, "marketing_daily_limit": 5}
    assert changes(before, after) == [("marketing_daily_limit", "2", "5")]


def test_a_session_ends_after_eight_hours_or_at_the_tokens_expiry() -> None:
    assert session_end(1000.0, 10**9) == 1000 + MAX_SESSION_SECONDS
    assert session_end(1000.0, 1600.0) == 1600


def _cookie_after(interface: ConsoleSessionInterface, data: dict[str, object]) -> str:
    app = Flask("t")
    with app.test_request_context("/console/policy"):
        session = interface.session_class(data)
        session.modified = True
        response = app.response_class()
        interface.save_session(app, session, response)
        cookie = response.headers["Set-Cookie"]
    return cookie.split(";")[0].split("=", 1)[1]


def _opened(interface: ConsoleSessionInterface, value: str) -> dict[str, object]:
    app = Flask("t")
    with app.test_request_context(
        "/console/policy", headers={"Cookie": f"{COOKIE_NAME}={value}"}
    ) as context:
        return dict(interface.open_session(app, context.request))


def test_a_sealed_session_opens_until_its_end_and_not_after() -> None:
    now = [1_000_000.0]
    interface = ConsoleSessionInterface(b"k" * 32, secure_always=False, clock=lambda: now[0])
    value = _cookie_after(interface, {"sid": "s1", "until": 1_000_100})
    assert _opened(interface, value)["sid"] == "s1"
    now[0] = 1_000_100.0
    assert _opened(interface, value) == {}


def test_a_cookie_sealed_under_another_key_opens_nothing() -> None:
    ours = ConsoleSessionInterface(b"k" * 32, secure_always=False, clock=lambda: 0.0)
    theirs = ConsoleSessionInterface(b"x" * 32, secure_always=False, clock=lambda: 0.0)
    assert _opened(ours, _cookie_after(theirs, {"sid": "s1", "until": 100})) == {}


def test_every_phrase_exists_in_both_languages_and_differs_where_it_should() -> None:
    for key, (russian, english) in TEXTS.items():
        assert russian.strip() and english.strip(), key
    assert text("ru", "sign_in.button") == "Войти"
    assert text("en", "sign_in.button") == "Sign in"


def test_rates_read_as_percentages_and_a_missing_figure_is_a_dash_not_zero() -> None:
    from registry.web.console.render import figure

    assert figure(0.0125, "complaint_rate") == "1.25 %"
    assert figure("0.5", "read_rate") == "50.00 %"
    assert figure(None, "delivery_rate") == "—"
    assert figure(0, "delivered") == "0"
