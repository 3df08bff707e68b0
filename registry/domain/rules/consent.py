"""The consent for the template's purpose on the channel: given, confirmed (R-CONFIRM),
not withdrawn, not expired. `consent_status` is the one place where a consent counts as expired: decisions
and the customer's answer (`GET /v1/customers/{id}`) both ask it."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from registry.domain.reasons import (
    CONSENT_EXPIRED,
    CONSENT_PENDING,
    CONSENT_WITHDRAWN,
    NO_CONSENT,
)

if TYPE_CHECKING:
    from registry.domain.decision import ConsentFact, CustomerFacts


def consent_status(
    status: str, expires_at: datetime | None, at: datetime, confirm_by: datetime | None = None
) -> str:
    """The recorded status (granted | pending | withdrawn) as of `at`: a grant whose
    `expires_at` has come, or a pending grant (R-CONFIRM) unconfirmed by `confirm_by`, is
    `expired` from that instant on."""
    if status == "granted" and expires_at is not None and expires_at <= at:
        return "expired"
    if status == "pending" and confirm_by is not None and confirm_by <= at:
        return "expired"
    return status


def consent_reasons(
    customer: CustomerFacts | None, channel: str, purpose: str, at: datetime
) -> tuple[list[str], ConsentFact | None]:
    """The failing codes and the consent they judged (None when there is none)."""
    fact = None if customer is None else customer.consents.get(f"{channel}:{purpose}")
    if fact is None or fact.granted_at is None:
        return [NO_CONSENT], fact
    status = consent_status(fact.status, fact.expires_at, at, fact.confirm_by)
    if status == "pending":
        return [CONSENT_PENDING], fact
    if status == "withdrawn":
        return [CONSENT_WITHDRAWN], fact
    if status == "expired":
        return [CONSENT_EXPIRED], fact
    return [], fact
