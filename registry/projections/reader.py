"""View documents for (kind, key) pairs and the log position they reflect, read in one
statement so that the position and the documents come from one snapshot."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from typing import Any

import orjson

from registry.domain.exceptions import InvalidRequest
from registry.domain.vocabulary import CHANNELS
from registry.projections.history import history_entry
from registry.store.database import Database
from registry.store.schema import customer_index, views
from registry.store.sql import any_of_json

Docs = dict[tuple[str, str], dict[str, Any]]
REVOKED_TOKEN = "revoked_token"


class RevocationProbe:
    """Whether the request's token is revoked, asked in the statement of the request's
    first view read instead of a statement of its own (decisions stay one round trip).
    The API sets it per request (registry/api/guards.py) and checks it afterwards."""

    __slots__ = ("answered", "jti", "revoked", "tenant")

    def __init__(self, tenant: str, jti: str) -> None:
        self.tenant, self.jti = tenant, jti
        self.answered = self.revoked = False


def answer_revocation_probe(views: ViewReader) -> None:
    """Before a write whose request's probe rode no view read yet (the probe's tenant is
    not the one read): asks it now, raising `TokenRevokedError` for a revoked token."""
    probe = revocation_probe.get()
    if probe is not None and not probe.answered:
        views.read(probe.tenant, [])


class TokenRevokedError(Exception):
    """The probe found the request's token revoked: the request stops here."""


revocation_probe: ContextVar[RevocationProbe | None] = ContextVar(
    "registry_revocation_probe", default=None
)


class ViewReader:
    """Reads views by primary key: one seek per kind, all in one `UNION ALL`.

    Templates and the tenant are few and every decision reads them, so their parsed
    documents are kept per version and shared (callers treat documents as read-only).
    The statement asks for a kept document's text only when the stored version is not
    the kept one: a decision then transfers and parses the customer's document alone.
    """

    MAX_KEPT = 10_000

    def __init__(self, db: Database) -> None:
        self.db = db
        self._kept: dict[tuple[str, str, str], tuple[int, dict[str, Any]]] = {}

    def read(
        self,
        tenant: str,
        keys: Sequence[tuple[str, str]],
        min_position: int | None = None,
        *,
        window_from: int | None = None,
    ) -> tuple[Docs, int]:
        """`("window", channel)` keys read the channel's messaging window (registry.domain.
        limits): `{"customers": n}` counted from minute `window_from`, in the same statement.
        `("pilot", "name/language")` keys read the template's latest pilot (registry.domain.
        rules.pilot): `{"pilot": number, "customers": n, "members": {customer_id: [pilot…]}}`
        for the customers the keys name."""
        by_kind: dict[str, list[str]] = {}
        for kind, key in keys:
            by_kind.setdefault(kind, []).append(key)
        windows = by_kind.pop("window", [])
        pilots = by_kind.pop("pilot", [])
        # The log position is an arm of its own: computed once, and present when no
        # view matches. Views have no empty kind, which marks that row.
        parts = [
            f"SELECT '' AS kind, '' AS key, 0 AS version, NULL AS doc, "
            f"MAX({self.db.position_column}) AS position FROM {self.db.events_table}"
        ]
        params: list[Any] = []
        asked_kept: dict[tuple[str, str], dict[str, Any]] = {}
        for kind, kind_keys in sorted(by_kind.items()):
            doc = "doc"
            kept = self._kept_for(tenant, kind, kind_keys)
            if kept is not None:
                doc = "CASE WHEN version = ? THEN NULL ELSE doc END"
                params.append(kept[0])
                asked_kept[(kind, kind_keys[0])] = kept[1]
            match, match_params = self._key_match(kind_keys)
            parts.append(
                f"SELECT kind, key, version, {doc}, NULL FROM {views.name} "
                f"WHERE tenant = ? AND kind = ? AND {match}"
            )
            params += [tenant, kind, *match_params]
        probe = revocation_probe.get()
        if probe is not None and (probe.answered or probe.tenant != tenant):
            probe = None
        if probe is not None:
            parts.append(
                "SELECT kind, key, 0, NULL, NULL FROM registry_views "
                "WHERE tenant = ? AND kind = ? AND key = ?"
            )
            params += [tenant, REVOKED_TOKEN, probe.jti]
        for channel in windows:
            if channel not in CHANNELS or window_from is None:
                raise ValueError(f"a window read needs a channel and window_from, not {channel!r}")
            parts.append(
                f"SELECT 'window', '{channel}', 0, CAST(COALESCE(SUM(customers), 0) AS TEXT), "
                "NULL FROM registry_channel_window WHERE tenant = ? AND channel = ? AND minute >= ?"
            )
            params += [tenant, channel, window_from]
        if pilots:
            self._pilot_parts(tenant, pilots, by_kind.get("customer", []), parts, params)
        with self.db.single_statement() as sql:
            rows = sql.query(" UNION ALL ".join(parts), params)
        docs: Docs = {}
        position = 0
        if probe is not None:
            probe.answered = True
            if any(row[0] == REVOKED_TOKEN for row in rows):
                probe.revoked = True
                raise TokenRevokedError(probe.jti)
        for kind, key, version, text, row_position in rows:
            if kind == "":
                position = int(row_position or 0)
            elif kind == "window":
                docs[("window", str(key))] = {"customers": int(text)}
            elif kind in ("pilot", "pilot_member"):
                _add_pilot_row(docs, kind, str(key), int(version), str(text))
            elif text is None:  # the kept version is the stored one
                docs[(str(kind), str(key))] = asked_kept[(str(kind), str(key))]
            else:
                docs[(str(kind), str(key))] = self._parsed(tenant, kind, key, int(version), text)
        return docs, checked_position(position, min_position)

    def all_of(self, tenant: str, kind: str) -> tuple[list[dict[str, Any]], int]:
        """Every view document of one kind for the tenant, by key, and the log position."""
        with self.db.transaction() as sql:
            position = self.db.max_position(sql)
            rows = sql.query(
                f"SELECT doc FROM {views.name} WHERE tenant = ? AND kind = ? ORDER BY key",
                [tenant, kind],
            )
        return [json.loads(doc) for (doc,) in rows], position

    def existing(self, tenant: str, kind: str, keys: Sequence[str]) -> set[str]:
        """Which of `keys` have a view of `kind` for the tenant."""
        with self.db.transaction() as sql:
            rows = sql.query_in(
                f"SELECT key FROM {views.name} WHERE tenant = ? AND kind = ?",
                [tenant, kind],
                "key",
                sorted(set(keys)),
            )
        return {str(k) for (k,) in rows}

    def customer_of(self, tenant: str, blinds: Sequence[str]) -> str | None:
        """The customer found by the first of `blinds` (blind indexes, in order) indexed."""
        with self.db.transaction() as sql:
            for blind in blinds:
                found = sql.scalar(
                    f"SELECT customer_id FROM {customer_index.name} WHERE tenant = ? AND blind = ?",
                    [tenant, blind],
                )
                if found is not None:
                    return str(found)
        return None

    def history(
        self,
        aggregate_id: str,
        *,
        after_position: int,
        limit: int,
        open_value: Callable[[Any], Any] | None = None,
    ) -> list[dict[str, Any]]:
        """An aggregate's events, oldest first, for the history endpoints."""
        with self.db.transaction() as sql:
            rows = self.db.events_of(sql, aggregate_id, after_position=after_position, limit=limit)
        return [history_entry(p, topic, state, open_value) for p, _, topic, state in rows]

    def _pilot_parts(
        self,
        tenant: str,
        templates: list[str],
        customers: list[str],
        parts: list[str],
        params: list[Any],
    ) -> None:
        """The arms of the templates' latest pilots and of the customers' places in them."""
        for template in templates:
            parts.append(
                "SELECT 'pilot', template, pilot, CAST(customers AS TEXT), NULL FROM "
                "(SELECT template, pilot, customers FROM registry_pilots WHERE tenant = ? "
                "AND template = ? ORDER BY pilot DESC LIMIT 1) AS latest"
            )
            params += [tenant, template]
        if customers:
            template_match, template_params = self._key_match(templates)
            customer_match, customer_params = self._key_match(customers)
            parts.append(
                "SELECT 'pilot_member', template, pilot, customer_id, NULL "
                "FROM registry_pilot_customers WHERE tenant = ? AND "
                + template_match.replace("key", "template", 1)
                + " AND "
                + customer_match.replace("key", "customer_id", 1)
            )
            params += [tenant, *template_params, *customer_params]

    def _kept_for(
        self, tenant: str, kind: str, kind_keys: list[str]
    ) -> tuple[int, dict[str, Any]] | None:
        if kind == "customer" or len(kind_keys) != 1:
            return None
        return self._kept.get((tenant, kind, kind_keys[0]))

    def _key_match(self, kind_keys: list[str]) -> tuple[str, list[Any]]:
        if len(kind_keys) == 1:  # a primary-key seek whatever the statistics say
            return "key = ?", list(kind_keys)
        if self.db.dialect == "postgres":  # one parameter: one prepared plan
            any_of, values = any_of_json(kind_keys)
            return f"key = {any_of}", [values]
        return f"key IN ({','.join('?' * len(kind_keys))})", list(kind_keys)

    def _parsed(self, tenant: str, kind: str, key: str, version: int, text: str) -> dict[str, Any]:
        if kind == "customer":
            # orjson parses a batch's customer documents 3.5 × faster than `json`. It reads
            # integers past 64 bits as floats; a customer document holds only versions.
            customer_doc: dict[str, Any] = orjson.loads(text)
            return customer_doc
        kept = self._kept.get((tenant, kind, key))
        if kept is not None and kept[0] == version:
            return kept[1]
        doc: dict[str, Any] = json.loads(text)
        if kept is None or kept[0] < version:  # a slower reader never replaces a newer one
            if len(self._kept) >= self.MAX_KEPT:
                self._kept.clear()
            self._kept[(tenant, kind, key)] = (version, doc)
        return doc


def _add_pilot_row(docs: Docs, kind: str, template: str, pilot: int, text: str) -> None:
    doc = docs.setdefault(("pilot", template), {"pilot": 0, "customers": 0, "members": {}})
    if kind == "pilot":
        doc["pilot"], doc["customers"] = pilot, int(text)
    else:
        doc["members"].setdefault(text, []).append(pilot)


def checked_position(position: int, min_position: int | None) -> int:
    if min_position is not None and min_position > position:
        raise InvalidRequest(
            f"min_position {min_position} is ahead of the log (at {position})",
            min_position=[f"the log is at position {position}"],
        )
    return position
