"""R-POLICY: the tenant's policy document, its defaults and its validation."""

from __future__ import annotations

from datetime import time
from typing import Any

import pytest

from registry.domain.policy import Policy, PolicyInvalid, SendWindow

SPEC_DEFAULTS: dict[str, Any] = {
    "display_name": "acme",
    "timezone": "Europe/Moscow",
    "send_window": {"start": "09:00", "end": "21:00"},
    "send_days": ["mon", "tue", "wed", "thu", "fri"],
    "holidays": "RU",
    "marketing_daily_limit": 2,
    "service_window_hours": 24,
    "lint": {"max_emoji": 3},
    "confirmation_days": "30",  # §17; the stored form is decimal text (no floats in events)
    # SPEC §12's defaults; rates are stored as decimal strings (no floats in events)
    "feedback": {
        "attribution_hours": 72,
        "window_days": 7,
        "min_delivered": 200,
        "template_pause_complaint_rate": "0.005",
        "template_pause_opt_out_rate": "0.02",
        "tenant_warn_complaint_rate": "0.001",
        "marketing_daily_customers": None,
    },
    "pilot": None,  # §19: no pilot by default
}


def details_of(doc: dict[str, Any]) -> dict[str, list[str]]:
    with pytest.raises(PolicyInvalid) as caught:
        Policy.from_document(doc, tenant="acme")
    return caught.value.details


def test_default_policy_document_is_exactly_the_spec_defaults() -> None:
    assert Policy.default("acme").to_document() == SPEC_DEFAULTS


def test_default_display_name_is_the_tenant_id() -> None:
    assert Policy.default("shop-42").display_name == "shop-42"


def test_empty_document_gives_the_default_policy() -> None:
    assert Policy.from_document({}, tenant="acme") == Policy.default("acme")


def test_left_out_fields_take_their_defaults() -> None:
    policy = Policy.from_document({"timezone": "Asia/Yekaterinburg"}, tenant="acme")

    assert policy.to_document() == {**SPEC_DEFAULTS, "timezone": "Asia/Yekaterinburg"}


def test_empty_lint_section_keeps_the_default_max_emoji() -> None:
    assert Policy.from_document({"lint": {}}, tenant="acme").max_emoji == 3


def test_null_send_window_means_any_time_of_day() -> None:
    assert Policy.from_document({"send_window": None}, tenant="acme").send_window is None


def test_null_holidays_and_limit_mean_none() -> None:
    policy = Policy.from_document({"holidays": None, "marketing_daily_limit": None}, tenant="acme")

    assert (policy.holidays, policy.marketing_daily_limit) == (None, None)


def test_send_days_are_kept_in_week_order() -> None:
    policy = Policy.from_document({"send_days": ["sun", "mon", "wed"]}, tenant="acme")

    assert policy.send_days == ("mon", "wed", "sun")


def test_window_over_midnight_is_accepted() -> None:
    policy = Policy.from_document({"send_window": {"start": "21:00", "end": "09:00"}}, tenant="a")

    assert policy.send_window == SendWindow(time(21, 0), time(9, 0))
    assert policy.send_window.wraps_midnight


def test_zero_daily_limit_is_accepted() -> None:
    assert Policy.from_document({"marketing_daily_limit": 0}, tenant="a").marketing_daily_limit == 0


def test_zone_property_is_the_policy_time_zone() -> None:
    assert Policy.default("acme").zone.key == "Europe/Moscow"


def test_full_document_round_trips() -> None:
    doc = {
        "display_name": "Магазин «Ромашка»",
        "timezone": "America/New_York",
        "send_window": {"start": "22:30", "end": "07:15"},
        "send_days": ["sat", "sun"],
        "holidays": "US",
        "marketing_daily_limit": None,
        "service_window_hours": 720,
        "lint": {"max_emoji": 0},
        "confirmation_days": "0.75",
        "feedback": {
            "attribution_hours": 24,
            "window_days": 3,
            "min_delivered": 5,
            "template_pause_complaint_rate": "0.25",
            "template_pause_opt_out_rate": "1",
            "tenant_warn_complaint_rate": "0.0001",
            "marketing_daily_customers": 250,
        },
        "pilot": {"customers": 50, "categories": ["MARKETING", "UTILITY"]},
    }

    assert Policy.from_document(doc, tenant="acme").to_document() == doc


def test_policy_round_trips_through_its_document() -> None:
    policy = Policy.from_document(
        {"send_window": None, "send_days": ["tue"], "holidays": None}, tenant="acme"
    )

    assert Policy.from_document(policy.to_document(), tenant="other") == policy


def test_unknown_top_level_field_is_refused() -> None:
    assert details_of({"colour": "red"}) == {"colour": ["unknown field"]}


def test_unknown_send_window_field_is_refused() -> None:
    doc = {"send_window": {"start": "09:00", "end": "21:00", "tz": "UTC"}}

    assert details_of(doc) == {"send_window.tz": ["unknown field"]}


def test_unknown_lint_field_is_refused() -> None:
    assert details_of({"lint": {"max_emoji": 3, "max_caps": 2}}) == {
        "lint.max_caps": ["unknown field"]
    }


def test_non_object_document_is_refused() -> None:
    assert list(details_of(["timezone"])) == ["_schema"]  # type: ignore[arg-type]


def test_unknown_time_zone_is_named() -> None:
    assert list(details_of({"timezone": "Mars/Olympus_Mons"})) == ["timezone"]


def test_non_string_time_zone_is_named() -> None:
    assert list(details_of({"timezone": 3})) == ["timezone"]


def test_unknown_day_name_is_named_by_its_index() -> None:
    assert list(details_of({"send_days": ["mon", "funday"]})) == ["send_days.1"]


def test_capitalised_day_name_is_refused() -> None:
    assert list(details_of({"send_days": ["Mon"]})) == ["send_days.0"]


def test_duplicate_day_is_named() -> None:
    details = details_of({"send_days": ["mon", "tue", "mon"]})

    assert details == {"send_days.2": ["duplicate day 'mon'"]}


def test_empty_send_days_is_refused() -> None:
    assert list(details_of({"send_days": []})) == ["send_days"]


def test_send_days_that_is_not_a_list_is_refused() -> None:
    assert list(details_of({"send_days": "mon"})) == ["send_days"]


@pytest.mark.parametrize("value", ["9:00", "24:00", "09:60", "0900", "09:00:00", "", 900, None])
def test_unparseable_window_start_is_named(value: object) -> None:
    assert list(details_of({"send_window": {"start": value, "end": "21:00"}})) == [
        "send_window.start"
    ]


def test_missing_window_end_is_named() -> None:
    assert list(details_of({"send_window": {"start": "09:00"}})) == ["send_window.end"]


def test_empty_window_is_refused() -> None:
    assert list(details_of({"send_window": {"start": "10:00", "end": "10:00"}})) == ["send_window"]


def test_send_window_that_is_not_an_object_is_refused() -> None:
    assert list(details_of({"send_window": "09:00-21:00"})) == ["send_window"]


@pytest.mark.parametrize("value", [-1, 2.0, "2", True, 1_000_001])
def test_invalid_daily_limit_is_named(value: object) -> None:
    assert list(details_of({"marketing_daily_limit": value})) == ["marketing_daily_limit"]


@pytest.mark.parametrize("value", [0, 721, -5, 24.0, "24", False, None])
def test_service_window_hours_outside_1_to_720_is_named(value: object) -> None:
    assert list(details_of({"service_window_hours": value})) == ["service_window_hours"]


@pytest.mark.parametrize("value", [-1, 1.5, "3", True, None])
def test_invalid_max_emoji_is_named(value: object) -> None:
    assert list(details_of({"lint": {"max_emoji": value}})) == ["lint.max_emoji"]


def test_lint_that_is_not_an_object_is_refused() -> None:
    assert list(details_of({"lint": 3})) == ["lint"]


@pytest.mark.parametrize("value", ["XX", "ru", "RUS", "", 7])
def test_holiday_country_unknown_to_the_calendar_is_named(value: object) -> None:
    assert list(details_of({"holidays": value})) == ["holidays"]


@pytest.mark.parametrize("value", ["", "x" * 201, "   ", "bad\nname", None, 5])
def test_invalid_display_name_is_named(value: object) -> None:
    assert list(details_of({"display_name": value})) == ["display_name"]


def test_display_name_of_200_characters_is_accepted() -> None:
    assert Policy.from_document({"display_name": "x" * 200}, tenant="a").display_name == "x" * 200


def test_every_invalid_value_is_reported_at_once() -> None:
    details = details_of(
        {
            "display_name": "",
            "timezone": "Nowhere/City",
            "send_window": {"start": "25:00", "end": "nine"},
            "send_days": ["mon", "mon", "xyz"],
            "holidays": "ZZ",
            "marketing_daily_limit": -1,
            "service_window_hours": 0,
            "lint": {"max_emoji": -2, "extra": 1},
            "surprise": True,
        }
    )

    assert set(details) == {
        "display_name",
        "timezone",
        "send_window.start",
        "send_window.end",
        "send_days.1",
        "send_days.2",
        "holidays",
        "marketing_daily_limit",
        "service_window_hours",
        "lint.max_emoji",
        "lint.extra",
        "surprise",
    }
