"""SPEC §13, §19: the policy's `pilot` section, its defaults and its validation."""

from __future__ import annotations

from typing import Any

import pytest

from registry.domain.pilot import Pilot
from registry.domain.policy import Policy, PolicyInvalid


def details_of(pilot: Any) -> dict[str, list[str]]:
    with pytest.raises(PolicyInvalid) as caught:
        Policy.from_document({"pilot": pilot}, tenant="acme")
    return caught.value.details


def test_a_new_tenant_has_no_pilot() -> None:
    assert Policy.default("acme").pilot is None


def test_null_pilot_is_no_pilot() -> None:
    assert Policy.from_document({"pilot": None}, tenant="acme").pilot is None


def test_the_spec_example_reads_as_given() -> None:
    policy = Policy.from_document(
        {"pilot": {"customers": 500, "categories": ["MARKETING"]}}, tenant="acme"
    )

    assert policy.pilot == Pilot(customers=500, categories=("MARKETING",))


def test_members_left_out_take_their_defaults() -> None:
    assert Policy.from_document({"pilot": {}}, tenant="acme").pilot == Pilot(500, ("MARKETING",))


def test_categories_are_kept_in_the_vocabulary_order() -> None:
    policy = Policy.from_document({"pilot": {"categories": ["UTILITY", "MARKETING"]}}, tenant="a")

    assert policy.pilot is not None
    assert policy.pilot.categories == ("MARKETING", "UTILITY")


def test_pilot_round_trips_through_the_stored_document() -> None:
    policy = Policy.from_document({"pilot": {"customers": 7}}, tenant="acme")

    assert policy.to_document()["pilot"] == {"customers": 7, "categories": ["MARKETING"]}
    assert Policy.from_document(policy.to_document(), tenant="acme") == policy


@pytest.mark.parametrize("customers", [0, -1, 1_000_001, 2.0, True, "500", None])
def test_customers_must_be_a_whole_number_from_one_to_a_million(customers: Any) -> None:
    assert details_of({"customers": customers}) == {
        "pilot.customers": ["must be an integer from 1 to 1000000"]
    }


def test_unknown_member_is_refused_by_name() -> None:
    assert details_of({"customers": 5, "size": 5}) == {"pilot.size": ["unknown field"]}


def test_a_pilot_that_is_not_an_object_is_refused() -> None:
    assert list(details_of(500)) == ["pilot"]


@pytest.mark.parametrize("categories", [[], "MARKETING", None])
def test_categories_must_be_a_non_empty_list(categories: Any) -> None:
    assert list(details_of({"categories": categories})) == ["pilot.categories"]


def test_an_unknown_or_repeated_category_is_named_by_its_index() -> None:
    details = details_of({"categories": ["MARKETING", "marketing", "MARKETING"]})

    assert details == {
        "pilot.categories.1": ["unknown category 'marketing'"],
        "pilot.categories.2": ["duplicate category 'MARKETING'"],
    }
