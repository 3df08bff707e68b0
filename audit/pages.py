"""Reading for streaming exports: stored events as leaf JSON text, and reading ahead.

An export line carries the stored event; its state is already JSON text in the store, so
it is spliced into the leaf object's text rather than parsed and serialised again (the
verifier parses the line and hashes `canonical_json` of the object either way). Reading
the next page on a worker thread while the current one is formatted overlaps the
database's work and round trips with ours.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from typing import Any, TypeVar
from uuid import UUID

from registry.store.database import Database
from registry.store.sql import Sql

_T = TypeVar("_T")
_HEX32 = re.compile("[0-9a-f]{32}")


def stored_event_texts(db: Database, sql: Sql, positions: list[int]) -> dict[int, str]:
    """The stored events at these positions as the JSON text of their leaf objects
    (`registry.store.unit_of_work.leaf_object`, serialised), without a parse of the state."""
    if not positions:
        return {}
    select = (
        f"SELECT {db.position_column}, originator_id, originator_version, topic, state "
        f"FROM {db.events_table} WHERE {db.position_column}"
    )
    if sql.dialect == "postgres":  # one array parameter: psycopg parses every placeholder
        rows = sql.query(f"{select} = ANY(?)", [positions])
    else:
        rows = sql.query(f"{select} IN ({','.join('?' * len(positions))})", positions)
    texts: dict[int, str] = {}
    for position, originator_id, version, topic, state in rows:
        text = bytes(state).decode("utf-8")
        if not text.startswith("{") or "\n" in text or "\r" in text:
            text = json.dumps(json.loads(text), separators=(",", ":"), ensure_ascii=False)
        texts[int(position)] = (
            f'{{"originator_id":"{_uuid_text(originator_id)}",'
            f'"originator_version":{int(version):d},'
            f'"topic":{_json_string(str(topic))},"state":{text}}}'
        )
    return texts


def read_ahead(pages: Iterator[_T]) -> Iterator[_T]:
    """`pages`, with the next one read on a worker thread while the caller uses this one.

    At most two pages are held. Closing the result (a client that went away) waits for
    the read under way, then closes `pages`.
    """
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="audit-read-ahead") as worker:
        try:
            pending = worker.submit(next, pages, None)
            while (page := pending.result()) is not None:
                pending = worker.submit(next, pages, None)
                yield page
        finally:
            worker.shutdown(wait=True)
            close = getattr(pages, "close", None)
            if close is not None:
                close()


def _uuid_text(value: Any) -> str:
    """Canonical text of a stored originator id (a UUID, or 32 hex digits in SQLite)."""
    if isinstance(value, str) and _HEX32.fullmatch(value):
        return f"{value[:8]}-{value[8:12]}-{value[12:16]}-{value[16:20]}-{value[20:]}"
    return str(value if isinstance(value, UUID) else UUID(str(value)))


@lru_cache(maxsize=1024)
def _json_string(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)
