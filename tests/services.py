"""The services built on the in-memory fakes of tests/fakes.py, as bootstrap builds them
on the store (registry/bootstrap.py `build_services`), for unit tests without a database."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from registry.keys import KeyRing
from registry.store.unit_of_work import WriteSet
from registry.usecases.authorizing import Event
from registry.usecases.consents import ConsentService
from registry.usecases.decisions import DecisionService
from registry.usecases.imports import ImportService
from registry.usecases.policy import PolicyService
from registry.usecases.receipts import Receipts
from registry.usecases.templates import TemplateService
from registry.usecases.webhooks import WebhookService
from tests.fakes import FakeClock, FakeKeys, FakeViews, FakeWriter


class UnknownPositions:
    """Receipt positions that are never found (a receipt then names None for each)."""

    def of(self, events: list[Event]) -> dict[Event, int]:
        return {}

    def read_in(self, write_set: WriteSet, events: list[Event]) -> Callable[[], dict[Event, int]]:
        return dict


class FakeDb:
    """What ImportService asks of `Database` besides its reads: the dialect (SQLite never
    refreshes the planner's statistics)."""

    dialect = "sqlite"

    def refresh_statistics(self) -> None:
        raise AssertionError("a SQLite import never refreshes statistics")


class NoOutcomes:
    """Outcomes (statuses, phone limits) that these tests never deliver."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"an outcome was recorded: {name}")


class NoLimitReads:
    """A messaging limit's freeing time is never asked for by these tests."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"a limit read was asked for: {name}")


def make_keyring() -> KeyRing:
    return KeyRing(
        signing_key=Ed25519PrivateKey.generate(),
        master_data_key=os.urandom(32),
        link_key=os.urandom(32),
        blind_index_key=os.urandom(32),
        request_hash_key=os.urandom(32),
    )


@dataclass
class OnFakes:
    clock: FakeClock
    views: FakeViews
    writer: FakeWriter
    keys: FakeKeys
    keyring: KeyRing
    policies: PolicyService
    consents: ConsentService
    templates: TemplateService
    decisions: DecisionService
    imports: ImportService
    webhooks: WebhookService


def on_fakes() -> OnFakes:
    clock, views, keys, keyring = FakeClock(), FakeViews(), FakeKeys(), make_keyring()
    writer = FakeWriter(views, clock)
    policies = PolicyService(writer, views)  # type: ignore[arg-type]
    consents = ConsentService(
        writer,
        views,  # type: ignore[arg-type]
        keys,  # type: ignore[arg-type]
        policies,
        keyring,
        "http://registry.test",
        clock,
    )
    receipts = Receipts(UnknownPositions(), keyring, "registry.test")
    decisions = DecisionService(
        views,  # type: ignore[arg-type]
        policies,
        writer,
        receipts,
        NoLimitReads(),  # type: ignore[arg-type]
        clock,
    )
    return OnFakes(
        clock=clock,
        views=views,
        writer=writer,
        keys=keys,
        keyring=keyring,
        policies=policies,
        consents=consents,
        templates=TemplateService(writer, views, policies),  # type: ignore[arg-type]
        decisions=decisions,
        imports=ImportService(writer, views, keys, consents, FakeDb(), clock),  # type: ignore[arg-type]
        webhooks=WebhookService(
            writer,
            views,  # type: ignore[arg-type]
            consents,
            NoOutcomes(),  # type: ignore[arg-type]
            FakeDb(),  # type: ignore[arg-type]
            keyring,
            clock,
        ),
    )
