"""The outcome area's services (registry/usecases/limits.py, pilots.py, feedback.py,
unknown_outcomes.py) built on the fakes, as bootstrap builds them on the store: each
names the parts it uses, and a test gives it a database that refuses to be touched where
the answer must come without one."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from registry.crypto import open_sealed
from registry.domain.channel import channel_aggregate_id
from registry.domain.customer import Customer
from registry.domain.decision import ChannelLimit
from registry.domain.exceptions import NotFound
from registry.keys import derive
from registry.usecases.feedback import FeedbackRules
from registry.usecases.limits import LimitService
from registry.usecases.pilots import PilotJudge
from registry.usecases.unknown_outcomes import UnknownOutcomes
from tests.services import OnFakes, on_fakes

TENANT = "acme"


class UntouchedDb:
    """A database these answers must not need."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the database was used: {name}")


@pytest.fixture
def fakes() -> OnFakes:
    return on_fakes()


def limit_service(fakes: OnFakes) -> LimitService:
    return LimitService(fakes.writer, fakes.views, fakes.policies, UntouchedDb(), fakes.clock)  # type: ignore[arg-type]


def test_a_platform_limit_is_recorded_as_an_event_of_the_tenant_s_channel(fakes: OnFakes) -> None:
    service = limit_service(fakes)

    answer = service.record_platform_limit(
        TENANT,
        "whatsapp",
        limit=1000,
        tier="TIER_1K",
        previous_tier=None,
        event="ONBOARDING",
        quality=None,
        display_phone_number=None,
        at=fakes.clock.now(),
    )

    assert answer["position"] >= 1
    events = fakes.writer.events_of(channel_aggregate_id(TENANT, "whatsapp"))
    assert events[-1] == "PlatformLimitRecorded"


def test_a_window_below_its_limit_frees_at_no_particular_moment_and_reads_nothing(
    fakes: OnFakes,
) -> None:
    limit = ChannelLimit(effective=5, customers_24h=4, window_start=fakes.clock.now())

    assert limit_service(fakes).frees_at(TENANT, "whatsapp", limit, first_minute=0) == limit


def test_stats_of_a_template_the_tenant_never_submitted_are_not_found(fakes: OnFakes) -> None:
    with pytest.raises(NotFound, match="spring_sale/ru"):
        limit_service(fakes).template_stats(TENANT, "spring_sale", "ru", since=None, until=None)


def test_an_unknown_outcome_is_kept_sealed_under_the_tenant_s_key(fakes: OnFakes) -> None:
    unknown = UnknownOutcomes(UntouchedDb(), fakes.keyring)  # type: ignore[arg-type]
    item = {"message_ref": "wamid.1", "status": "read", "detail": "Анна"}

    statement, params = unknown.kept(TENANT, "api", item, fakes.clock.now())

    assert statement.startswith("INSERT INTO registry_outcomes_unknown")
    tenant, _, source, reason, sealed = params
    assert (tenant, source, reason) == (TENANT, "api", "no authorization with this message_ref")
    assert "Анна" not in sealed and "wamid.1" not in sealed
    key = derive(fakes.keyring.master_data_key, f"tenant secrets {TENANT}")
    opened = open_sealed(key, sealed, context=f"{TENANT}/outcomes-unknown")
    assert json.loads(opened) == item


def test_without_a_pilot_in_the_policy_a_refused_authorization_settles_nothing(
    fakes: OnFakes,
) -> None:
    judge = PilotJudge(fakes.writer, fakes.views, fakes.policies, UntouchedDb())  # type: ignore[arg-type]

    assert judge.settle(TENANT, "spring_sale/ru", fakes.clock.now()) is False


def test_feedback_rules_add_nothing_to_a_write_without_an_opt_out_or_suppression(
    fakes: OnFakes,
) -> None:
    rules = FeedbackRules(fakes.writer, fakes.views, fakes.policies, UntouchedDb(), fakes.clock)  # type: ignore[arg-type]
    customer = Customer.register(TENANT, "anna")
    customer.authorize_send(
        authorization_id="a1",
        channel="whatsapp",
        template={"name": "spring_sale", "language": "ru", "version": 1},
        purpose="promotions",
        authorized_at=fakes.clock.now() - timedelta(hours=1),
        message_ref=None,
    )
    customer.change_profile({"timezone": "Europe/Moscow"})
    reads = fakes.views.reads

    assert rules.companions(TENANT, customer) == []
    assert fakes.views.reads == reads  # not even the policy was read
