"""R-CONFIRM in the domain, on in-memory persistence: pending grants, confirmation, expiry,
replies that confirm or opt back in, confirmation_days, and the confirmation link tokens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from eventsourcing.application import Application
from hypothesis import given
from hypothesis import strategies as st

from registry.confirm_links import (
    ConfirmClaims,
    InvalidConfirmLink,
    issue_confirm_token,
    open_confirm_token,
)
from registry.domain.confirmation import (
    Reply,
    confirm_by,
    is_confirm_keyword,
    is_opt_in_keyword,
    read_confirmation_days,
)
from registry.domain.customer import Customer
from registry.web.optout_token import LinkClaims, issue_token

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
KEY = b"k" * 32


def requested(customer: Customer, receipt_id: str = "r1", days: int = 30) -> None:
    customer.request_consent(
        receipt_id=receipt_id,
        channel="whatsapp",
        purposes=["promotions"],
        source={"kind": "web_form"},
        granted_at=T0,
        expires_at=None,
        confirm_by=T0 + timedelta(days=days),
    )


def reply(text: str, at: datetime = T0 + timedelta(hours=1)) -> Reply:
    answer = Reply.of(text, f"sealed:{text}", at)
    assert answer is not None
    return answer


def test_a_requested_consent_is_pending_until_confirmed() -> None:
    customer = Customer.register("t", "c")
    requested(customer)
    assert customer.consents["whatsapp:promotions"]["status"] == "pending"
    assert customer.confirm("r1", {"kind": "link"}, T0 + timedelta(days=1)) is True
    assert customer.consents["whatsapp:promotions"]["status"] == "granted"


def test_confirming_twice_records_one_confirmation() -> None:
    customer = Customer.register("t", "c")
    requested(customer)
    customer.confirm("r1", {"kind": "link"}, T0)
    assert customer.confirm("r1", {"kind": "link"}, T0) is False
    types = [type(e).__name__ for e in customer.collect_events()]
    assert types.count("ConsentConfirmed") == 1


def test_a_confirmation_after_the_deadline_records_nothing() -> None:
    customer = Customer.register("t", "c")
    requested(customer, days=1)
    assert customer.confirm("r1", {"kind": "link"}, T0 + timedelta(days=1)) is False
    assert customer.consents["whatsapp:promotions"]["status"] == "pending"


def test_a_request_never_turns_a_granted_purpose_back_to_pending() -> None:
    customer = Customer.register("t", "c")
    customer.grant(
        receipt_id="r0", channel="whatsapp", purposes=["promotions"], source={"kind": "api"},
        granted_at=T0 - timedelta(days=1), expires_at=None,
    )  # fmt: skip
    requested(customer)
    assert customer.consents["whatsapp:promotions"]["status"] == "granted"


def test_yes_confirms_every_grant_pending_on_the_channel() -> None:
    customer = Customer.register("t", "c")
    requested(customer, "r1")
    customer.request_consent(
        receipt_id="r2", channel="whatsapp", purposes=["alerts"], source={"kind": "api"},
        granted_at=T0, expires_at=None, confirm_by=T0 + timedelta(days=3),
    )  # fmt: skip
    customer.answer_reply("whatsapp", reply("да"))
    assert {c["status"] for c in customer.consents.values()} == {"granted"}


def test_start_after_stop_regrants_only_what_was_in_force() -> None:
    customer = Customer.register("t", "c")
    customer.grant(
        receipt_id="r0", channel="whatsapp", purposes=["alerts"], source={"kind": "api"},
        granted_at=T0, expires_at=T0 + timedelta(minutes=30),
    )  # fmt: skip
    customer.grant(
        receipt_id="r1", channel="whatsapp", purposes=["promotions"], source={"kind": "api"},
        granted_at=T0, expires_at=None,
    )  # fmt: skip
    customer.withdraw(
        channel="whatsapp", purposes=["service", "alerts", "promotions"],
        source={"kind": "keyword"}, withdrawn_at=T0 + timedelta(hours=1),
    )  # fmt: skip
    customer.answer_reply("whatsapp", reply("START", T0 + timedelta(hours=2)))
    statuses = {c["purpose"]: c["status"] for c in customer.consents.values()}
    assert statuses == {"alerts": "withdrawn", "promotions": "granted", "service": "withdrawn"}


def test_yes_alone_never_grants() -> None:
    customer = Customer.register("t", "c")
    customer.grant(
        receipt_id="r1", channel="whatsapp", purposes=["promotions"], source={"kind": "api"},
        granted_at=T0, expires_at=None,
    )  # fmt: skip
    customer.withdraw(
        channel="whatsapp", purposes=["promotions"], source={"kind": "keyword"},
        withdrawn_at=T0,
    )  # fmt: skip
    customer.answer_reply("whatsapp", reply("YES"))
    assert customer.consents["whatsapp:promotions"]["status"] == "withdrawn"


def test_keyword_opt_outs_survive_a_reload_from_the_event_store() -> None:
    app: Application[object] = Application()
    customer = Customer.register("t", "c")
    customer.grant(
        receipt_id="r1", channel="sms", purposes=["promotions"], source={"kind": "api"},
        granted_at=T0, expires_at=None,
    )  # fmt: skip
    customer.withdraw(
        channel="sms", purposes=["promotions"], source={"kind": "keyword"}, withdrawn_at=T0
    )
    app.save(customer)
    loaded: Customer = app.repository.get(customer.id)
    assert loaded.keyword_opt_outs == {"sms": ["promotions"]}


def test_a_customer_from_before_keyword_opt_outs_were_kept_has_none() -> None:
    customer = Customer.register("t", "c")
    customer.withdraw(
        channel="whatsapp", purposes=["promotions"], source={"kind": "keyword"}, withdrawn_at=T0
    )
    customer.__dict__.pop("_keyword_opt_outs")  # as restored from an older snapshot
    assert customer.keyword_opt_outs == {}
    assert customer.opt_back_in_purposes("whatsapp", T0) == []


@pytest.mark.parametrize("text", ["YES", "yes!", " Да. ", "START", "старт"])
def test_confirm_words(text: str) -> None:
    assert is_confirm_keyword(text)


@pytest.mark.parametrize("text", ["UNSTOP", "start", "СТАРТ"])
def test_opt_in_words(text: str) -> None:
    assert is_opt_in_keyword(text)


@pytest.mark.parametrize("text", ["yes please", "да нет", "STOP", "", None, "UNSTOPPABLE"])
def test_other_messages_neither_confirm_nor_opt_in(text: str | None) -> None:
    assert not is_confirm_keyword(text) and not is_opt_in_keyword(text)


def test_confirmation_days_takes_numbers_and_decimal_text() -> None:
    errors: list[tuple[str, str]] = []
    fail = lambda path, message: errors.append((path, message))  # noqa: E731
    assert read_confirmation_days(0.5, fail) == Decimal("0.5")
    assert read_confirmation_days("30", fail) == Decimal(30)
    assert read_confirmation_days(7, fail) == Decimal(7)
    assert not errors
    for bad in (0, -2, True, "x", None, float("inf"), 3651):
        read_confirmation_days(bad, fail)
    assert len(errors) == 7


def test_a_fractional_confirmation_days_is_kept_to_the_microsecond() -> None:
    assert confirm_by(T0, Decimal("0.5")) == T0 + timedelta(hours=12)


def claims(**overrides: object) -> ConfirmClaims:
    values: dict[str, object] = {
        "tenant": "acme", "customer_id": "анна/1", "receipt_id": "rcpt_1", "lang": "ru",
        "expires_at": T0 + timedelta(days=30),
    }  # fmt: skip
    values.update(overrides)
    return ConfirmClaims(**values)  # type: ignore[arg-type]


@given(
    tenant=st.text(min_size=1, max_size=40).filter(lambda t: "\x00" not in t),
    customer=st.text(min_size=1, max_size=128),
    receipt=st.text(alphabet="abcdef0123456789_", min_size=1, max_size=40),
)
def test_a_confirmation_token_opens_to_exactly_what_was_issued(
    tenant: str, customer: str, receipt: str
) -> None:
    issued = claims(tenant=tenant, customer_id=customer, receipt_id=receipt)
    token = issue_confirm_token(KEY, issued)
    assert open_confirm_token(KEY, token, now=T0) == issued


def test_a_confirmation_token_reveals_nothing_it_names() -> None:
    token = issue_confirm_token(KEY, claims(customer_id="olga-secret"))
    assert "olga" not in token and "acme" not in token


@pytest.mark.parametrize("position", [0, 5, 20, -1])
def test_an_altered_confirmation_token_is_refused(position: int) -> None:
    token = issue_confirm_token(KEY, claims())
    swapped = "A" if token[position] != "A" else "B"
    altered = token[:position] + swapped + (token[position + 1 :] if position != -1 else "")
    with pytest.raises(InvalidConfirmLink):
        open_confirm_token(KEY, altered, now=T0)


def test_an_expired_or_foreign_key_confirmation_token_is_refused() -> None:
    token = issue_confirm_token(KEY, claims())
    with pytest.raises(InvalidConfirmLink):
        open_confirm_token(KEY, token, now=T0 + timedelta(days=31))
    with pytest.raises(InvalidConfirmLink):
        open_confirm_token(b"o" * 32, token, now=T0)


def test_an_opt_out_token_is_not_a_confirmation_token() -> None:
    optout = issue_token(
        KEY,
        LinkClaims(
            tenant="acme", customer_id="c", channel="whatsapp", purposes=("promotions",),
            lang="ru", expires_at=T0 + timedelta(days=30),
        ),
    )  # fmt: skip
    with pytest.raises(InvalidConfirmLink):
        open_confirm_token(KEY, optout, now=T0)
