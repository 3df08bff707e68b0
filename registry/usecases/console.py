"""What the compliance console (SPEC §15) needs beyond the API's own use cases: finding a
customer by phone through the blind index, and remembering console sessions that were
signed out, so that a copy of a signed-out session cookie opens nothing.

A phone number is never stored in the clear: the index holds a keyed hash of its E.164
digits per tenant (the same hash the grant and the webhooks write), so the lookup
hashes the number it is asked about and reads the index of the asking tenant only.
"""

from __future__ import annotations

import phonenumbers

from registry.clock import Clock
from registry.crypto import blind_index
from registry.store import schema
from registry.store.database import Database
from registry.timefmt import iso


class PhoneNotValid(ValueError):
    """The text asked about is not a possible phone number."""


def e164(text: str) -> str:
    """The number as E.164 (`+79123456789`), as the API normalises phones."""
    try:
        number = phonenumbers.parse(text.strip(), None)
    except phonenumbers.NumberParseException:
        raise PhoneNotValid(text) from None
    if not phonenumbers.is_possible_number(number):
        raise PhoneNotValid(text)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


class ConsoleQueries:
    """Reads the console needs that no API endpoint answers as such."""

    def __init__(self, db: Database, blind_index_key: bytes) -> None:
        self.db = db
        self.blind_index_key = blind_index_key

    def customer_id_by_phone(self, tenant: str, phone: str) -> str | None:
        """The customer of `tenant` with this phone, or None (also for another
        tenant's customer: the hash is keyed by tenant and the query names it)."""
        digits = e164(phone).lstrip("+")
        blind = blind_index(self.blind_index_key, tenant, "wa", digits)
        with self.db.transaction() as sql:
            found = sql.scalar(
                "SELECT customer_id FROM registry_customer_index WHERE tenant = ? AND blind = ?",
                [tenant, blind],
            )
        return None if found is None else str(found)


SIGNED_OUT = schema.console_signed_out.name


class ConsoleSessions:
    """Signed-out session ids (insert only). A session is otherwise carried whole by its
    encrypted cookie; this is the one thing a cookie cannot forget by itself."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    def sign_out(self, tenant: str, session_id: str, actor: str) -> None:
        with self.db.transaction(commit=True) as sql:
            sql.execute(
                f"INSERT INTO {SIGNED_OUT} (session_id, tenant, actor, signed_out_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (session_id) DO NOTHING",
                [session_id, tenant, actor, iso(self.clock.now())],
            )

    def is_signed_out(self, session_id: str) -> bool:
        with self.db.single_statement() as sql:
            found = sql.scalar(f"SELECT 1 FROM {SIGNED_OUT} WHERE session_id = ?", [session_id])
        return found is not None
