"""DecisionService on the in-memory fakes (tests/services.py): decisions and
authorizations, including an authorization whose save loses the race."""

from __future__ import annotations

from typing import Any

import jwt
import pytest

from registry.domain.base import acting_as
from registry.domain.customer import Customer, customer_aggregate_id
from tests.conftest import MARKETING_TEMPLATE
from tests.services import OnFakes, on_fakes

T = "acme"
TEMPLATE = {"name": "spring_sale", "language": "ru"}
ANY_TIME = {
    "send_window": None,
    "send_days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
    "holidays": None,
}


@pytest.fixture
def on() -> OnFakes:
    return on_fakes()


def sendable(on: OnFakes, daily_limit: int | None = None) -> None:
    """A policy with no time rules and an approved promotions template."""
    with acting_as("alice"):
        on.policies.replace_policy(T, {**ANY_TIME, "marketing_daily_limit": daily_limit})
        on.templates.submit_template(T, MARKETING_TEMPLATE)
    with acting_as("bob"):
        on.templates.change_template(
            T, "spring_sale", "ru", "review", version=1, decision="approve", reason="ok"
        )


def granted(on: OnFakes, customer_id: str = "anna", channel: str = "whatsapp") -> None:
    def grant(customer: Customer) -> None:
        customer.grant(
            receipt_id="rcpt_1",
            channel=channel,
            purposes=["promotions"],
            source={"kind": "api"},
            granted_at=on.clock.now(),
            expires_at=None,
        )

    with acting_as("alice"):
        on.writer.write(
            T,
            customer_aggregate_id(T, customer_id),
            lambda: Customer.register(T, customer_id),
            grant,
        )


def authorize(on: OnFakes, customer_id: str = "anna") -> tuple[bool, dict[str, Any]]:
    with acting_as("alice"):
        return on.decisions.authorize(T, {"customer_id": customer_id, "template": TEMPLATE})


def sends_of(on: OnFakes, customer_id: str = "anna") -> int:
    return on.writer.events_of(customer_aggregate_id(T, customer_id)).count("SendAuthorized")


def test_a_decision_with_consent_and_an_approved_template_is_allowed(on: OnFakes) -> None:
    sendable(on)
    granted(on)
    answer = on.decisions.decide(T, {"customer_id": "anna", "template": TEMPLATE})
    assert answer["allowed"] is True
    assert answer["template_version"] == 1
    assert sends_of(on) == 0  # a decision records nothing


def test_a_decision_without_consent_is_refused_with_no_consent(on: OnFakes) -> None:
    sendable(on)
    answer = on.decisions.decide(T, {"customer_id": "nobody", "template": TEMPLATE})
    assert (answer["allowed"], answer["reasons"]) == (False, ["no_consent"])


def test_an_allowed_authorization_records_one_send_with_a_signed_receipt(on: OnFakes) -> None:
    sendable(on)
    granted(on)
    allowed, body = authorize(on)
    assert allowed
    claims = jwt.decode(body["receipt"], on.keyring.signing_key.public_key(), algorithms=["EdDSA"])
    assert (claims["jti"], claims["customer_id"]) == (body["authorization_id"], "anna")
    assert claims["authorized_at"].startswith(on.clock.now().date().isoformat())
    assert sends_of(on) == 1


def test_an_authorization_that_loses_its_save_is_retried_and_recorded_once(
    on: OnFakes,
) -> None:
    sendable(on)
    granted(on)
    on.writer.lose_next_saves(lambda: None)
    attempts = on.writer.attempts
    allowed, _ = authorize(on)
    assert allowed
    assert on.writer.attempts == attempts + 2
    assert sends_of(on) == 1


def test_a_retried_authorization_decides_again_and_loses_the_last_slot(on: OnFakes) -> None:
    sendable(on, daily_limit=1)
    granted(on)
    concurrent: list[bool] = []
    on.writer.lose_next_saves(lambda: concurrent.append(authorize(on)[0]))
    allowed, body = authorize(on)
    assert concurrent == [True]
    assert not allowed
    assert body["reasons"] == ["daily_limit_reached"]
    assert sends_of(on) == 1


def test_an_authorization_refused_on_the_views_records_nothing(on: OnFakes) -> None:
    sendable(on)
    granted(on, channel="sms")
    saves = on.writer.saves
    allowed, body = authorize(on)
    assert not allowed
    assert body["reasons"] == ["no_consent"]
    assert on.writer.saves == saves


def test_an_authorization_for_a_customer_never_seen_records_nothing(on: OnFakes) -> None:
    sendable(on)
    saves = on.writer.saves
    allowed, body = authorize(on, "stranger")
    assert (allowed, body["reasons"]) == (False, ["no_consent"])
    assert on.writer.saves == saves


def test_a_live_moment_older_than_allowed_is_refused(on: OnFakes) -> None:
    from datetime import timedelta

    from registry.domain.exceptions import InvalidRequest

    on.decisions.check_moment(on.clock.now() - timedelta(seconds=299), max_age_seconds=300)
    with pytest.raises(InvalidRequest):
        on.decisions.check_moment(on.clock.now() - timedelta(seconds=301), max_age_seconds=300)
