"""The plain (marshmallow-free) path of the decision endpoints loads and dumps exactly
what the schemas would, and leaves everything else to the schemas."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from marshmallow import Schema, ValidationError

from registry.api.decisions.plain import (
    dump_authorization,
    dump_batch,
    dump_decision,
    load_authorization_request,
    load_batch_request,
    load_decision_request,
)
from registry.api.decisions.views import (
    AuthorizationRequestSchema,
    AuthorizationSchema,
    BatchRequestSchema,
    BatchSchema,
    DecisionRequestSchema,
    DecisionSchema,
)

ODD_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-3, max_value=2**70),
    st.floats(allow_nan=False),
    st.text(max_size=5),
    st.just(""),
    st.just("2026-11-24T10:00:00+03:00"),
    st.just("x" * 129),
    st.just("a\nb"),
    st.lists(st.integers(), max_size=2),
)
GOOD_TEMPLATES = st.one_of(
    st.none(),
    st.fixed_dictionaries(
        {
            "name": st.sampled_from(["spring_sale", "ok_1", "x" * 512]),
            "language": st.sampled_from(["ru", "en_US", "pt-BR"]),
        }
    ),
)
ODD_TEMPLATES = st.one_of(
    ODD_VALUES,
    st.fixed_dictionaries(
        {
            "name": st.one_of(st.sampled_from(["Bad", "x\n", "x" * 513, ""]), ODD_VALUES),
            "language": st.one_of(st.sampled_from(["r", "ru\n", "ru_"]), ODD_VALUES),
        },
        optional={"extra": st.integers()},
    ),
)
GOOD = {
    "customer_id": st.sampled_from(["c1", "wa:79123456789", "é", "x" * 128]),
    "channel": st.sampled_from(["whatsapp", "sms", "email"]),
    "template": GOOD_TEMPLATES,
    "at": st.none(),
    "min_position": st.one_of(st.none(), st.integers(0, 2**70)),
    "message_ref": st.one_of(st.none(), st.just("r" * 256)),
    "experiment": st.sampled_from(["ab", "bench_ab.v2", "x" * 128]),
}
ODD = {
    "customer_id": st.one_of(st.sampled_from(["a\tb", "x" * 129, ""]), ODD_VALUES),
    "channel": st.one_of(st.just("fax"), ODD_VALUES),
    "template": ODD_TEMPLATES,
    "at": ODD_VALUES,
    "min_position": ODD_VALUES,
    "message_ref": st.one_of(ODD_VALUES, st.just("r" * 257)),
    "experiment": st.one_of(st.sampled_from(["", "a b", "x" * 129, "ab\n"]), ODD_VALUES),
    "unknown": st.integers(),
}


def requests(names: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    """Well-formed requests with up to two fields dropped and up to two made odd."""
    changes = st.one_of(*[st.tuples(st.just(name), ODD[name]) for name in [*names, "unknown"]])

    def build(
        good: dict[str, Any], dropped: list[str], odd: list[tuple[str, Any]]
    ) -> dict[str, Any]:
        request = {name: value for name, value in good.items() if name not in dropped}
        return {**request, **dict(odd)}

    return st.builds(
        build,
        st.fixed_dictionaries({name: GOOD[name] for name in names}),
        st.lists(st.sampled_from(names), max_size=2),
        st.lists(changes, max_size=2),
    )


DECISION_REQUESTS = st.one_of(
    requests(["customer_id", "channel", "template", "at", "min_position"]),
    requests(["customer_id", "channel", "experiment", "at", "min_position"]),
    requests(["customer_id", "channel", "template", "experiment"]),  # both: the schema refuses
)
AUTHORIZATION_REQUESTS = st.one_of(
    requests(["customer_id", "channel", "template", "message_ref"]),
    requests(["customer_id", "channel", "experiment", "message_ref"]),
    requests(["customer_id", "channel", "template", "experiment"]),
)


def schema_load(schema: Schema, data: Any) -> Any:
    """What marshmallow itself loads (bypassing the plain path of this schema)."""
    try:
        return Schema.load(schema, data)
    except ValidationError:
        return ValidationError


@settings(max_examples=400, deadline=None)
@given(DECISION_REQUESTS)
def test_a_plain_decision_request_loads_as_the_schema_loads_it(data: dict[str, Any]) -> None:
    plain = load_decision_request(data)
    if plain is not None:
        assert plain == schema_load(DecisionRequestSchema(), data)


@settings(max_examples=400, deadline=None)
@given(AUTHORIZATION_REQUESTS)
def test_a_plain_authorization_request_loads_as_the_schema_loads_it(data: dict[str, Any]) -> None:
    plain = load_authorization_request(data)
    if plain is not None:
        assert plain == schema_load(AuthorizationRequestSchema(), data)


@settings(max_examples=200, deadline=None)
@given(
    st.fixed_dictionaries(
        {},
        optional={
            "items": st.one_of(ODD_VALUES, st.lists(DECISION_REQUESTS, max_size=4)),
            "min_position": ODD_VALUES,
            "other": st.integers(),
        },
    )
)
def test_a_plain_batch_loads_as_the_schema_loads_it(data: dict[str, Any]) -> None:
    plain = load_batch_request(data)
    if plain is not None:
        assert plain == schema_load(BatchRequestSchema(), data)


def test_the_common_requests_take_the_plain_path() -> None:
    item = {"customer_id": "c1", "template": {"name": "spring_sale", "language": "ru"}}
    assert load_decision_request(item) == {**item, "channel": "whatsapp"}
    assert load_decision_request({**item, "template": None, "channel": "sms"}) is not None
    assert load_authorization_request({**item, "message_ref": "m1"}) is not None
    assert load_batch_request({"items": [item] * 1000, "min_position": 5}) is not None
    by_experiment = {"customer_id": "c1", "experiment": "ab"}
    assert load_decision_request(by_experiment) == {**by_experiment, "channel": "whatsapp"}
    assert load_authorization_request(by_experiment) is not None


@pytest.mark.parametrize(
    "data",
    [
        {"customer_id": "c1", "template": None, "at": "2026-11-24T10:00:00Z"},  # a moment
        {"customer_id": "c1", "template": None, "min_position": "5"},  # a number as text
        {"customer_id": "c1"},  # template missing
        {"customer_id": "c1", "template": None, "colour": "red"},  # unknown field
        {"customer_id": "", "template": None},
    ],
)
def test_unusual_requests_are_left_to_the_schema(data: dict[str, Any]) -> None:
    assert load_decision_request(data) is None


def test_a_batch_over_the_limit_is_left_to_the_schema() -> None:
    item = {"customer_id": "c1", "template": None}
    assert load_batch_request({"items": [item] * 1001}) is None
    with pytest.raises(ValidationError):
        BatchRequestSchema().load({"items": [item] * 1001})


DECISION_ANSWERS = st.fixed_dictionaries(
    {},
    optional={
        "allowed": st.one_of(st.booleans(), st.integers(0, 1), st.none()),
        "reasons": st.one_of(st.lists(st.sampled_from(["no_consent", "quiet_hours"])), st.none()),
        "template_version": st.one_of(st.none(), st.integers(1, 9), st.booleans(), st.text()),
        "next_allowed_at": st.one_of(st.none(), st.just("2026-11-25T06:00:00Z"), st.integers()),
        "experiment": st.one_of(st.just("ab"), st.none(), st.integers()),
        "arm": st.one_of(st.none(), st.just("control"), st.integers()),
        "template": st.one_of(
            st.none(), st.just({"name": "s", "language": "ru", "version": 1}), st.just("s")
        ),
        "position": st.one_of(st.integers(0, 10**9), st.text(max_size=2)),
    },
)


def schema_dump(schema: Schema, obj: Any) -> Any:
    try:
        return Schema.dump(schema, obj)
    except (TypeError, ValueError):
        return TypeError


@settings(max_examples=300, deadline=None)
@given(DECISION_ANSWERS)
def test_a_plain_decision_answer_dumps_as_the_schema_dumps_it(answer: dict[str, Any]) -> None:
    plain = dump_decision(answer)
    if plain is not None:
        dumped = schema_dump(DecisionSchema(), answer)
        assert json.dumps(plain) == json.dumps(dumped)  # same values, types and key order


@settings(max_examples=300, deadline=None)
@given(
    DECISION_ANSWERS,
    st.one_of(st.none(), st.just("auth_1")),
    st.one_of(st.none(), st.just("eyJ.x.y")),
)
def test_a_plain_authorization_answer_dumps_as_the_schema_dumps_it(
    answer: dict[str, Any], authorization_id: str | None, receipt: str | None
) -> None:
    if authorization_id is not None:
        answer = {"authorization_id": authorization_id, **answer}
    if receipt is not None:
        answer = {**answer, "receipt": receipt}
    plain = dump_authorization(answer)
    if plain is not None:
        dumped = schema_dump(AuthorizationSchema(), answer)
        assert json.dumps(plain) == json.dumps(dumped)


@settings(max_examples=200, deadline=None)
@given(st.lists(DECISION_ANSWERS, max_size=4), st.integers(0, 99))
def test_a_plain_batch_answer_dumps_as_the_schema_dumps_it(
    results: list[dict[str, Any]], position: int
) -> None:
    answer = {"results": results, "position": position}
    plain = dump_batch(answer)
    if plain is not None:
        assert json.dumps(plain) == json.dumps(schema_dump(BatchSchema(), answer))


def test_the_common_answers_take_the_plain_path() -> None:
    decision = {
        "allowed": False,
        "reasons": ["quiet_hours"],
        "template_version": 1,
        "next_allowed_at": "2026-11-25T06:00:00Z",
    }
    assert dump_decision({**decision, "position": 7}) == {**decision, "position": 7}
    assert dump_batch({"results": [decision], "position": 7}) is not None
    authorization = {
        "authorization_id": "auth_1",
        "allowed": True,
        "template_version": 1,
        "receipt": "eyJ.x.y",
        "position": 8,
    }
    assert dump_authorization(authorization) == authorization
    arm = {
        "experiment": "ab",
        "arm": "a",
        "template": {"name": "s", "language": "ru", "version": 1},
    }
    assert dump_decision({**decision, **arm, "position": 7}) == {**decision, **arm, "position": 7}
    assert dump_authorization({**authorization, **arm}) is not None
    batch = {"results": [decision, {**decision, **arm}], "position": 7}
    assert dump_batch(batch) == batch
    assert json.dumps(dump_batch(batch)) == json.dumps(schema_dump(BatchSchema(), batch))
