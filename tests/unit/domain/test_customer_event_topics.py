"""The log names a customer's events by topic: moving their code must never rename them."""

from __future__ import annotations

from eventsourcing.utils import get_topic, resolve_topic

from registry.domain import customer_events
from registry.domain.customer import Customer

EVENT_NAMES = sorted(
    name
    for name, value in vars(customer_events).items()
    if isinstance(value, type) and value.__module__ == customer_events.__name__
)


def test_every_customer_event_keeps_its_topic_in_registry_domain_customer() -> None:
    assert len(EVENT_NAMES) == 14
    for name in EVENT_NAMES:
        event_class = getattr(Customer, name)
        assert get_topic(event_class) == f"registry.domain.customer:Customer.{name}"
        assert resolve_topic(f"registry.domain.customer:Customer.{name}") is event_class


def test_a_customer_event_is_triggered_as_the_customer_s_own_class() -> None:
    customer = Customer.register("tenant", "anna")
    customer.suppress("spam")
    kinds = [type(event) for event in customer.collect_events()]
    assert kinds == [Customer.Registered, Customer.Suppressed]
    assert customer.suppressed
