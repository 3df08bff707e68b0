"""R-EXPERIMENT assignment (SPEC §13): deterministic and stable.

The first 8 bytes of SHA-256(tenant ":" experiment ":" customer_id), read as a big-endian
integer, modulo 100, fall into the arms' cumulative weights in the order given, control last."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

CONTROL = "control"


def assignment_bucket(tenant: str, experiment: str, customer_id: str) -> int:
    """0..99 for this customer in this experiment."""
    digest = hashlib.sha256(f"{tenant}:{experiment}:{customer_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % 100


def arm_for_bucket(bucket: int, arms: Sequence[tuple[str, int]]) -> str:
    """The arm whose cumulative weight range holds `bucket`; `control` past the arms
    (the control weight is what the arms leave of 100)."""
    upper = 0
    for name, weight in arms:
        upper += weight
        if bucket < upper:
            return name
    return CONTROL


def assign_arm(
    tenant: str, experiment: str, customer_id: str, arms: Sequence[tuple[str, int]]
) -> str:
    return arm_for_bucket(assignment_bucket(tenant, experiment, customer_id), arms)
