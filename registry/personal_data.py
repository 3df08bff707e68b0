"""Per-customer data keys and the sealing of personal data (R-ERASE), for the
registry core (application.py): keys are created on first use, stored wrapped under the
master key, read in batches, and deleted with the customer's erasure."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from eventsourcing.persistence import IntegrityError

from registry.crypto import (
    SealedValues,
    Unreadable,
    new_data_key,
    seal,
    unwrap_keys,
    wrap_keys,
)
from registry.keys import KeyRing
from registry.store.bulk_writes import ANY_OF_JSON, json_list
from registry.store.database import BulkSql, Database
from registry.store.sql import Sql


class PersonalDataKeys:
    """A mixin of `RegistryCore`, which sets `keyring` and `db` in `configure`."""

    keyring: KeyRing
    db: Database

    def data_key(self, tenant: str, customer_id: str, *, create: bool) -> bytes | None:
        return self.data_keys(tenant, [customer_id], create=create).get(customer_id)

    def data_keys(
        self, tenant: str, customer_ids: Sequence[str], *, create: bool
    ) -> dict[str, bytes]:
        """The customers' data keys in one transaction, created where missing.

        A key created here is used as generated when the stored row is the one this
        call wrote; a row that a concurrent writer stored first is unwrapped instead."""
        wanted = sorted(set(customer_ids))
        found: dict[str, bytes] = {}
        created: dict[str, bytes] = {}
        wrapped_new: dict[str, bytes] = {}
        with self.db.transaction(commit=create) as sql:
            for chunk in _chunks(wanted, self._key_chunk(sql)):
                found.update(self._wrapped_keys(sql, tenant, chunk))
            missing = [c for c in wanted if c not in found]
            if create and missing:
                created = {c: new_data_key() for c in missing}
                wrapped_new = wrap_keys(
                    self.keyring.master_data_key,
                    {f"{tenant}\x1f{c}": key for c, key in created.items()},
                )
                sql.executemany(
                    "INSERT INTO registry_data_keys (tenant, customer_id, wrapped) VALUES (?, ?, ?) "
                    "ON CONFLICT (tenant, customer_id) DO NOTHING",
                    [(tenant, c, wrapped_new[f"{tenant}\x1f{c}"]) for c in missing],
                )
                for chunk in _chunks(missing, self._key_chunk(sql)):
                    found.update(self._wrapped_keys(sql, tenant, chunk))
        keys = {
            c: created[c]
            for c, wrapped in found.items()
            if c in created and wrapped_new[f"{tenant}\x1f{c}"] == wrapped
        }
        others = {f"{tenant}\x1f{c}": w for c, w in found.items() if c not in keys}
        opened = unwrap_keys(self.keyring.master_data_key, others)
        keys.update({c: opened[f"{tenant}\x1f{c}"] for c in found if c not in keys})
        return keys

    def import_data_keys(self, tenant: str, customer_ids: Sequence[str]) -> dict[str, bytes]:
        """`data_keys(create=True)` for a large batch (imports), faster: the missing keys
        go in by a plain INSERT (COPY on PostgreSQL) instead of an upsert row by row, and
        are then known to be the stored ones. A key that a concurrent writer stored first
        fails that INSERT, and the batch is then done by `data_keys`."""
        wanted = sorted(set(customer_ids))
        found: dict[str, bytes] = {}
        try:
            with self.db.transaction(commit=True) as sql:
                found = self._stored_keys(sql, tenant, wanted)
                created = {c: new_data_key() for c in wanted if c not in found}
                wrapped = wrap_keys(
                    self.keyring.master_data_key,
                    {f"{tenant}\x1f{c}": key for c, key in created.items()},
                )
                BulkSql(sql.cursor, sql.dialect).executemany(
                    "INSERT INTO registry_data_keys (tenant, customer_id, wrapped) VALUES (?, ?, ?)",
                    [(tenant, c, wrapped[f"{tenant}\x1f{c}"]) for c in created],
                )
        except IntegrityError:
            return self.data_keys(tenant, wanted, create=True)
        opened = unwrap_keys(
            self.keyring.master_data_key, {f"{tenant}\x1f{c}": w for c, w in found.items()}
        )
        return {**{c: opened[f"{tenant}\x1f{c}"] for c in found}, **created}

    def _stored_keys(self, sql: Sql, tenant: str, customer_ids: list[str]) -> dict[str, bytes]:
        if sql.dialect != "postgres":
            found: dict[str, bytes] = {}
            for chunk in _chunks(customer_ids, self._key_chunk(sql)):
                found.update(self._wrapped_keys(sql, tenant, chunk))
            return found
        rows = sql.query(
            "SELECT customer_id, wrapped FROM registry_data_keys "
            f"WHERE tenant = ? AND customer_id = {ANY_OF_JSON}",
            [tenant, json_list(customer_ids)],
        )
        return {str(c): bytes(w) for c, w in rows}

    @staticmethod
    def _key_chunk(sql: Sql) -> int:
        return 100_000 if sql.dialect == "postgres" else 500

    @staticmethod
    def _wrapped_keys(sql: Sql, tenant: str, customer_ids: Sequence[str]) -> dict[str, bytes]:
        if sql.dialect == "postgres":
            rows = sql.query(
                "SELECT customer_id, wrapped FROM registry_data_keys "
                "WHERE tenant = ? AND customer_id = ANY(?)",
                [tenant, list(customer_ids)],
            )
        else:
            marks = ",".join("?" * len(customer_ids))
            rows = sql.query(
                "SELECT customer_id, wrapped FROM registry_data_keys "
                f"WHERE tenant = ? AND customer_id IN ({marks})",
                [tenant, *customer_ids],
            )
        return {str(c): bytes(w) for c, w in rows}

    def sealer(
        self, tenant: str, customer_id: str, key: bytes | None = None
    ) -> Callable[[str | None], str | None]:

        def seal_value(value: str | None) -> str | None:
            nonlocal key
            if value is None:
                return None
            if key is None:
                key = self.data_key(tenant, customer_id, create=True)
            assert key is not None
            return seal(key, value, context=f"{tenant}/{customer_id}")

        return seal_value

    def opener(self, tenant: str, customer_id: str, erased: bool) -> Callable[[Any], Any]:
        key = None if erased else self.data_key(tenant, customer_id, create=False)
        return key_opener(tenant, customer_id, key)


def key_opener(tenant: str, customer_id: str, key: bytes | None) -> Callable[[Any], Any]:
    """Opens the customer's sealed values with `key` (one cipher for all of them); None
    for anything else, and for everything once the key is gone."""
    sealed_values = None if key is None else SealedValues(key, context=f"{tenant}/{customer_id}")

    def open_value(value: Any) -> Any:
        if not isinstance(value, str) or sealed_values is None:
            return None
        try:
            return sealed_values.open(value)
        except Unreadable:
            return None

    return open_value


def unwrap_data_keys(master: bytes, tenant: str, wrapped: Mapping[str, bytes]) -> dict[str, bytes]:
    """Customers' data keys from their rows of `registry_data_keys` (customer → wrapped),
    as `PersonalDataKeys.data_keys` unwraps them, for readers that select the rows."""
    opened = unwrap_keys(master, {f"{tenant}\x1f{c}": blob for c, blob in wrapped.items()})
    return {c: opened[f"{tenant}\x1f{c}"] for c in wrapped}


def _chunks(items: Sequence[str], size: int) -> list[Sequence[str]]:
    return [items[i : i + size] for i in range(0, len(items), size)]
