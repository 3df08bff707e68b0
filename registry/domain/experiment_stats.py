"""The two statistics of an experiment's results (SPEC §13), written out rather than taken
from scipy (no compiled dependency for two formulas; tests/unit/test_experiment_stats.py
checks them against published values):

- the Wilson score interval of a proportion (Wilson 1927; Newcombe 1998, method 3: no
  continuity correction), 95 % by default;
- Pearson's chi-squared test of independence of an r × 2 table (successes and failures
  per arm), without Yates' correction (SPEC §19), and its p-value: the chi-squared
  distribution's upper tail, in closed form for integer degrees of freedom.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Final, NamedTuple

Z_95: Final = 1.959963984540054  # the standard normal's 97.5th percentile


def wilson_interval(successes: int, trials: int, z: float = Z_95) -> tuple[float, float] | None:
    """(low, high) for successes / trials; None when there are no trials or the counts
    are no proportion (successes outside 0..trials)."""
    if trials <= 0 or not 0 <= successes <= trials:
        return None
    p = successes / trials
    z2 = z * z
    denominator = 1 + z2 / trials
    centre = (p + z2 / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials)) / denominator
    low = 0.0 if successes == 0 else max(0.0, centre - half)  # exact at the ends
    high = 1.0 if successes == trials else min(1.0, centre + half)
    return low, high


def chi_squared_upper_tail(statistic: float, degrees_of_freedom: int) -> float:
    """P(X >= statistic) for X ~ chi-squared with `degrees_of_freedom` (an integer >= 1).

    Even k = 2m: exp(-x/2) * sum_{j<m} (x/2)^j / j!.
    Odd k = 2m + 1: erfc(sqrt(x/2)) + sqrt(2x/pi) exp(-x/2) * sum_{j=1..m} x^(j-1) / (2j-1)!!.
    """
    if degrees_of_freedom < 1:
        raise ValueError("degrees_of_freedom must be at least 1")
    x = max(0.0, statistic)
    if degrees_of_freedom % 2 == 0:
        term = total = 1.0
        for j in range(1, degrees_of_freedom // 2):
            term *= (x / 2) / j
            total += term
        return min(1.0, math.exp(-x / 2) * total)
    tail = math.erfc(math.sqrt(x / 2))
    if degrees_of_freedom == 1:
        return tail
    term = total = 1.0
    for j in range(2, (degrees_of_freedom - 1) // 2 + 1):
        term *= x / (2 * j - 1)
        total += term
    return min(1.0, tail + math.sqrt(2 * x / math.pi) * math.exp(-x / 2) * total)


class ChiSquared(NamedTuple):
    statistic: float
    degrees_of_freedom: int
    p_value: float


def pearson_chi_squared(groups: Sequence[tuple[int, int]]) -> ChiSquared | None:
    """The test of `groups`, each (successes, trials), as an r × 2 table.

    None when it is undefined: fewer than two groups, a group with no trials, or no
    variation at all (nobody, or everybody, succeeded): an expected count would be 0."""
    if len(groups) < 2 or any(trials <= 0 or not 0 <= s <= trials for s, trials in groups):
        return None
    total = sum(trials for _, trials in groups)
    successes = sum(s for s, _ in groups)
    failures = total - successes
    if successes == 0 or failures == 0:
        return None
    statistic = 0.0
    for s, trials in groups:
        for observed, column in ((s, successes), (trials - s, failures)):
            expected = trials * column / total
            statistic += (observed - expected) ** 2 / expected
    df = len(groups) - 1
    return ChiSquared(statistic, df, chi_squared_upper_tail(statistic, df))
