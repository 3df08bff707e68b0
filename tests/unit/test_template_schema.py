"""The shape of `POST /v1/templates`: what is a 422, and what loads."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from marshmallow import ValidationError

from registry.api.templates.schemas import TemplateLintSchema, TemplateSubmissionSchema
from registry.domain.lint import LintFinding, lint_template


def russian_marketing() -> dict[str, Any]:
    return {
        "name": "spring_sneakers_sale",
        "language": "ru",
        "category": "MARKETING",
        "purpose": "promotions",
        "components": [
            {"type": "HEADER", "format": "TEXT", "text": "Скидка для вас, {{1}}"},
            {
                "type": "BODY",
                "text": "Здравствуйте, {{1}}! Недавно вы интересовались кроссовками {{2}}. "
                "До воскресенья на них скидка {{3}} 👟",
                "example": {"body_text": [["Анна", "Nike Air", "20%"]]},
            },
            {"type": "FOOTER", "text": "Чтобы отписаться, ответьте СТОП"},
            {
                "type": "BUTTONS",
                "buttons": [
                    {
                        "type": "URL",
                        "text": "Выбрать размер",
                        "url": "https://shop.example/sale/{{1}}",
                        "example": ["https://shop.example/sale/nike-air"],
                    },
                    {"type": "QUICK_REPLY", "text": "Отписаться"},
                ],
            },
        ],
    }


def russian_marketing_with_header_example() -> dict[str, Any]:
    template = russian_marketing()
    template["components"][0]["example"] = {"header_text": ["Анна"]}
    return template


def load(document: object) -> dict[str, Any]:
    result: dict[str, Any] = TemplateSubmissionSchema().load(document)  # type: ignore[arg-type]
    return result


def errors_of(document: object) -> dict[str, Any]:
    with pytest.raises(ValidationError) as caught:
        load(document)
    messages = caught.value.messages
    assert isinstance(messages, dict)
    return messages


def changed(path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    template = russian_marketing_with_header_example()
    target: Any = template
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return template


def removed(path: tuple[Any, ...]) -> dict[str, Any]:
    template = russian_marketing_with_header_example()
    target: Any = template
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]
    return template


# --- what loads ----------------------------------------------------------------------------


def test_realistic_russian_marketing_template_loads_unchanged() -> None:
    template = russian_marketing_with_header_example()

    assert load(copy.deepcopy(template)) == template


def test_realistic_russian_marketing_template_passes_lint() -> None:
    assert lint_template(load(russian_marketing_with_header_example())) == []


def test_loaded_template_is_plain_json() -> None:
    loaded = load(russian_marketing_with_header_example())

    assert json.loads(json.dumps(loaded, ensure_ascii=False)) == loaded


@pytest.mark.parametrize(
    ("given", "stored"), [("en-US", "en_US"), ("en_US", "en_US"), ("ru", "ru"), ("pt-BR", "pt_BR")]
)
def test_language_is_normalised_to_the_platform_form(given: str, stored: str) -> None:
    assert load(changed(("language",), given))["language"] == stored


def test_header_format_defaults_to_text() -> None:
    assert load(removed(("components", 0, "format")))["components"][0]["format"] == "TEXT"


def test_platform_enumerations_are_accepted_in_lower_case() -> None:
    template = changed(("category",), "marketing")
    template["components"][1]["type"] = "body"

    loaded = load(template)

    assert (loaded["category"], loaded["components"][1]["type"]) == ("MARKETING", "BODY")


def test_parameter_format_is_accepted() -> None:
    assert load(changed(("parameter_format",), "NAMED"))["parameter_format"] == "NAMED"


def test_named_placeholder_examples_load() -> None:
    template = changed(
        ("components", 1, "example"),
        {"body_text_named_params": [{"param_name": "first_name", "example": "Анна"}]},
    )

    assert load(template)["components"][1]["example"]["body_text_named_params"] == [
        {"param_name": "first_name", "example": "Анна"}
    ]


def test_media_header_with_handle_loads() -> None:
    template = changed(
        ("components", 0),
        {"type": "HEADER", "format": "IMAGE", "example": {"header_handle": ["4::aW"]}},
    )

    assert load(template)["components"][0]["format"] == "IMAGE"


def test_location_header_loads_without_text() -> None:
    template = changed(("components", 0), {"type": "HEADER", "format": "LOCATION"})

    assert load(template)["components"][0] == {"type": "HEADER", "format": "LOCATION"}


def test_authentication_template_may_leave_body_and_footer_text_to_the_platform() -> None:
    template = {
        "name": "login_code",
        "language": "en_US",
        "category": "AUTHENTICATION",
        "purpose": "authentication",
        "components": [
            {"type": "BODY", "add_security_recommendation": True},
            {"type": "FOOTER", "code_expiration_minutes": 10},
            {"type": "BUTTONS", "buttons": [{"type": "OTP", "otp_type": "COPY_CODE"}]},
        ],
    }

    assert load(copy.deepcopy(template)) == template


def test_copy_code_button_loads_with_its_example_code() -> None:
    template = changed(("components", 3, "buttons", 1), {"type": "COPY_CODE", "example": "SALE20"})

    assert load(template)["components"][3]["buttons"][1] == {
        "type": "COPY_CODE",
        "example": "SALE20",
    }


def test_content_problems_are_left_to_lint() -> None:
    template = changed(("components", 1, "text"), "ДОЛГ!!! " * 500)
    del template["components"][1]["example"]

    assert load(template)["components"][1]["text"].startswith("ДОЛГ")


# --- what is refused -----------------------------------------------------------------------


@pytest.mark.parametrize("field", ["name", "language", "category", "purpose", "components"])
def test_missing_top_level_field_is_named(field: str) -> None:
    assert field in errors_of(removed((field,)))


@pytest.mark.parametrize(
    "name", ["Spring_Sale", "spring-sale", "", "a" * 513, "sale\n", "распродажа"]
)
def test_name_outside_the_allowed_pattern_is_refused(name: str) -> None:
    assert "name" in errors_of(changed(("name",), name))


def test_name_of_512_characters_is_accepted() -> None:
    assert load(changed(("name",), "a" * 512))["name"] == "a" * 512


@pytest.mark.parametrize("language", ["english", "en-us", "EN", "en_USA", "", "ru\n"])
def test_malformed_language_is_refused(language: str) -> None:
    assert "language" in errors_of(changed(("language",), language))


def test_unknown_category_is_refused() -> None:
    assert "category" in errors_of(changed(("category",), "PROMO"))


def test_unknown_purpose_is_refused() -> None:
    assert "purpose" in errors_of(changed(("purpose",), "newsletter"))


def test_unknown_parameter_format_is_refused() -> None:
    assert "parameter_format" in errors_of(changed(("parameter_format",), "BOTH"))


def test_unknown_component_type_is_refused() -> None:
    errors = errors_of(changed(("components", 2, "type"), "CAROUSEL"))

    assert "type" in errors["components"][2]


def test_unknown_top_level_field_is_refused() -> None:
    assert errors_of(changed(("status",), "APPROVED")) == {"status": ["Unknown field."]}


def test_field_of_another_component_type_is_refused() -> None:
    errors = errors_of(
        changed(("components", 1, "buttons"), [{"type": "QUICK_REPLY", "text": "Да"}])
    )

    assert errors["components"][1]["buttons"] == ["Unknown field."]


def test_unknown_example_field_is_refused() -> None:
    errors = errors_of(changed(("components", 1, "example", "header_text"), ["x"]))

    assert "header_text" in errors["components"][1]["example"]


def test_unknown_button_field_is_refused() -> None:
    errors = errors_of(changed(("components", 3, "buttons", 1, "url"), "https://x.example"))

    assert "url" in errors["components"][3]["buttons"][1]


def test_mistyped_text_is_refused() -> None:
    errors = errors_of(changed(("components", 1, "text"), 42))

    assert "text" in errors["components"][1]


def test_body_example_must_be_a_list_of_rows() -> None:
    errors = errors_of(changed(("components", 1, "example", "body_text"), ["Анна", "20%"]))

    assert "body_text" in errors["components"][1]["example"]


def test_body_without_text_is_refused_outside_authentication() -> None:
    errors = errors_of(removed(("components", 1, "text")))

    assert "text" in errors["components"][1]


def test_text_header_without_text_is_refused() -> None:
    errors = errors_of(removed(("components", 0, "text")))

    assert "text" in errors["components"][0]


def test_media_header_without_handle_is_refused() -> None:
    errors = errors_of(changed(("components", 0), {"type": "HEADER", "format": "VIDEO"}))

    assert "header_handle" in errors["components"][0]["example"]


def test_footer_without_text_is_refused() -> None:
    errors = errors_of(changed(("components", 2), {"type": "FOOTER"}))

    assert "text" in errors["components"][2]


def test_empty_component_list_is_refused() -> None:
    assert "components" in errors_of(changed(("components",), []))


def test_template_without_body_is_refused() -> None:
    template = russian_marketing_with_header_example()
    del template["components"][1]

    assert errors_of(template) == {"components": ["A BODY component is required."]}


def test_second_component_of_a_type_is_refused() -> None:
    template = russian_marketing_with_header_example()
    template["components"].append({"type": "FOOTER", "text": "СТОП"})

    assert errors_of(template) == {"components": ["At most one FOOTER component."]}


@pytest.mark.parametrize(
    ("button", "field"),
    [
        ({"type": "URL", "text": "Shop"}, "url"),
        ({"type": "PHONE_NUMBER", "text": "Call"}, "phone_number"),
        ({"type": "QUICK_REPLY"}, "text"),
        ({"type": "COPY_CODE"}, "example"),
        ({"type": "OTP"}, "otp_type"),
    ],
)
def test_button_missing_its_required_field_is_refused(button: dict[str, Any], field: str) -> None:
    errors = errors_of(changed(("components", 3, "buttons", 1), button))

    assert errors["components"][3]["buttons"][1][field] == ["Missing data for required field."]


def test_unknown_button_type_is_refused() -> None:
    errors = errors_of(changed(("components", 3, "buttons", 1, "type"), "FLOW_X"))

    assert "type" in errors["components"][3]["buttons"][1]


def test_authentication_fields_are_refused_on_marketing_templates() -> None:
    errors = errors_of(changed(("components", 1, "add_security_recommendation"), True))

    assert "add_security_recommendation" in errors["components"][1]


def test_document_that_is_not_an_object_is_refused() -> None:
    assert "_schema" in errors_of(["not", "an", "object"])


# --- lint answers --------------------------------------------------------------------------


def test_lint_schema_dumps_a_finding() -> None:
    finding = LintFinding("missing_opt_out", "error", "Add a FOOTER such as «СТОП».")

    assert TemplateLintSchema().dump(finding.to_document()) == finding.to_document()
