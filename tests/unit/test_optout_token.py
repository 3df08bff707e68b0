"""Opt-out link tokens: authentic, unreadable, URL-safe, short-lived."""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from registry.domain.vocabulary import CHANNELS, NON_TRANSACTIONAL, PURPOSES
from registry.web.optout_token import (
    CHANNEL_CODES,
    PURPOSE_CODES,
    InvalidLink,
    LinkClaims,
    issue_token,
    open_token,
)

KEY = bytes(range(32))
NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def claims(**overrides: object) -> LinkClaims:
    fields: dict[str, object] = {
        "tenant": "acme-shop",
        "customer_id": "cust-000417",
        "channel": "whatsapp",
        "purposes": NON_TRANSACTIONAL,
        "lang": "ru",
        "expires_at": NOW + timedelta(days=30),
    }
    fields.update(overrides)
    return LinkClaims(**fields)  # type: ignore[arg-type]


def raw_bytes(token: str) -> bytes:
    return base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))


def encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def test_a_token_opens_to_the_claims_it_was_issued_for() -> None:
    original = claims()
    assert open_token(KEY, issue_token(KEY, original), now=NOW) == original


def test_a_token_is_url_safe_unpadded_and_short() -> None:
    token = issue_token(KEY, claims())
    assert re.fullmatch(r"[A-Za-z0-9_-]+", token)
    assert len(token) < 100


def test_two_tokens_for_the_same_claims_differ() -> None:
    assert issue_token(KEY, claims()) != issue_token(KEY, claims())


def test_the_token_reveals_neither_customer_nor_tenant() -> None:
    secret = claims(tenant="tenant-visible", customer_id="customer-visible")
    token = issue_token(KEY, secret)
    raw = raw_bytes(token)
    for needle in (b"tenant-visible", b"customer-visible", b"tenant", b"customer"):
        assert needle not in raw
    assert "visible" not in token


@pytest.mark.parametrize("position", range(40))
def test_altering_any_decoded_byte_makes_the_token_invalid(position: int) -> None:
    raw = bytearray(raw_bytes(issue_token(KEY, claims())))
    raw[position % len(raw)] ^= 0x01
    with pytest.raises(InvalidLink) as caught:
        open_token(KEY, encode(bytes(raw)), now=NOW)
    assert caught.value.reason == "forged"


def test_altering_any_character_of_the_token_makes_it_invalid() -> None:
    token = issue_token(KEY, claims())
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    for index, char in enumerate(token):
        replacement = alphabet[(alphabet.index(char) + 1) % len(alphabet)]
        altered = token[:index] + replacement + token[index + 1 :]
        with pytest.raises(InvalidLink):
            open_token(KEY, altered, now=NOW)


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-1],
        lambda t: t[:20],
        lambda t: t + "A",
        lambda t: t + "==",
        lambda t: t.replace(t[5], "+", 1),
        lambda t: t[:10] + "/" + t[11:],
        lambda t: "",
        lambda t: "A" * 5000,
        lambda t: "not a token",
    ],
)
def test_truncated_extended_or_garbled_tokens_are_invalid(mangle: object) -> None:
    token = issue_token(KEY, claims())
    with pytest.raises(InvalidLink):
        open_token(KEY, mangle(token), now=NOW)  # type: ignore[operator]


def test_a_token_made_with_another_key_is_invalid() -> None:
    token = issue_token(bytes(32), claims())
    with pytest.raises(InvalidLink) as caught:
        open_token(KEY, token, now=NOW)
    assert caught.value.reason == "forged"


def test_a_token_is_invalid_from_its_expiry_instant() -> None:
    token = issue_token(KEY, claims(expires_at=NOW))
    assert open_token(KEY, token, now=NOW - timedelta(seconds=1)).expires_at == NOW
    with pytest.raises(InvalidLink) as caught:
        open_token(KEY, token, now=NOW)
    assert caught.value.reason == "expired"


def test_expiry_is_kept_in_utc_whole_seconds() -> None:
    moscow = datetime(2026, 4, 1, 15, 0, 0, 750_000, tzinfo=ZoneInfo("Europe/Moscow"))
    opened = open_token(KEY, issue_token(KEY, claims(expires_at=moscow)), now=NOW)
    assert opened.expires_at.tzinfo is UTC
    assert opened.expires_at == moscow.replace(microsecond=0)


def test_purposes_come_back_in_vocabulary_order_without_duplicates() -> None:
    made = claims(purposes=("reminders", "alerts", "reminders"))
    assert made.purposes == ("alerts", "reminders")


@pytest.mark.parametrize(
    "bad",
    [
        {"channel": "pigeon"},
        {"purposes": ()},
        {"purposes": ("spam",)},
        {"lang": "de"},
        {"tenant": ""},
        {"customer_id": ""},
        {"expires_at": datetime(2026, 1, 1)},
    ],
)
def test_claims_outside_the_vocabulary_are_refused(bad: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        claims(**bad)


def test_a_short_link_key_is_refused() -> None:
    with pytest.raises(ValueError):
        issue_token(b"too short", claims())


def test_the_code_books_cover_the_vocabulary() -> None:
    assert set(CHANNELS) <= set(CHANNEL_CODES)
    assert set(PURPOSES) <= set(PURPOSE_CODES)


printable_ids = st.text(
    alphabet=st.characters(categories=("L", "M", "N", "P", "S", "Zs")), min_size=1, max_size=128
)


@given(
    customer_id=printable_ids,
    tenant=st.text(min_size=1, max_size=300),
    channel=st.sampled_from(CHANNELS),
    purposes=st.sets(st.sampled_from(PURPOSES), min_size=1),
    lang=st.sampled_from(("ru", "en", "")),
    seconds=st.integers(min_value=int(NOW.timestamp()) + 1, max_value=2**32 - 1),
)
def test_every_customer_id_survives_the_round_trip(
    customer_id: str,
    tenant: str,
    channel: str,
    purposes: set[str],
    lang: str,
    seconds: int,
) -> None:
    original = LinkClaims(
        tenant=tenant,
        customer_id=customer_id,
        channel=channel,
        purposes=tuple(purposes),
        lang=lang,
        expires_at=datetime.fromtimestamp(seconds, UTC),
    )
    token = issue_token(KEY, original)
    assert open_token(KEY, token, now=NOW) == original
    assert customer_id.encode() not in raw_bytes(token) or len(customer_id.encode()) < 4
