"""A customer document's facts: consents are read when a decision asks for them, and
read the same as the document says."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from registry.domain.decision import ConsentFact
from registry.projections.documents import customer_facts

GRANTED = {
    "channel": "whatsapp",
    "purpose": "promotions",
    "status": "granted",
    "granted_at": "2026-11-24T20:48:13.182702Z",
    "withdrawn_at": None,
    "expires_at": "2027-01-01T00:00:00+03:00",
    "receipt_id": "rcpt_1",
    "event_version": 2,
}
WITHDRAWN = {
    **GRANTED,
    "channel": "sms",
    "status": "withdrawn",
    "withdrawn_at": "2026-11-25T08:00:00Z",
    "expires_at": None,
    "receipt_id": "rcpt_2",
    "event_version": 5,
}


def document(**changes: Any) -> dict[str, Any]:
    return {
        "customer_id": "c1",
        "profile": {"timezone": "Europe/Moscow"},
        "erased": False,
        "suppressed": False,
        "last_inbound_at": {"whatsapp": "2026-11-24T10:00:00Z"},
        "consents": {"whatsapp:promotions": GRANTED, "sms:promotions": WITHDRAWN},
        "recent_authorizations": ["2026-11-24T11:00:00Z"],
        **changes,
    }


def test_each_consent_reads_as_its_document_entry() -> None:
    facts = customer_facts(document())
    assert facts is not None
    assert facts.consents.get("whatsapp:promotions") == ConsentFact(
        status="granted",
        granted_at=datetime(2026, 11, 24, 20, 48, 13, 182702, tzinfo=UTC),
        withdrawn_at=None,
        expires_at=datetime(2026, 12, 31, 21, 0, tzinfo=UTC),
        receipt_id="rcpt_1",
        event_version=2,
    )
    assert facts.consents["sms:promotions"].status == "withdrawn"
    assert facts.consents["sms:promotions"].withdrawn_at == datetime(2026, 11, 25, 8, tzinfo=UTC)


def test_consents_behave_as_a_read_only_mapping() -> None:
    facts = customer_facts(document())
    assert facts is not None
    assert facts.consents.get("email:promotions") is None
    assert facts.consents.get("email:promotions", "absent") == "absent"
    assert "sms:promotions" in facts.consents
    assert sorted(facts.consents) == ["sms:promotions", "whatsapp:promotions"]
    assert len(facts.consents) == 2
    again = customer_facts(document())
    assert again is not None
    assert facts.consents == again.consents
    assert facts.consents["whatsapp:promotions"] is facts.consents["whatsapp:promotions"]


def test_times_are_read_in_utc_and_empty_collections_stay_empty() -> None:
    facts = customer_facts(document())
    assert facts is not None
    assert facts.last_inbound_at == {"whatsapp": datetime(2026, 11, 24, 10, tzinfo=UTC)}
    assert facts.recent_authorizations == (datetime(2026, 11, 24, 11, tzinfo=UTC),)
    bare = customer_facts(document(last_inbound_at={}, recent_authorizations=[], consents={}))
    assert bare is not None
    assert (dict(bare.last_inbound_at), bare.recent_authorizations, len(bare.consents)) == (
        {},
        (),
        0,
    )
    assert customer_facts(None) is None
