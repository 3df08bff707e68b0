"""ViewReader: one statement for documents and the log position; kept template and
tenant documents are sent again only when their version changed."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from registry.domain.exceptions import InvalidRequest
from registry.projections.reader import ViewReader

GRANT = {"customer_id": "c1", "purposes": ["promotions"], "source": {"kind": "checkout"}}
KEYS = [("customer", "c1"), ("template", "spring_sale/ru"), ("tenant", "")]


class RecordingDatabase:
    """The registry's database, remembering the rows each single statement returned."""

    def __init__(self, db: Any) -> None:
        self.db = db
        self.returned: list[list[tuple[Any, ...]]] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.db, name)

    @contextmanager
    def single_statement(self) -> Iterator[Any]:
        with self.db.single_statement() as sql:
            outer = self

            class Recording:
                def query(self, statement: str, params: Any) -> list[tuple[Any, ...]]:
                    rows = list(sql.query(statement, params))
                    outer.returned.append(rows)
                    return rows

            yield Recording()


def texts_sent(rows: list[tuple[Any, ...]]) -> dict[str, bool]:
    return {str(kind): text is not None for kind, _key, _version, text, _ in rows if kind}


@pytest.fixture
def prepared(api: Any, approved_template: Any, any_time_policy: None) -> None:
    assert api.post("/v1/consents", json=GRANT).status_code == 201


def test_a_kept_document_is_not_sent_again_until_its_version_changes(
    registry: Any, reviewer: Any, tenant: str, prepared: None
) -> None:
    recording = RecordingDatabase(registry.db)
    reader = ViewReader(recording)  # type: ignore[arg-type]
    first, _ = reader.read(tenant, KEYS)
    second, _ = reader.read(tenant, KEYS)
    assert texts_sent(recording.returned[0]) == {"customer": True, "template": True, "tenant": True}
    assert texts_sent(recording.returned[1]) == {
        "customer": True,
        "template": False,
        "tenant": False,
    }
    assert second == first

    paused = reviewer.post("/v1/templates/spring_sale/ru/pause", json={"reason": "complaints"})
    assert paused.status_code == 200, paused.get_json()
    third, _ = reader.read(tenant, KEYS)
    assert texts_sent(recording.returned[2])["template"] is True
    assert third[("template", "spring_sale/ru")]["paused"] is True
    assert (
        third[("template", "spring_sale/ru")]
        == ViewReader(registry.db).read(tenant, KEYS)[0][("template", "spring_sale/ru")]
    )


def test_documents_and_position_come_from_one_read(
    registry: Any, tenant: str, prepared: None
) -> None:
    docs, position = ViewReader(registry.db).read(tenant, KEYS)
    with registry.db.single_statement() as sql:
        assert position == registry.db.max_position(sql)
    assert set(docs) == set(KEYS)
    assert docs[("customer", "c1")]["consents"]["whatsapp:promotions"]["status"] == "granted"


def test_a_read_that_finds_no_view_still_answers_the_position(
    registry: Any, tenant: str, prepared: None
) -> None:
    docs, position = ViewReader(registry.db).read(tenant, [("customer", "nobody")])
    assert docs == {}
    assert position > 0
    empty, same = ViewReader(registry.db).read(tenant, [])
    assert (empty, same) == ({}, position)


def test_a_min_position_ahead_of_the_log_is_refused(
    registry: Any, tenant: str, prepared: None
) -> None:
    _, position = ViewReader(registry.db).read(tenant, KEYS)
    with pytest.raises(InvalidRequest, match="ahead of the log"):
        ViewReader(registry.db).read(tenant, KEYS, min_position=position + 1000)
