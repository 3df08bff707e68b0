import pytest
from hypothesis import given
from hypothesis import strategies as st

from registry.domain.keywords import (
    OPT_OUT_KEYWORDS,
    SPEC_OPT_OUT_KEYWORDS,
    is_opt_out_keyword,
    is_stop_promotions_phrase,
)


@pytest.mark.parametrize(
    "text", ["STOP", "STOPALL", "UNSUBSCRIBE", "СТОП", "ОТПИСАТЬСЯ", "ОТПИСКА"]
)
def test_every_contract_keyword_opts_out(text: str) -> None:
    assert is_opt_out_keyword(text)


@pytest.mark.parametrize("text", ["stop", "Stop", "sToP", "стоп", "Отписаться", "отписка"])
def test_case_is_ignored_in_latin_and_cyrillic(text: str) -> None:
    assert is_opt_out_keyword(text)


@pytest.mark.parametrize("text", ["Stop.", "  stop!! ", "СТОП!", "Отписаться?", "unsubscribe…"])
def test_surrounding_spacing_and_punctuation_are_ignored(text: str) -> None:
    assert is_opt_out_keyword(text)


@pytest.mark.parametrize("text", ["«СТОП»", '"stop"', "stop 🛑", "🙅 STOP 🙅🏽", "stop\u200b"])
def test_quotes_emoji_and_invisible_characters_around_a_keyword_are_ignored(text: str) -> None:
    assert is_opt_out_keyword(text)


@pytest.mark.parametrize("text", ["stop all", "STOP  ALL", "un subscribe"])
def test_spacing_inside_a_keyword_is_ignored(text: str) -> None:
    assert is_opt_out_keyword(text)


def test_full_width_letters_are_read_after_nfkc_normalisation() -> None:
    assert is_opt_out_keyword("ＳＴＯＰ")


@pytest.mark.parametrize(
    "text", ["cancel", "END", "Quit", "revoke", "OPTOUT", "opt out", "Opt-Out!", "opt‐out"]
)
def test_fcc_and_twilio_revocation_words_also_opt_out(text: str) -> None:
    assert is_opt_out_keyword(text)


@pytest.mark.parametrize(
    "text",
    [
        "stop sending me pizza ads please",
        "please stop",
        "стоп, а где мой заказ?",
        "stopped",
        "unstop",
        "START",
        "stop stop",
        "S.T.O.P",
    ],
)
def test_a_message_that_is_more_than_a_keyword_does_not_opt_out(text: str) -> None:
    assert not is_opt_out_keyword(text)


@pytest.mark.parametrize("text", [None, "", "   ", "!!!", "🛑"])
def test_empty_or_missing_text_does_not_opt_out(text: str | None) -> None:
    assert not is_opt_out_keyword(text)


def test_contract_keywords_are_part_of_the_accepted_set() -> None:
    assert SPEC_OPT_OUT_KEYWORDS <= OPT_OUT_KEYWORDS


@given(st.text())
def test_keyword_check_never_raises_on_any_text(text: str) -> None:
    assert isinstance(is_opt_out_keyword(text), bool)


@given(
    st.sampled_from(sorted(OPT_OUT_KEYWORDS)),
    st.text(alphabet=" \t\n.!?,;:…«»\"'()-", max_size=8),
    st.text(alphabet=" \t\n.!?,;:…«»\"'()", max_size=8),
)
def test_any_keyword_in_any_case_with_padding_opts_out(
    keyword: str, before: str, after: str
) -> None:
    assert is_opt_out_keyword(before + keyword.lower() + after)


@pytest.mark.parametrize(
    "text", ["Stop promotions", "stop promotions", "STOP PROMOTIONS.", "Остановить рекламу"]
)
def test_stop_promotions_reply_is_recognised(text: str) -> None:
    assert is_stop_promotions_phrase(text)


def test_stop_promotions_is_not_a_full_opt_out_keyword() -> None:
    assert not is_opt_out_keyword("Stop promotions")


@pytest.mark.parametrize("text", [None, "Stop", "Stop promotions please", "Promotions"])
def test_other_replies_are_not_stop_promotions(text: str | None) -> None:
    assert not is_stop_promotions_phrase(text)


@given(st.text())
def test_stop_promotions_check_never_raises_on_any_text(text: str) -> None:
    assert isinstance(is_stop_promotions_phrase(text), bool)
