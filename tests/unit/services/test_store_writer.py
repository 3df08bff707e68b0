"""`StoreWriter` (registry/store/writer.py) on eventsourcing's in-memory recorder: a save
that loses the race for the aggregate's next version is retried on the aggregate loaded
again, so the caller never sees the conflict."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.application import Application

from registry.domain.customer import Customer, customer_aggregate_id
from registry.domain.exceptions import NotFound
from registry.projections.projection import project_into
from registry.store.unit_of_work import WriteSet
from registry.store.writer import StoreWriter
from tests.fakes import FakeClock

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


class NoDatabase:
    """Reached only by a write that records nothing, which these tests do not make."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the database was used: {name}")


def writer_on_memory(clock: FakeClock | None = None) -> tuple[StoreWriter, Application[UUID]]:
    store: Application[UUID] = Application(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    writer = StoreWriter(
        store,
        NoDatabase(),
        NoDatabase(),
        project_into,
        clock or FakeClock(),  # type: ignore[arg-type]
    )
    return writer, store


def withdraw(customer: Customer, at: datetime = T0) -> None:
    customer.withdraw(
        channel="whatsapp", purposes=["promotions"], source={"kind": "api"}, withdrawn_at=at
    )


def test_a_save_that_loses_the_race_is_retried_on_the_aggregate_loaded_again() -> None:
    writer, store = writer_on_memory()
    aggregate_id = customer_aggregate_id("t", "c")
    store.save(Customer.register("t", "c"))
    attempts: list[int] = []

    def command(customer: Customer) -> None:
        attempts.append(customer.version)
        if len(attempts) == 1:  # another writer saves the customer's next version first
            rival: Customer = store.repository.get(aggregate_id)
            withdraw(rival, T0 - timedelta(hours=1))
            store.save(rival)
        withdraw(customer)

    answer = writer.write("t", aggregate_id, None, command)

    assert attempts == [1, 2]
    saved: Customer = store.repository.get(aggregate_id)
    assert saved.version == 3
    assert answer["position"] == 3
    assert saved.consents["whatsapp:promotions"]["withdrawn_at"] == T0


def test_a_missing_aggregate_without_create_is_not_found() -> None:
    writer, _ = writer_on_memory()
    with pytest.raises(NotFound):
        writer.write("t", customer_aggregate_id("t", "nobody"), None, withdraw)


def test_the_write_set_carries_each_aggregates_view_row_and_leaf_labels() -> None:
    writer, _ = writer_on_memory()
    customer = Customer.register("t", "c")
    write_set: WriteSet = writer.write_set("t", [customer], {}, "dedupe-1")
    [view] = write_set.views
    assert (view.kind, view.key, view.version) == ("customer", "c", customer.version)
    assert write_set.leaf_labels == {str(customer.id): ("c", None)}
    assert write_set.dedupe_key == "dedupe-1"


def test_events_are_stamped_by_the_writers_clock() -> None:
    clock = FakeClock(T0 + timedelta(days=3))
    writer, store = writer_on_memory(clock)
    aggregate_id = customer_aggregate_id("t", "c")
    writer.write("t", aggregate_id, lambda: Customer.register("t", "c"), withdraw)
    *_, last = store.recorder.select_events(aggregate_id)
    assert store.mapper.to_domain_event(last).timestamp == clock.at


def test_companions_commit_with_the_aggregate() -> None:
    writer, store = writer_on_memory()
    other_id = customer_aggregate_id("t", "other")

    def companions(tenant: str, aggregate: Any) -> list[Any]:
        return [Customer.register(tenant, "other")]

    writer.companions = companions
    writer.write(
        "t", customer_aggregate_id("t", "c"), lambda: Customer.register("t", "c"), withdraw
    )
    assert store.repository.get(other_id).customer_id == "other"
