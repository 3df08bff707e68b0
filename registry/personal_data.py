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
from registry.store.database import BulkSql, Database
from registry.store.schema import column_list, data_keys, key_list, placeholders
from registry.store.sql import Sql

_INSERT_KEY = (
    f"INSERT INTO {data_keys.name} ({column_list(data_keys)}) VALUES ({placeholders(data_keys)})"
)


class PersonalDataKeys:
    """A mixin of `registry.application.Registry`, which sets `keyring` and `db` in `configure`."""

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
        master = self.keyring.master_data_key
        wanted = sorted(set(customer_ids))
        created: dict[str, bytes] = {}
        wrapped_new: dict[str, bytes] = {}
        with self.db.transaction(commit=create) as sql:
            found = _stored_keys(sql, tenant, wanted)
            missing = [c for c in wanted if c not in found]
            if create and missing:
                created = {c: new_data_key() for c in missing}
                wrapped_new = wrap_data_keys(master, tenant, created)
                sql.executemany(
                    f"{_INSERT_KEY} ON CONFLICT ({key_list(data_keys)}) DO NOTHING",
                    [(tenant, c, wrapped_new[c]) for c in missing],
                )
                found.update(_stored_keys(sql, tenant, missing))
        keys = {c: created[c] for c, wrapped in found.items() if wrapped_new.get(c) == wrapped}
        others = {c: wrapped for c, wrapped in found.items() if c not in keys}
        return {**keys, **unwrap_data_keys(master, tenant, others)}

    def import_data_keys(self, tenant: str, customer_ids: Sequence[str]) -> dict[str, bytes]:
        """`data_keys(create=True)` for a large batch (imports), faster: the missing keys
        go in by a plain INSERT (COPY on PostgreSQL) instead of an upsert row by row, and
        are then known to be the stored ones. A key that a concurrent writer stored first
        fails that INSERT, and the batch is then done by `data_keys`."""
        master = self.keyring.master_data_key
        wanted = sorted(set(customer_ids))
        try:
            with self.db.transaction(commit=True) as sql:
                found = _stored_keys(sql, tenant, wanted)
                created = {c: new_data_key() for c in wanted if c not in found}
                wrapped = wrap_data_keys(master, tenant, created)
                BulkSql(sql.cursor, sql.dialect).executemany(
                    _INSERT_KEY,
                    [(tenant, c, wrapped[c]) for c in created],
                )
        except IntegrityError:
            return self.data_keys(tenant, wanted, create=True)
        return {**unwrap_data_keys(master, tenant, found), **created}

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


def wrap_data_keys(master: bytes, tenant: str, keys: Mapping[str, bytes]) -> dict[str, bytes]:
    """Customers' data keys (customer → key) wrapped for `registry_data_keys`."""
    wrapped = wrap_keys(master, {_owner(tenant, c): key for c, key in keys.items()})
    return {c: wrapped[_owner(tenant, c)] for c in keys}


def unwrap_data_keys(master: bytes, tenant: str, wrapped: Mapping[str, bytes]) -> dict[str, bytes]:
    """Customers' data keys from their rows of `registry_data_keys` (customer → wrapped)."""
    opened = unwrap_keys(master, {_owner(tenant, c): blob for c, blob in wrapped.items()})
    return {c: opened[_owner(tenant, c)] for c in wrapped}


def _owner(tenant: str, customer_id: str) -> str:
    """What a wrapped key is bound to (its associated data)."""
    return f"{tenant}\x1f{customer_id}"


def _stored_keys(sql: Sql, tenant: str, customer_ids: Sequence[str]) -> dict[str, bytes]:
    rows = sql.query_in(
        f"SELECT customer_id, wrapped FROM {data_keys.name} WHERE tenant = ?",
        [tenant],
        "customer_id",
        customer_ids,
    )
    return {str(c): bytes(w) for c, w in rows}
