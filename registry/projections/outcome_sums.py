"""The SQL that counts registry_sends rows by registry/domain/outcome_counts.py's rule,
shared by the template stats (send_reads.py) and the experiment tallies
(experiment_sends.py)."""

from __future__ import annotations

from registry.domain.outcome_counts import shown_by
from registry.store.send_hours import counted


def count_sum(name: str, prefix: str = "") -> str:
    """SUM of the sends that count as `name`; `prefix` qualifies the columns (`s.`). The
    same expression as the triggers of the hourly counts count by."""
    return f"SUM({counted(name, prefix.removesuffix('.'), shown_by)})"
