"""The SQL that counts registry_sends rows by registry/domain/outcome_counts.py's rule,
shared by the template stats (send_reads.py) and the experiment tallies
(experiment_sends.py)."""

from __future__ import annotations

from registry.domain.outcome_counts import shown_by


def count_sum(name: str, prefix: str = "") -> str:
    """SUM of the sends that count as `name`; `prefix` qualifies the columns (`s.`)."""
    shown = shown_by(name)
    if shown == (name,):
        return f"SUM({prefix}{name})"
    return (
        f"SUM(CASE WHEN {' OR '.join(f'{prefix}{flag} = 1' for flag in shown)} THEN 1 ELSE 0 END)"
    )
