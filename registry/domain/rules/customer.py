"""The customer's own state: erased, suppressed (suppression spares authentication)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from registry.domain.reasons import CUSTOMER_ERASED, CUSTOMER_SUPPRESSED

if TYPE_CHECKING:
    from registry.domain.decision import CustomerFacts


def customer_reasons(customer: CustomerFacts | None, purpose: str | None) -> list[str]:
    if customer is None:
        return []
    reasons: list[str] = []
    if customer.erased:
        reasons.append(CUSTOMER_ERASED)
    if customer.suppressed and purpose != "authentication":
        reasons.append(CUSTOMER_SUPPRESSED)
    return reasons
