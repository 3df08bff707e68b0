"""`gunicorn bench.floor.app:app`: the yardstick each hot route is divided by.

Three endpoints, no auth, no schema, no rules; the same JSON bodies as the registry's:
- `POST /single` (`{"customer_id", "template"}`): parse the body, one prepared point read
  of the customer's view row and the log position, a small JSON answer;
- `POST /batch` (`{"items": [...]}`): one `key = ANY(…)` read of the items' rows and the
  log position, one small result per item;
- `POST /append`: one ordered, durable append the way the registry appends its events
  table (BEGIN, `LOCK … IN EXCLUSIVE MODE`, INSERT, COMMIT, in one round trip), into a
  table of its own with the events table's shape (`floor_events`), so that the registry's
  log is not touched.

Each worker thread keeps one connection (`REGISTRY_DATABASE_URL`, a PostgreSQL URL);
statements are prepared on it.
"""

from __future__ import annotations

import os
import threading
import uuid
from typing import Any

import orjson
import psycopg
from flask import Flask, Response, request

TENANT = os.environ.get("FLOOR_TENANT", "bench")
EVENTS_TABLE = os.environ.get("FLOOR_EVENTS_TABLE", "registry_events")
APPEND_TABLE = "floor_events"
CREATE_APPEND_TABLE = (
    f"CREATE TABLE IF NOT EXISTS {APPEND_TABLE} ("
    "originator_id uuid NOT NULL, originator_version bigint NOT NULL, topic text, "
    "state bytea, notification_id bigserial, "
    "PRIMARY KEY (originator_id, originator_version))"
)
CREATE_APPEND_INDEX = (
    f"CREATE UNIQUE INDEX IF NOT EXISTS {APPEND_TABLE}_notification_id "
    f"ON {APPEND_TABLE} (notification_id)"
)
POSITION = f"(SELECT MAX(notification_id) FROM {EVENTS_TABLE})"
READ_ONE = (
    f"SELECT {POSITION}, (SELECT doc FROM registry_views "
    "WHERE tenant = %s AND kind = 'customer' AND key = %s)"
)
READ_MANY = (
    f"SELECT '' AS key, NULL AS doc, {POSITION} UNION ALL "
    "SELECT key, doc, NULL FROM registry_views "
    "WHERE tenant = %s AND kind = 'customer' AND key = ANY(%s)"
)
LOCK = f"LOCK TABLE {APPEND_TABLE} IN EXCLUSIVE MODE"
INSERT = (
    f"INSERT INTO {APPEND_TABLE} (originator_id, originator_version, topic, state) "
    "VALUES (%s, 1, 'floor.Appended', %s) RETURNING notification_id"
)

_local = threading.local()


def connection() -> psycopg.Connection[Any]:
    conn: psycopg.Connection[Any] | None = getattr(_local, "conn", None)
    if conn is None or conn.closed:
        conn = psycopg.connect(os.environ["REGISTRY_DATABASE_URL"], autocommit=True)
        _local.conn = conn
    return conn


def prepare_append_table(database_url: str) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(CREATE_APPEND_TABLE)
        conn.execute(CREATE_APPEND_INDEX)


def answer(value: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(value), status=status, mimetype="application/json")


def create_app() -> Flask:
    app = Flask("floor")

    @app.get("/healthz")
    def healthz() -> Response:
        return answer({"status": "ok"})

    @app.post("/single")
    def single() -> Response:
        item = orjson.loads(request.get_data())
        customer_id = item["customer_id"]
        row = connection().execute(READ_ONE, (TENANT, customer_id), prepare=True).fetchone()
        assert row is not None
        position, doc = row
        found = doc is not None and bool(orjson.loads(doc))
        return answer({"customer_id": customer_id, "found": found, "position": position})

    @app.post("/batch")
    def batch() -> Response:
        items = orjson.loads(request.get_data())["items"]
        keys = [item["customer_id"] for item in items]
        rows = connection().execute(READ_MANY, (TENANT, keys), prepare=True).fetchall()
        position = rows[0][2]
        docs = {key: orjson.loads(doc) for key, doc, _ in rows[1:]}
        results = [{"customer_id": key, "found": key in docs} for key in keys]
        return answer({"results": results, "position": position})

    @app.post("/append")
    def append() -> Response:
        body = request.get_data()
        orjson.loads(body)
        conn = connection()
        try:
            with conn.pipeline() as pipeline:
                conn.execute("BEGIN")
                conn.execute(LOCK, prepare=True)
                inserted = conn.execute(INSERT, (uuid.uuid4(), body), prepare=True)
                conn.execute("COMMIT")
                pipeline.sync()
                row = inserted.fetchone()
        except BaseException:
            if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
                conn.execute("ROLLBACK")
            raise
        assert row is not None
        return answer({"position": row[0]}, 201)

    return app


app = create_app() if "REGISTRY_DATABASE_URL" in os.environ else None
