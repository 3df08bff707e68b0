"""R-EXPERIMENT assignment (SPEC §13): the formula, cumulative weights in order, control last."""

from __future__ import annotations

import hashlib

from hypothesis import given
from hypothesis import strategies as st

from registry.domain.rules.assignment import (
    CONTROL,
    arm_for_bucket,
    assign_arm,
    assignment_bucket,
)

text = st.text(min_size=1, max_size=40)


@st.composite
def weighted_arms(draw: st.DrawFn) -> list[tuple[str, int]]:
    count = draw(st.integers(min_value=2, max_value=8))
    left = 100
    arms = []
    for index in range(count):
        weight = draw(st.integers(min_value=0, max_value=left))
        left -= weight
        arms.append((f"arm{index}", weight))
    return arms


@given(text, text, text)
def test_bucket_is_the_first_8_bytes_of_the_sha256_big_endian_modulo_100(
    tenant: str, experiment: str, customer_id: str
) -> None:
    digest = hashlib.sha256((tenant + ":" + experiment + ":" + customer_id).encode("utf-8"))
    first8 = digest.hexdigest()[:16]
    assert assignment_bucket(tenant, experiment, customer_id) == int(first8, 16) % 100


@given(weighted_arms(), st.integers(min_value=0, max_value=99))
def test_bucket_falls_into_the_cumulative_weights_in_order_with_control_last(
    arms: list[tuple[str, int]], bucket: int
) -> None:
    slots = [name for name, weight in arms for _ in range(weight)]
    slots += [CONTROL] * (100 - len(slots))
    assert arm_for_bucket(bucket, arms) == slots[bucket]


@given(text, text, weighted_arms())
def test_a_customer_keeps_their_arm(
    experiment: str, customer_id: str, arms: list[tuple[str, int]]
) -> None:
    first = assign_arm("tenant", experiment, customer_id, arms)
    assert all(assign_arm("tenant", experiment, customer_id, arms) == first for _ in range(3))


def test_a_known_customer_lands_in_the_bucket_of_coreutils_sha256sum() -> None:
    # `printf 't:exp:c1' | sha256sum` = ef8660375547ace0…; 0xef8660375547ace0 % 100 = 56
    assert assignment_bucket("t", "exp", "c1") == 0xEF8660375547ACE0 % 100 == 56
    assert arm_for_bucket(56, [("a", 50), ("b", 40)]) == "b"
    assert arm_for_bucket(56, [("a", 30), ("b", 20)]) == CONTROL
