import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from registry.integrations.whatsapp import (
    Change,
    InboundMessage,
    MarketingStoppedByError,
    MessageStatus,
    PreferenceChanged,
    TemplateCategoryChanged,
    TemplateQualityChanged,
    TemplateStatusChanged,
    Unrecognised,
    parse_webhook,
    signature_is_valid,
)
from tests.helpers import webhook_signature

FIXTURES = Path(__file__).parent.parent / "fixtures" / "whatsapp"
FIXTURE_NAMES = sorted(path.stem for path in FIXTURES.glob("*.json"))


def load(name: str) -> Any:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


def only(changes: list[Change]) -> Change:
    assert len(changes) == 1, changes
    return changes[0]


def first_value(payload: Any) -> Any:
    return payload["entry"][0]["changes"][0]["value"]


# Templates


def test_approved_status_update_becomes_a_template_status_change() -> None:
    change = only(parse_webhook(load("template_status_approved")))
    assert change == TemplateStatusChanged(
        dedupe_key=change.dedupe_key,
        occurred_at=datetime(2026, 1, 1, 9, 0, tzinfo=UTC),
        name="spring_sale_offer",
        language="ru",
        status="APPROVED",
        reason="NONE",
        template_id="1120490038245571",
        category="MARKETING",
    )


def test_paused_status_carries_the_pause_title_and_description() -> None:
    change = only(parse_webhook(load("template_status_paused")))
    assert isinstance(change, TemplateStatusChanged)
    assert (change.status, change.other_info_title) == ("PAUSED", "FIRST_PAUSE")
    assert change.other_info_description is not None


def test_rejected_status_carries_the_rejection_reason() -> None:
    change = only(parse_webhook(load("template_status_rejected")))
    assert isinstance(change, TemplateStatusChanged)
    assert (change.status, change.reason) == ("REJECTED", "INVALID_FORMAT")


def test_status_scheduled_for_deletion_may_have_a_null_reason() -> None:
    payload = load("template_status_approved")
    first_value(payload).update(event="PENDING_DELETION", reason=None)
    change = only(parse_webhook(payload))
    assert isinstance(change, TemplateStatusChanged)
    assert (change.status, change.reason) == ("PENDING_DELETION", None)


def test_template_id_sent_as_a_string_is_kept_as_the_same_string() -> None:
    payload = load("template_status_approved")
    first_value(payload)["message_template_id"] = "1120490038245571"
    assert only(parse_webhook(payload)) == only(parse_webhook(load("template_status_approved")))


def test_quality_update_carries_the_new_and_previous_score() -> None:
    change = only(parse_webhook(load("template_quality_red")))
    assert isinstance(change, TemplateQualityChanged)
    assert (change.name, change.language, change.quality, change.previous) == (
        "spring_sale_offer",
        "ru",
        "RED",
        "GREEN",
    )


def test_unknown_quality_score_is_unrecognised() -> None:
    payload = load("template_quality_red")
    first_value(payload)["new_quality_score"] = "PURPLE"
    change = only(parse_webhook(payload))
    assert isinstance(change, Unrecognised)
    assert change.field == "message_template_quality_update"


def test_completed_category_change_carries_the_new_and_previous_category() -> None:
    change = only(parse_webhook(load("template_category_completed")))
    assert isinstance(change, TemplateCategoryChanged)
    assert (change.new_category, change.previous_category, change.language) == (
        "MARKETING",
        "UTILITY",
        "en_US",
    )


def test_advance_notice_of_a_category_change_is_ignored() -> None:
    assert parse_webhook(load("template_category_impending")) == []


def test_hyphen_and_underscore_language_codes_name_the_same_language() -> None:
    status, quality = parse_webhook(load("language_variants"))
    assert isinstance(status, TemplateStatusChanged)
    assert isinstance(quality, TemplateQualityChanged)
    assert status.language == quality.language == "en_US"


def test_template_event_without_a_name_is_unrecognised() -> None:
    payload = load("template_status_approved")
    del first_value(payload)["message_template_name"]
    change = only(parse_webhook(payload))
    assert isinstance(change, Unrecognised)
    assert "name" in change.reason


# Inbound messages


def test_text_message_names_the_customer_by_phone_and_user_id() -> None:
    change = only(parse_webhook(load("message_text")))
    assert isinstance(change, InboundMessage)
    assert (change.wa_id, change.user_id, change.text) == (
        "79161234567",
        "RU.7318402265519048822",
        "СТОП",
    )


def test_message_timestamp_string_becomes_a_utc_received_at() -> None:
    change = only(parse_webhook(load("message_text")))
    assert isinstance(change, InboundMessage)
    assert change.received_at == change.occurred_at == datetime(2026, 1, 1, 10, 10, tzinfo=UTC)


def test_message_timestamp_as_an_integer_is_read_the_same() -> None:
    payload = load("message_text")
    first_value(payload)["messages"][0]["timestamp"] = 1767262200
    assert only(parse_webhook(payload)) == only(parse_webhook(load("message_text")))


def test_message_with_an_unreadable_timestamp_falls_back_to_the_entry_time() -> None:
    payload = load("message_text")
    payload["entry"][0]["time"] = 1767262000
    first_value(payload)["messages"][0]["timestamp"] = "yesterday"
    change = only(parse_webhook(payload))
    assert change.occurred_at == datetime(2026, 1, 1, 10, 6, 40, tzinfo=UTC)


def test_message_from_a_user_without_a_phone_has_only_a_user_id() -> None:
    change = only(parse_webhook(load("message_user_id_only")))
    assert isinstance(change, InboundMessage)
    assert (change.wa_id, change.user_id) == (None, "US.13491208655302741918")


def test_user_id_is_taken_from_the_matching_contact_when_the_message_lacks_it() -> None:
    payload = load("message_text")
    del first_value(payload)["messages"][0]["from_user_id"]
    change = only(parse_webhook(payload))
    assert isinstance(change, InboundMessage)
    assert change.user_id == "RU.7318402265519048822"


def test_a_contact_for_another_phone_lends_the_message_nothing() -> None:
    payload = load("message_text")
    message = first_value(payload)["messages"][0]
    del message["from_user_id"]
    message["from"] = "79990000000"
    change = only(parse_webhook(payload))
    assert isinstance(change, InboundMessage)
    assert (change.wa_id, change.user_id, change.profile_name) == ("79990000000", None, None)


def test_profile_name_comes_from_the_contact() -> None:
    change = only(parse_webhook(load("message_text")))
    assert isinstance(change, InboundMessage)
    assert change.profile_name == "Анна Смирнова"


def test_stop_promotions_quick_reply_is_flagged() -> None:
    change = only(parse_webhook(load("message_button_stop_promotions")))
    assert isinstance(change, InboundMessage)
    assert change.is_stop_promotions
    assert change.text == "Stop promotions"


def test_stop_promotions_payload_is_recognised_under_a_localised_label() -> None:
    payload = load("message_button_stop_promotions")
    first_value(payload)["messages"][0]["button"]["text"] = "Остановить рекламу"
    first_value(payload)["messages"][0]["button"]["payload"] = "STOP PROMOTIONS"
    change = only(parse_webhook(payload))
    assert isinstance(change, InboundMessage)
    assert change.is_stop_promotions


def test_russian_stop_promotions_label_alone_is_recognised() -> None:
    payload = load("message_button_stop_promotions")
    first_value(payload)["messages"][0]["button"] = {"text": "Отписаться от рекламы"}
    change = only(parse_webhook(payload))
    assert isinstance(change, InboundMessage)
    assert change.is_stop_promotions


def test_ordinary_reply_button_gives_its_title_as_text_and_is_not_stop_promotions() -> None:
    change = only(parse_webhook(load("message_interactive_button_reply")))
    assert isinstance(change, InboundMessage)
    assert (change.text, change.is_stop_promotions) == ("Перенести доставку", False)


def test_interactive_reply_with_the_stop_promotions_id_is_flagged() -> None:
    payload = load("message_interactive_button_reply")
    reply = first_value(payload)["messages"][0]["interactive"]["button_reply"]
    reply.update(id="stop promotions", title="Больше не присылать")
    change = only(parse_webhook(payload))
    assert isinstance(change, InboundMessage)
    assert change.is_stop_promotions


def test_a_plain_text_keyword_is_not_stop_promotions() -> None:
    change = only(parse_webhook(load("message_text")))
    assert isinstance(change, InboundMessage)
    assert not change.is_stop_promotions


def test_media_message_without_text_is_still_an_inbound_message() -> None:
    payload = load("message_text")
    message = first_value(payload)["messages"][0]
    del message["text"]
    message.update(type="image", image={"id": "1003383421387256", "mime_type": "image/jpeg"})
    change = only(parse_webhook(payload))
    assert isinstance(change, InboundMessage)
    assert (change.text, change.message_type) == (None, "image")


def test_message_without_an_id_is_unrecognised() -> None:
    payload = load("message_text")
    del first_value(payload)["messages"][0]["id"]
    change = only(parse_webhook(payload))
    assert isinstance(change, Unrecognised)
    assert change.field == "messages"


def test_message_that_names_no_customer_is_unrecognised() -> None:
    payload = load("message_user_id_only")
    value = first_value(payload)
    del value["messages"][0]["from_user_id"]
    del value["contacts"]
    assert isinstance(only(parse_webhook(payload)), Unrecognised)


def test_good_messages_are_kept_next_to_a_malformed_one() -> None:
    payload = load("message_text")
    first_value(payload)["messages"].append({"from": "79161234567", "type": "text"})
    inbound, unrecognised = parse_webhook(payload)
    assert isinstance(inbound, InboundMessage)
    assert isinstance(unrecognised, Unrecognised)


def test_system_preference_message_becomes_a_preference_change() -> None:
    change = only(parse_webhook(load("system_user_preference_changed")))
    assert isinstance(change, PreferenceChanged)
    assert (change.wa_id, change.category, change.value) == (
        "16505551234",
        "marketing_messages",
        "stop",
    )


def test_other_system_messages_are_unrecognised() -> None:
    payload = load("system_user_preference_changed")
    first_value(payload)["messages"][0]["system"] = {
        "body": "User Sheena Nelson changed from 16505551234 to 16505550000",
        "wa_id": "16505550000",
        "type": "user_changed_number",
    }
    assert isinstance(only(parse_webhook(payload)), Unrecognised)


# Statuses


def stop_of(changes: list[Change]) -> Change:
    """The marketing stop of a 131050 status (it also yields the failed outcome)."""
    return only([c for c in changes if not isinstance(c, MessageStatus)])


def test_status_with_error_131050_stops_marketing_for_the_recipient() -> None:
    change = stop_of(parse_webhook(load("status_failed_131050")))
    assert change == MarketingStoppedByError(
        dedupe_key="status:wamid.HBgLNzkxNjEyMzQ1NjcVAgARGBI3RkE2QzM4QjQ1RDk2MkE0MUQA:failed",
        occurred_at=datetime(2026, 1, 2, 13, 0, tzinfo=UTC),
        wa_id="79161234567",
        user_id=None,
        message_id="wamid.HBgLNzkxNjEyMzQ1NjcVAgARGBI3RkE2QzM4QjQ1RDk2MkE0MUQA",
    )


def test_error_code_131050_sent_as_a_string_is_recognised() -> None:
    payload = load("status_failed_131050")
    first_value(payload)["statuses"][0]["errors"][0]["code"] = "131050"
    assert isinstance(stop_of(parse_webhook(payload)), MarketingStoppedByError)


def test_131050_for_a_message_sent_to_a_user_id_names_the_user_id() -> None:
    payload = load("status_failed_131050")
    first_value(payload)["statuses"][0]["recipient_id"] = "US.13491208655302741918"
    change = stop_of(parse_webhook(payload))
    assert isinstance(change, MarketingStoppedByError)
    assert (change.wa_id, change.user_id) == (None, "US.13491208655302741918")


def test_a_status_with_error_131050_is_also_a_failed_outcome() -> None:
    outcomes = [
        c for c in parse_webhook(load("status_failed_131050")) if isinstance(c, MessageStatus)
    ]
    assert [(o.status, o.error_codes) for o in outcomes] == [("failed", ("131050",))]


def test_every_status_is_an_outcome_with_its_error_codes_and_recipient() -> None:
    changes = parse_webhook(load("statuses_delivered_and_other_error"))
    assert changes == [
        MessageStatus(
            dedupe_key="outcome:wamid.HBgLNzkwMzExMTIyMzMVAgARGBJCNkY5NTBENEU3ODYxQTM3RUQA:delivered",
            occurred_at=datetime(2026, 1, 2, 14, 0, tzinfo=UTC),
            wa_id="79031112233",
            user_id="RU.2210938475561029384",
            message_id="wamid.HBgLNzkwMzExMTIyMzMVAgARGBJCNkY5NTBENEU3ODYxQTM3RUQA",
            status="delivered",
            error_codes=(),
        ),
        MessageStatus(
            dedupe_key="outcome:wamid.HBgLNzkwMzExMTIyMzMVAgARGBI5QjZCMjA0QUFCRDc2MUY4NTgA:failed",
            occurred_at=datetime(2026, 1, 2, 14, 1, tzinfo=UTC),
            wa_id="79031112233",
            user_id="RU.2210938475561029384",
            message_id="wamid.HBgLNzkwMzExMTIyMzMVAgARGBI5QjZCMjA0QUFCRDc2MUY4NTgA",
            status="failed",
            error_codes=("131049",),
        ),
    ]


def test_a_status_of_a_kind_not_handled_is_kept_for_inspection() -> None:
    payload = load("statuses_delivered_and_other_error")
    first_value(payload)["statuses"][0]["status"] = "held_for_quality_assessment"
    changes = parse_webhook(payload)
    assert [type(c).__name__ for c in changes] == ["MessageStatus", "Unrecognised"]


def test_app_level_errors_in_a_messages_change_are_ignored() -> None:
    payload = load("status_failed_131050")
    value = first_value(payload)
    del value["statuses"]
    value["errors"] = [{"code": 130429, "title": "Rate limit hit", "message": "Rate limit hit"}]
    assert parse_webhook(payload) == []


def test_messages_change_with_nothing_in_it_is_unrecognised() -> None:
    payload = load("status_failed_131050")
    del first_value(payload)["statuses"]
    assert isinstance(only(parse_webhook(payload)), Unrecognised)


# User preferences


def test_user_preference_stop_becomes_a_preference_change() -> None:
    change = only(parse_webhook(load("user_preferences_stop")))
    assert change == PreferenceChanged(
        dedupe_key=change.dedupe_key,
        occurred_at=datetime(2026, 1, 2, 15, 0, tzinfo=UTC),
        wa_id="79161234567",
        user_id="RU.7318402265519048822",
        category="marketing_messages",
        value="stop",
        detail="User requested to stop marketing messages",
    )


def test_user_preference_resume_is_reported_as_resume() -> None:
    change = only(parse_webhook(load("user_preferences_resume")))
    assert isinstance(change, PreferenceChanged)
    assert (change.wa_id, change.value) == ("16505551234", "resume")


def test_user_preference_without_a_value_is_unrecognised() -> None:
    payload = load("user_preferences_stop")
    del first_value(payload)["user_preferences"][0]["value"]
    assert isinstance(only(parse_webhook(payload)), Unrecognised)


# Batches and what is not understood


def test_mixed_batch_yields_each_understood_change_in_order() -> None:
    kinds = [type(change) for change in parse_webhook(load("mixed_batch"))]
    assert kinds == [
        TemplateStatusChanged,
        InboundMessage,
        InboundMessage,
        MarketingStoppedByError,
        MessageStatus,  # the 131050 failure, as an outcome
        MessageStatus,  # a read
        PreferenceChanged,
        Unrecognised,
    ]


def test_unknown_field_is_unrecognised_under_its_field_name() -> None:
    change = only(parse_webhook(load("unknown_field")))
    assert isinstance(change, Unrecognised)
    assert change.field == "account_update"


def test_unrecognised_raw_is_an_envelope_that_parses_to_the_same_result() -> None:
    change = only(parse_webhook(load("unknown_field")))
    assert isinstance(change, Unrecognised)
    assert parse_webhook(change.raw) == [change]


def test_unrecognised_change_keeps_the_entry_id_and_time() -> None:
    change = only(parse_webhook(load("unknown_field")))
    assert isinstance(change, Unrecognised)
    entry = change.raw["entry"][0]  # type: ignore[index]
    assert (entry["id"], entry["time"]) == ("104812745520931", 1767380400)


@pytest.mark.parametrize("payload", [None, 3, "text", [], [{"object": "page"}], True])
def test_payload_that_is_not_an_object_yields_one_unrecognised_with_it(payload: object) -> None:
    change = only(parse_webhook(payload))
    assert isinstance(change, Unrecognised)
    assert change.raw == {"payload": payload}


def test_payload_for_another_object_yields_one_unrecognised_with_the_raw_payload() -> None:
    payload = load("mixed_batch") | {"object": "instagram"}
    change = only(parse_webhook(payload))
    assert isinstance(change, Unrecognised)
    assert change.raw == payload


@pytest.mark.parametrize("entry", [None, [], {}, "entry"])
def test_payload_without_an_entry_list_yields_one_unrecognised(entry: object) -> None:
    payload = {"object": "whatsapp_business_account", "entry": entry}
    assert isinstance(only(parse_webhook(payload)), Unrecognised)


@pytest.mark.parametrize("entry", [{"id": "1"}, {"id": "1", "changes": []}, "entry", 7])
def test_entry_without_changes_yields_one_unrecognised(entry: object) -> None:
    payload = {"object": "whatsapp_business_account", "entry": [entry]}
    assert isinstance(only(parse_webhook(payload)), Unrecognised)


@pytest.mark.parametrize("value", [None, [], "text", 1])
def test_change_whose_value_is_not_an_object_is_unrecognised(value: object) -> None:
    payload = load("template_status_approved")
    payload["entry"][0]["changes"][0]["value"] = value
    assert isinstance(only(parse_webhook(payload)), Unrecognised)


# Redelivery


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_redelivered_payload_yields_identical_dedupe_keys(name: str) -> None:
    first = [change.dedupe_key for change in parse_webhook(load(name))]
    again = [change.dedupe_key for change in parse_webhook(load(name))]
    assert first == again


def test_distinct_changes_in_a_batch_have_distinct_keys() -> None:
    keys = [change.dedupe_key for change in parse_webhook(load("mixed_batch"))]
    assert len(set(keys)) == len(keys)


def test_the_same_template_event_at_a_later_time_is_a_new_change() -> None:
    later = load("template_status_approved")
    later["entry"][0]["time"] += 3600
    first = only(parse_webhook(load("template_status_approved")))
    assert first.dedupe_key != only(parse_webhook(later)).dedupe_key


def test_a_later_pause_of_the_same_template_is_a_new_change() -> None:
    paused = load("template_status_paused")
    again = copy.deepcopy(paused)
    again["entry"][0]["time"] = 1767373200
    first_value(again)["other_info"]["title"] = "SECOND_PAUSE"
    assert only(parse_webhook(paused)).dedupe_key != only(parse_webhook(again)).dedupe_key


def test_key_order_in_the_json_does_not_change_the_keys() -> None:
    payload = load("mixed_batch")
    reordered = json.loads(json.dumps(payload, sort_keys=True))
    assert [c.dedupe_key for c in parse_webhook(payload)] == [
        c.dedupe_key for c in parse_webhook(reordered)
    ]


# Property tests

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=25,
)
FIELDS = [
    "messages",
    "message_template_status_update",
    "message_template_quality_update",
    "template_category_update",
    "user_preferences",
    "account_update",
]
KEYS = [
    "messages", "statuses", "errors", "contacts", "user_preferences", "from", "from_user_id",
    "id", "timestamp", "type", "text", "button", "interactive", "system", "recipient_id",
    "code", "event", "message_template_name", "message_template_language",
    "message_template_id", "new_quality_score", "new_category", "correct_category",
    "category", "value", "wa_id", "user_id", "profile", "body", "payload", "title",
]  # fmt: skip
shaped = st.recursive(
    json_values,
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.sampled_from(KEYS), children, max_size=6)
    ),
    max_leaves=30,
)
changes = st.fixed_dictionaries(
    {"value": shaped}, optional={"field": st.sampled_from(FIELDS) | json_values}
)
envelopes = st.fixed_dictionaries(
    {
        "object": st.just("whatsapp_business_account"),
        "entry": st.lists(
            st.fixed_dictionaries(
                {"changes": st.lists(changes, max_size=3)},
                optional={"id": json_values, "time": st.integers() | st.text(max_size=12)},
            ),
            max_size=3,
        ),
    }
)


@given(json_values)
def test_parse_never_raises_on_any_json_value(payload: object) -> None:
    parse_webhook(payload)


@given(envelopes)
def test_parse_never_raises_on_envelopes_with_arbitrary_changes(payload: object) -> None:
    parse_webhook(payload)


@given(envelopes)
def test_every_change_has_a_key_and_a_utc_time_or_none(payload: object) -> None:
    for change in parse_webhook(payload):
        assert change.dedupe_key
        assert change.occurred_at is None or change.occurred_at.utcoffset() is not None


@given(envelopes)
def test_a_json_round_trip_of_a_payload_yields_the_same_keys(payload: object) -> None:
    redelivered = json.loads(json.dumps(payload))
    assert [c.dedupe_key for c in parse_webhook(payload)] == [
        c.dedupe_key for c in parse_webhook(redelivered)
    ]


def paths(value: object, prefix: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    found = [prefix]
    items = (
        value.items()
        if isinstance(value, dict)
        else enumerate(value)
        if isinstance(value, list)
        else []
    )
    for key, child in items:
        found += paths(child, (*prefix, key))
    return found


def mutated(name: str, path: tuple[object, ...], replacement: object) -> Any:
    payload = load(name)
    parent = payload
    for key in path[:-1]:
        parent = parent[key]
    if replacement is DELETE and isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent[path[-1]] = replacement
    return payload


DELETE = object()
mutations = st.sampled_from(FIXTURE_NAMES).flatmap(
    lambda name: st.builds(
        mutated,
        st.just(name),
        st.sampled_from(paths(load(name))[1:]),
        json_values | st.just(DELETE),
    )
)


@settings(max_examples=500)
@given(mutations)
def test_a_realistic_payload_with_any_one_part_changed_is_parsed_without_a_parser_failure(
    payload: object,
) -> None:
    for change in parse_webhook(payload):
        assert not (isinstance(change, Unrecognised) and "parser failed" in change.reason)


# Signature

SECRET = "6f1c0a4e9b2d"
BODY = (FIXTURES / "mixed_batch.json").read_bytes()


def sign(body: bytes, secret: str = SECRET) -> str:
    return webhook_signature(body, secret)


def test_signature_of_the_raw_body_with_the_app_secret_is_valid() -> None:
    assert signature_is_valid(SECRET, BODY, sign(BODY))


def test_signature_hex_case_is_ignored() -> None:
    assert signature_is_valid(SECRET, BODY, sign(BODY).upper().replace("SHA256=", "sha256="))


def test_signature_made_with_another_secret_is_invalid() -> None:
    assert not signature_is_valid(SECRET, BODY, sign(BODY, "another-secret"))


def test_signature_of_a_changed_body_is_invalid() -> None:
    assert not signature_is_valid(SECRET, BODY + b" ", sign(BODY))


def test_missing_signature_is_invalid() -> None:
    assert not signature_is_valid(SECRET, BODY, None)


@pytest.mark.parametrize(
    "header",
    [
        sign(BODY).removeprefix("sha256="),
        sign(BODY).replace("sha256=", "sha1="),
        sign(BODY).replace("sha256=", "SHA256="),
        "sha256=",
        "",
        "sha256=ünïcode",
    ],
)
def test_signature_without_the_sha256_prefix_and_digest_is_invalid(header: str) -> None:
    assert not signature_is_valid(SECRET, BODY, header)


def test_an_empty_app_secret_validates_nothing() -> None:
    assert not signature_is_valid("", BODY, sign(BODY, ""))


@given(st.binary(max_size=64), st.text(max_size=80) | st.none())
def test_signature_check_never_raises(body: bytes, header: str | None) -> None:
    assert isinstance(signature_is_valid(SECRET, body, header), bool)
