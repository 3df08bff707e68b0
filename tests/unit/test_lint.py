"""R-LINT: what lint says about the content of a template, in Russian and English."""

from __future__ import annotations

import copy
from typing import Any

import emoji
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from registry.domain.lint import CODES, EMOJI_RUN, LintFinding, count_emoji, lint_template

FAMILY = "👨‍👩‍👧‍👦"
FLAG = "🇷🇺"


def marketing_ru() -> dict[str, Any]:
    return {
        "name": "spring_sale",
        "language": "ru",
        "category": "MARKETING",
        "purpose": "promotions",
        "components": [
            {"type": "HEADER", "format": "TEXT", "text": "Весенняя распродажа"},
            {
                "type": "BODY",
                "text": "Здравствуйте, {{1}}! Недавно вы интересовались кроссовками — "
                "сегодня на них скидка {{2}} 🎉",
                "example": {"body_text": [["Анна", "20%"]]},
            },
            {"type": "FOOTER", "text": "Чтобы отписаться, ответьте СТОП"},
        ],
    }


def marketing_en() -> dict[str, Any]:
    return {
        "name": "spring_sale",
        "language": "en_US",
        "category": "MARKETING",
        "purpose": "promotions",
        "components": [
            {"type": "HEADER", "format": "TEXT", "text": "Spring sale"},
            {
                "type": "BODY",
                "text": "Hi {{1}}, you recently looked at running shoes: {{2}} off today 🎉",
                "example": {"body_text": [["Anna", "20%"]]},
            },
            {"type": "FOOTER", "text": "Reply STOP to unsubscribe"},
        ],
    }


MARKETING = {"ru": marketing_ru, "en": marketing_en}
both_languages = pytest.mark.parametrize("language", ["ru", "en"])


def marketing(language: str) -> dict[str, Any]:
    return MARKETING[language]()


def utility(body: str, **body_fields: Any) -> dict[str, Any]:
    return {
        "name": "order_update",
        "language": "en_US",
        "category": "UTILITY",
        "purpose": "service",
        "components": [{"type": "BODY", "text": body, **body_fields}],
    }


def component(template: dict[str, Any], kind: str) -> dict[str, Any]:
    parts: list[dict[str, Any]] = template["components"]
    for part in parts:
        if part["type"] == kind:
            return part
    added: dict[str, Any] = {"type": kind}
    parts.append(added)
    return added


def without(template: dict[str, Any], kind: str) -> dict[str, Any]:
    template["components"] = [c for c in template["components"] if c["type"] != kind]
    return template


def with_body(template: dict[str, Any], text: str, *values: str) -> dict[str, Any]:
    body = component(template, "BODY")
    body["text"] = text
    body["example"] = {"body_text": [list(values)]}
    return template


def with_buttons(template: dict[str, Any], *buttons: dict[str, Any]) -> dict[str, Any]:
    component(template, "BUTTONS")["buttons"] = list(buttons)
    return template


def codes(template: dict[str, Any], **options: Any) -> list[str]:
    return [finding.code for finding in lint_template(template, **options)]


def findings_of(template: dict[str, Any], code: str) -> list[LintFinding]:
    return [finding for finding in lint_template(template) if finding.code == code]


# --- a clean template ----------------------------------------------------------------------


@both_languages
def test_clean_marketing_template_has_no_findings(language: str) -> None:
    assert lint_template(marketing(language)) == []


def test_clean_utility_template_has_no_findings() -> None:
    assert (
        lint_template(utility("Your order {{1}} has shipped.", example={"body_text": [["A1"]]}))
        == []
    )


def test_finding_becomes_a_document_with_code_severity_and_message() -> None:
    finding = LintFinding("shouting", "warning", "Write it in sentence case.")

    assert finding.to_document() == {
        "code": "shouting",
        "severity": "warning",
        "message": "Write it in sentence case.",
    }


# --- too_many_emoji ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("ru", "Здравствуйте, {{1}}! Недавно вы интересовались кроссовками 🎉🔥👟💥"),
        ("en", "Hi {{1}}, you recently looked at running shoes 🎉🔥👟💥"),
    ],
)
def test_body_with_more_emoji_than_allowed_is_too_many_emoji(language: str, text: str) -> None:
    template = with_body(marketing(language), text, "Анна")

    [finding] = findings_of(template, "too_many_emoji")

    assert finding.severity == "error"
    assert "4" in finding.message and "3" in finding.message


def test_body_with_exactly_the_allowed_emoji_passes() -> None:
    template = with_body(marketing("en"), "Hi {{1}}, you recently visited us 🎉🔥👟", "Anna")

    assert "too_many_emoji" not in codes(template)


def test_zwj_family_counts_as_one_emoji() -> None:
    assert count_emoji(FAMILY) == 1


def test_flag_counts_as_one_emoji() -> None:
    assert count_emoji(FLAG) == 1


def test_skin_toned_emoji_counts_as_one_emoji() -> None:
    assert count_emoji("👍🏽") == 1


def test_non_standard_zwj_sequence_counts_as_one_emoji() -> None:
    assert count_emoji("👩‍👩‍👦‍🐈") == 1


def test_trademark_and_copyright_signs_are_text_not_emoji() -> None:
    assert count_emoji("Brand™ © 2025 ®") == 0


def test_three_composite_emoji_are_within_the_default_limit() -> None:
    template = with_body(
        marketing("ru"), f"Здравствуйте, {{{{1}}}}! Вы покупали у нас {FAMILY}{FLAG}👍🏽", "Анна"
    )

    assert "too_many_emoji" not in codes(template)


def test_four_families_are_too_many_emoji() -> None:
    template = with_body(
        marketing("ru"), f"Здравствуйте, {{{{1}}}}! Вы покупали у нас {FAMILY * 4}", "Анна"
    )

    assert "too_many_emoji" in codes(template)


def test_emoji_limit_follows_the_policy_threshold() -> None:
    template = with_body(marketing("en"), "Hi {{1}}, you recently visited us 🎉🔥", "Anna")

    assert "too_many_emoji" in codes(template, max_emoji=1)


def test_emoji_outside_the_body_are_not_counted() -> None:
    template = marketing("en")
    component(template, "HEADER")["text"] = "Sale 🎉🔥👟💥"

    assert "too_many_emoji" not in codes(template)


def test_every_known_emoji_is_one_run_the_counter_looks_at() -> None:
    assert all(EMOJI_RUN.fullmatch(known) for known in emoji.EMOJI_DATA)


emoji_texts = st.lists(
    st.one_of(st.sampled_from(sorted(emoji.EMOJI_DATA)), st.text(max_size=5)), max_size=20
).map("".join)


@settings(max_examples=300, deadline=None)
@given(text=emoji_texts)
def test_counting_only_emoji_runs_matches_counting_the_whole_text(text: str) -> None:
    whole = [
        token.chars
        for token in emoji.analyze(text, non_emoji=False, join_emoji=True)
        if token.chars not in "©®™‼⁉ℹ↔↕↖↗↘↙↩↪"
    ]

    assert count_emoji(text) == len(whole)


def test_emoji_count_stops_past_the_given_number() -> None:
    assert count_emoji("🎉" * 1000, stop_above=5) == 6


def test_a_body_full_of_emoji_reports_more_than_one_hundred() -> None:
    template = with_body(marketing("en"), "Hi {{1}}, you recently visited " + "🎉" * 5000, "Anna")

    [finding] = findings_of(template, "too_many_emoji")

    assert "more than 100" in finding.message


# --- not_personalised ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("ru", "Недавно вы интересовались кроссовками — сегодня на них скидка 20%"),
        ("en", "You recently looked at running shoes: today they are 20% off"),
    ],
)
def test_marketing_template_without_placeholder_is_not_personalised(
    language: str, text: str
) -> None:
    template = marketing(language)
    component(template, "BODY").update(text=text, example={})

    [finding] = findings_of(template, "not_personalised")

    assert finding.severity == "error"


def test_named_placeholder_personalises_a_marketing_template() -> None:
    template = marketing("ru")
    component(template, "BODY").update(
        text="{{first_name}}, недавно вы интересовались кроссовками",
        example={"body_text_named_params": [{"param_name": "first_name", "example": "Анна"}]},
    )

    assert lint_template(template) == []


def test_header_placeholder_personalises_a_marketing_template() -> None:
    template = marketing("en")
    component(template, "HEADER").update(text="Hi {{1}}", example={"header_text": ["Anna"]})
    component(template, "BODY").update(text="You recently looked at running shoes", example={})

    assert "not_personalised" not in codes(template)


def test_utility_template_without_placeholder_is_not_judged_for_personalisation() -> None:
    assert "not_personalised" not in codes(utility("Our store opens at 9 tomorrow."))


# --- missing_opt_out -----------------------------------------------------------------------


@both_languages
def test_marketing_template_without_footer_misses_opt_out(language: str) -> None:
    [finding] = findings_of(without(marketing(language), "FOOTER"), "missing_opt_out")

    assert finding.severity == "error"


@pytest.mark.parametrize(
    "footer",
    [
        "Отписаться: ответьте СТОП",
        "Отписка — в профиле",
        "Отпишитесь в любой момент",
        "Чтобы отказаться от рассылки, напишите нам",
        "Ответьте «стоп»",
        "Reply STOP to opt out",
        "Unsubscribe anytime",
        "Opt-out: reply stop",
        "You can opt out at any time",
        "Tap Stop promotions to stop",
    ],
)
def test_opt_out_instruction_in_footer_is_accepted(footer: str) -> None:
    template = marketing("en")
    component(template, "FOOTER")["text"] = footer

    assert "missing_opt_out" not in codes(template)


@pytest.mark.parametrize("button_text", ["Отписаться", "Stop promotions", "СТОП"])
def test_quick_reply_opt_out_button_is_accepted(button_text: str) -> None:
    template = with_buttons(
        without(marketing("ru"), "FOOTER"), {"type": "QUICK_REPLY", "text": button_text}
    )

    assert "missing_opt_out" not in codes(template)


@both_languages
def test_opt_out_in_body_only_is_not_enough(language: str) -> None:
    template = without(marketing(language), "FOOTER")
    body = component(template, "BODY")
    body["text"] += " Отписаться / unsubscribe: STOP"

    assert "missing_opt_out" in codes(template)


def test_opt_out_words_on_a_url_button_are_not_a_quick_reply() -> None:
    template = with_buttons(
        without(marketing("en"), "FOOTER"),
        {"type": "URL", "text": "Unsubscribe", "url": "https://example.com/u"},
    )

    assert "missing_opt_out" in codes(template)


@pytest.mark.parametrize("footer", ["Non-stop deals all week", "Стоп-лист обновлён"])
def test_stop_inside_a_hyphenated_word_is_not_an_opt_out(footer: str) -> None:
    template = marketing("en")
    component(template, "FOOTER")["text"] = footer

    assert "missing_opt_out" in codes(template)


def test_utility_template_needs_no_opt_out() -> None:
    assert "missing_opt_out" not in codes(utility("Your order has shipped."))


# --- negative_context ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Погасите задолженность до пятницы",
        "Ваша задолженности по договору",
        "Напоминаем о просроченной оплате",
        "У вас просрочка платежа",
        "Просроченный платёж",
        "Верните долг",
        "Напоминаем о долге",
        "По вашему долгу начислены пени",
        "С долгом нужно что-то делать",
        "Ваши долги переданы",
        "Дело передано коллектору",
        "Коллекторское агентство свяжется с вами",
        "Pay your debt today",
        "Debts must be settled",
        "Notice to the debtor",
        "Your payment is overdue",
        "Your account is in arrears",
        "Your case goes to a collection agency",
        "Your balance is past due",
    ],
)
def test_debt_collection_wording_is_negative_context(text: str) -> None:
    [finding] = findings_of(utility(text), "negative_context")

    assert finding.severity == "error"
    assert "BODY" in finding.message


@pytest.mark.parametrize(
    "text",
    [
        "Мы долго ждали этого дня",
        "Долгожданная распродажа",
        "Долгосрочный вклад",
        "Долговечная обувь",
        "Долгая дорога",
        "Our debut collection",
        "Long-awaited summer collection is here",
    ],
)
def test_words_that_only_look_like_debt_are_not_negative_context(text: str) -> None:
    assert "negative_context" not in codes(utility(text))


@both_languages
def test_negative_context_applies_to_marketing_too(language: str) -> None:
    template = marketing(language)
    component(template, "HEADER")["text"] = "Долг" if language == "ru" else "Debt"

    [finding] = findings_of(template, "negative_context")

    assert "HEADER" in finding.message


def test_negative_context_is_found_in_a_button() -> None:
    template = with_buttons(marketing("ru"), {"type": "QUICK_REPLY", "text": "Оплатить долг"})

    [finding] = findings_of(template, "negative_context")

    assert "button 1" in finding.message


def test_negative_context_ignores_letter_case_and_yo() -> None:
    assert "negative_context" in codes(utility("ПРОСРОЧЁННЫЙ ПЛАТЁЖ"))


# --- missing_relationship ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("ru", "Здравствуйте, {{1}}! Сегодня скидка на кроссовки"),
        ("en", "Hi {{1}}, running shoes are on sale today"),
    ],
)
def test_marketing_without_relationship_phrase_gets_a_warning(language: str, text: str) -> None:
    template = with_body(marketing(language), text, "Анна")

    [finding] = findings_of(template, "missing_relationship")

    assert finding.severity == "warning"


@pytest.mark.parametrize(
    "text",
    [
        "{{1}}, недавно вы интересовались кроссовками",
        "{{1}}, ваш заказ готов к выдаче, а к нему скидка",
        "{{1}}, к вашему заказу подойдёт",
        "{{1}}, вы покупали у нас кроссовки",
        "{{1}}, как наш клиент вы получаете скидку",
        "{{1}}, you recently looked at running shoes",
        "{{1}}, your order comes with a gift",
        "{{1}}, as our customer you get 20% off",
        "{{1}}, you purchased shoes last month",
        "{{1}}, your account has a bonus",
    ],
)
def test_relationship_phrase_satisfies_the_relationship_rule(text: str) -> None:
    template = with_body(marketing("en"), text, "Anna")

    assert "missing_relationship" not in codes(template)


def test_utility_template_needs_no_relationship_phrase() -> None:
    assert "missing_relationship" not in codes(utility("Store hours change tomorrow."))


# --- placeholder_sequence ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("ru", "Здравствуйте, {{1}}! Недавно вы интересовались, скидка {{3}}"),
        ("en", "Hi {{1}}, you recently looked at shoes, {{3}} off"),
    ],
)
def test_gap_in_positional_placeholders_breaks_the_sequence(language: str, text: str) -> None:
    template = with_body(marketing(language), text, "A", "B")

    [finding] = findings_of(template, "placeholder_sequence")

    assert finding.severity == "error"
    assert "{{3}}" in finding.message


def test_positional_placeholders_must_start_at_one() -> None:
    template = with_body(marketing("en"), "Hi {{2}}, you recently visited", "Anna")

    assert "placeholder_sequence" in codes(template)


def test_repeated_placeholder_keeps_the_sequence() -> None:
    template = with_body(marketing("en"), "Hi {{1}}, you recently visited, {{1}}!", "Anna")

    assert "placeholder_sequence" not in codes(template)


def test_mixing_positional_and_named_placeholders_in_one_component_is_an_error() -> None:
    template = with_body(marketing("ru"), "{{1}}, недавно вы интересовались {{product}}", "Анна")

    messages = [f.message for f in findings_of(template, "placeholder_sequence")]

    assert any("mixes" in message for message in messages)


def test_malformed_placeholder_is_an_error() -> None:
    template = with_body(marketing("en"), "Hi {{First Name}}, you recently visited", "Anna")

    [finding] = findings_of(template, "placeholder_sequence")

    assert "{{First Name}}" in finding.message


def test_header_with_two_placeholders_breaks_a_platform_limit() -> None:
    template = marketing("ru")
    component(template, "HEADER").update(
        text="{{1}} и {{2}}", example={"header_text": ["Анна", "Иван"]}
    )

    assert "placeholder_sequence" in codes(template)


def test_placeholder_in_footer_is_an_error() -> None:
    template = marketing("en")
    component(template, "FOOTER")["text"] = "Reply STOP, {{1}}"

    assert "placeholder_sequence" in codes(template)


def test_placeholders_contradicting_parameter_format_are_an_error() -> None:
    template = marketing("en")
    template["parameter_format"] = "NAMED"

    [finding] = findings_of(template, "placeholder_sequence")

    assert "NAMED" in finding.message


def test_header_and_body_with_different_placeholder_kinds_are_an_error() -> None:
    template = marketing("en")
    component(template, "HEADER").update(
        text="Hi {{name}}",
        example={"header_text_named_params": [{"param_name": "name", "example": "Anna"}]},
    )

    assert "placeholder_sequence" in codes(template)


def test_url_button_placeholder_must_be_one_at_the_end() -> None:
    template = with_buttons(
        marketing("en"),
        {"type": "URL", "text": "Shop", "url": "https://x.example/{{1}}/a", "example": ["u"]},
    )

    assert "placeholder_sequence" in codes(template)


# --- missing_example -----------------------------------------------------------------------


@both_languages
def test_positional_placeholders_without_example_are_missing_example(language: str) -> None:
    template = marketing(language)
    del component(template, "BODY")["example"]

    [finding] = findings_of(template, "missing_example")

    assert finding.severity == "error"


def test_example_row_with_too_few_values_is_missing_example() -> None:
    template = marketing("ru")
    component(template, "BODY")["example"] = {"body_text": [["Анна"]]}

    assert "missing_example" in codes(template)


def test_blank_example_value_is_missing_example() -> None:
    template = marketing("en")
    component(template, "BODY")["example"] = {"body_text": [["Anna", "  "]]}

    assert "missing_example" in codes(template)


def test_named_placeholder_without_example_is_missing_example() -> None:
    template = marketing("ru")
    component(template, "BODY").update(
        text="{{first_name}}, недавно вы интересовались {{product}}",
        example={"body_text_named_params": [{"param_name": "first_name", "example": "Анна"}]},
    )

    [finding] = findings_of(template, "missing_example")

    assert "{{product}}" in finding.message


def test_header_placeholder_without_header_text_is_missing_example() -> None:
    template = marketing("en")
    component(template, "HEADER")["text"] = "Hi {{1}}"

    [finding] = findings_of(template, "missing_example")

    assert "HEADER" in finding.message


def test_url_button_placeholder_without_example_is_missing_example() -> None:
    template = with_buttons(
        marketing("en"), {"type": "URL", "text": "Shop", "url": "https://x.example/{{1}}"}
    )

    assert "missing_example" in codes(template)


# --- length --------------------------------------------------------------------------------


@both_languages
def test_body_over_1024_characters_is_too_long(language: str) -> None:
    template = marketing(language)
    component(template, "BODY")["text"] += "." * 1024

    [finding] = findings_of(template, "length")

    assert "BODY" in finding.message and finding.severity == "error"


def test_body_of_exactly_1024_characters_is_not_too_long() -> None:
    template = marketing("en")
    body = component(template, "BODY")
    body["text"] += "." * (1024 - len(body["text"]))

    assert "length" not in codes(template)


@pytest.mark.parametrize(("kind", "language"), [("HEADER", "ru"), ("FOOTER", "en")])
def test_header_or_footer_over_60_characters_is_too_long(kind: str, language: str) -> None:
    template = marketing(language)
    component(template, kind)["text"] += "я" * 60

    [finding] = findings_of(template, "length")

    assert kind in finding.message


def test_each_length_violation_is_its_own_finding() -> None:
    template = marketing("ru")
    for kind in ("HEADER", "BODY", "FOOTER"):
        component(template, kind)["text"] += "я" * 1100

    assert codes(template).count("length") == 3


def test_more_than_ten_buttons_is_too_many() -> None:
    buttons = [{"type": "QUICK_REPLY", "text": f"Вариант {n}"} for n in range(11)]

    assert "length" in codes(with_buttons(marketing("ru"), *buttons))


def test_more_than_two_url_buttons_is_too_many() -> None:
    buttons = [{"type": "URL", "text": f"Shop {n}", "url": "https://x.example"} for n in range(3)]

    [finding] = findings_of(with_buttons(marketing("en"), *buttons), "length")

    assert "URL" in finding.message


def test_more_than_one_phone_button_is_too_many() -> None:
    buttons = [{"type": "PHONE_NUMBER", "text": "Call", "phone_number": "+79990000000"}] * 2

    [finding] = findings_of(with_buttons(marketing("en"), *buttons), "length")

    assert "PHONE_NUMBER" in finding.message


# --- shouting ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("ru", "{{1}}, НЕДАВНО ВЫ ИНТЕРЕСОВАЛИСЬ КРОССОВКАМИ — СКИДКА"),
        ("en", "{{1}}, YOU RECENTLY LOOKED AT SHOES — HUGE SALE"),
    ],
)
def test_body_mostly_in_capitals_is_shouting(language: str, text: str) -> None:
    template = with_body(marketing(language), text, "Анна")

    [finding] = findings_of(template, "shouting")

    assert finding.severity == "warning"


@both_languages
def test_triple_exclamation_mark_is_shouting(language: str) -> None:
    template = marketing(language)
    component(template, "BODY")["text"] += "!!!"

    [finding] = findings_of(template, "shouting")

    assert "!!!" in finding.message


def test_short_capitalised_word_is_not_shouting() -> None:
    template = marketing("en")
    component(template, "BODY")["text"] += " SALE"

    assert "shouting" not in codes(template)


def test_capitalised_stop_in_footer_is_not_shouting() -> None:
    template = marketing("ru")
    component(template, "FOOTER")["text"] = "ОТВЕТЬТЕ СТОП ЧТОБЫ ОТПИСАТЬСЯ"

    assert "shouting" not in codes(template)


# --- category_mismatch ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("category", "purpose"),
    [("MARKETING", "service"), ("UTILITY", "promotions"), ("AUTHENTICATION", "alerts")],
)
def test_purpose_outside_the_category_is_a_mismatch(category: str, purpose: str) -> None:
    template = utility("Код {{1}}", example={"body_text": [["1234"]]})
    template.update(category=category, purpose=purpose)

    [finding] = findings_of(template, "category_mismatch")

    assert finding.severity == "error" and purpose in finding.message


@pytest.mark.parametrize("purpose", ["service", "alerts", "reminders"])
def test_purpose_inside_the_category_fits(purpose: str) -> None:
    template = utility("Your order has shipped.")
    template["purpose"] = purpose

    assert "category_mismatch" not in codes(template)


# --- order and robustness ------------------------------------------------------------------


def test_findings_follow_the_documented_order_of_codes() -> None:
    template = utility("ДОЛГ ОПЛАТИТЕ СЕГОДНЯ {{2}} 🎉🎉🎉🎉!!!")
    template.update(category="MARKETING", purpose="service")

    found = codes(template)

    assert found == [
        "too_many_emoji",
        "missing_opt_out",
        "negative_context",
        "missing_relationship",
        "placeholder_sequence",
        "missing_example",
        "shouting",
        "shouting",
        "category_mismatch",
    ]


def test_lint_is_deterministic() -> None:
    template = utility("ДОЛГ ОПЛАТИТЕ {{2}} 🎉🎉🎉🎉!!!")

    assert lint_template(template) == lint_template(copy.deepcopy(template))


def test_template_with_no_components_does_not_raise() -> None:
    assert codes({"category": "UTILITY", "purpose": "service", "components": []}) == []


texts = st.text(alphabet=st.characters(exclude_categories=()), max_size=300)
maybe_placeholders = st.one_of(
    texts, st.builds(lambda a, b: f"{a}{{{{{b}}}}}", texts, st.sampled_from(["1", "2", "x", ""]))
)


@settings(max_examples=300, deadline=None)
@given(
    header=maybe_placeholders,
    body=maybe_placeholders,
    footer=texts,
    button=texts,
    url=maybe_placeholders,
    example=texts,
    category=st.sampled_from(["MARKETING", "UTILITY", "AUTHENTICATION"]),
    purpose=st.sampled_from(["service", "promotions", "authentication"]),
)
def test_lint_never_raises_and_returns_only_known_codes(
    header: str,
    body: str,
    footer: str,
    button: str,
    url: str,
    example: str,
    category: str,
    purpose: str,
) -> None:
    template = {
        "name": "fuzz",
        "language": "ru",
        "category": category,
        "purpose": purpose,
        "components": [
            {
                "type": "HEADER",
                "format": "TEXT",
                "text": header,
                "example": {"header_text": [example]},
            },
            {
                "type": "BODY",
                "text": body,
                "example": {
                    "body_text": [[example]],
                    "body_text_named_params": [{"param_name": example, "example": example}],
                },
            },
            {"type": "FOOTER", "text": footer},
            {
                "type": "BUTTONS",
                "buttons": [
                    {"type": "QUICK_REPLY", "text": button},
                    {"type": "URL", "text": button, "url": url, "example": [example]},
                ],
            },
        ],
    }

    findings = lint_template(template)

    assert {finding.code for finding in findings} <= set(CODES)
    assert {finding.severity for finding in findings} <= {"error", "warning"}
    assert all(finding.message for finding in findings)
