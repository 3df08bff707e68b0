"""The one rule a send's statuses count by (registry/domain/outcome_counts.py)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from registry.domain.outcome_counts import counted_as, send_counts
from registry.domain.send import OUTCOME_STATUSES

statuses = st.lists(st.sampled_from(OUTCOME_STATUSES), max_size=12)


def test_a_read_send_whose_sent_and_delivered_statuses_never_came_counts_as_both() -> None:
    assert send_counts({"read"}, OUTCOME_STATUSES) == {"sent", "delivered", "read"}


def test_a_failed_send_counts_as_failed_only() -> None:
    assert send_counts({"failed"}, OUTCOME_STATUSES) == {"failed"}


@given(statuses)
def test_counting_statuses_one_by_one_in_any_order_counts_the_set_once(
    arrived: list[str],
) -> None:
    counted: list[str] = []
    for status in arrived:
        counted += [n for n in counted_as(status, OUTCOME_STATUSES) if n not in counted]
    assert sorted(counted) == sorted(send_counts(set(arrived), OUTCOME_STATUSES))


@given(statuses)
def test_every_delivered_send_is_also_a_sent_one(arrived: list[str]) -> None:
    names = send_counts(set(arrived), OUTCOME_STATUSES)
    assert "delivered" not in names or "sent" in names
