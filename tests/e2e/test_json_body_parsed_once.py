"""The guard parses a JSON body once (registry.jsontext) and the views' arguments are
loaded from that value: webargs does not parse it again. (That the value is what
json.loads reads is tests/unit/test_jsontext.py.)"""

from __future__ import annotations

from typing import Any

import pytest
from webargs import core

from registry.api import guards


@pytest.fixture
def parse_counts(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    counts = {"guard": 0, "webargs": 0}
    guard_loads, webargs_parse = guards.loads, core.parse_json

    def counted_guard(text: str) -> Any:
        counts["guard"] += 1
        return guard_loads(text)

    def counted_webargs(raw: Any, **kw: Any) -> Any:
        counts["webargs"] += 1
        return webargs_parse(raw, **kw)

    monkeypatch.setattr(guards, "loads", counted_guard)
    monkeypatch.setattr(core, "parse_json", counted_webargs)
    return counts


def test_a_decision_body_is_parsed_once(api: Any, parse_counts: dict[str, int]) -> None:
    answer = api.post("/v1/decisions", json={"customer_id": "nobody", "template": None})
    assert answer.status_code == 200, answer.get_json()
    assert parse_counts == {"guard": 1, "webargs": 0}


def test_a_batch_body_is_parsed_once(api: Any, parse_counts: dict[str, int]) -> None:
    items = [{"customer_id": f"c{i}", "template": None} for i in range(50)]
    answer = api.post("/v1/decisions/batch", json={"items": items})
    assert answer.status_code == 200, answer.get_json()
    assert len(answer.get_json()["results"]) == 50
    assert parse_counts == {"guard": 1, "webargs": 0}
