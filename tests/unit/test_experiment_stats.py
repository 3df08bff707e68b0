"""The two formulas of R-EXPERIMENT's results against published values: Wilson intervals
(Newcombe 1998, Table I, method 3), chi-squared upper-tail critical values (NIST/SEMATECH
e-Handbook, table 1.3.6.7.4), and Pearson's test of worked examples (R's `prop.test`
smokers example; scipy's `chi2_contingency` documentation)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from registry.domain.experiment_stats import (
    chi_squared_upper_tail,
    pearson_chi_squared,
    wilson_interval,
)


@pytest.mark.parametrize(
    ("successes", "trials", "low", "high"),
    [(81, 263, 0.2553, 0.3662), (15, 148, 0.0624, 0.1605), (0, 20, 0.0, 0.1611),
     (1, 29, 0.0061, 0.1718)],
)  # fmt: skip
def test_wilson_interval_matches_newcombes_table(
    successes: int, trials: int, low: float, high: float
) -> None:
    interval = wilson_interval(successes, trials)
    assert interval is not None
    assert interval == (pytest.approx(low, abs=5e-5), pytest.approx(high, abs=5e-5))


def test_wilson_interval_of_no_trials_or_no_proportion_is_none() -> None:
    assert wilson_interval(0, 0) is None
    assert wilson_interval(3, 2) is None


@given(st.integers(min_value=1, max_value=10**6), st.data())
def test_wilson_interval_holds_the_rate_inside_zero_one(trials: int, data: st.DataObject) -> None:
    successes = data.draw(st.integers(min_value=0, max_value=trials))
    interval = wilson_interval(successes, trials)
    assert interval is not None
    low, high = interval
    assert 0.0 <= low <= successes / trials <= high <= 1.0


@pytest.mark.parametrize(
    ("df", "critical", "alpha"),
    [(1, 3.841, 0.05), (2, 5.991, 0.05), (3, 7.815, 0.05), (4, 9.488, 0.05), (5, 11.070, 0.05),
     (6, 12.592, 0.05), (7, 14.067, 0.05), (1, 6.635, 0.01), (2, 9.210, 0.01),
     (3, 11.345, 0.01), (7, 18.475, 0.01)],
)  # fmt: skip
def test_upper_tail_at_published_critical_values(df: int, critical: float, alpha: float) -> None:
    # the table's critical values have three decimals: the tail is alpha to about 1e-4
    assert chi_squared_upper_tail(critical, df) == pytest.approx(alpha, abs=2e-5)


@given(st.integers(min_value=1, max_value=7), st.floats(min_value=0, max_value=200))
def test_upper_tail_falls_from_one_as_the_statistic_grows(df: int, x: float) -> None:
    tail = chi_squared_upper_tail(x, df)
    assert 0.0 <= tail <= 1.0
    assert chi_squared_upper_tail(x + 1, df) <= tail
    assert chi_squared_upper_tail(0.0, df) == pytest.approx(1.0)


def test_pearson_chi_squared_of_rs_smokers_example() -> None:
    # prop.test(c(83, 90, 129, 70), c(86, 93, 136, 82)): X-squared = 12.6, df = 3,
    # p-value = 0.005585 (no continuity correction with more than two groups)
    test = pearson_chi_squared([(83, 86), (90, 93), (129, 136), (70, 82)])
    assert test is not None
    assert (round(test.statistic, 1), test.degrees_of_freedom) == (12.6, 3)
    assert test.p_value == pytest.approx(0.005585, abs=5e-7)


def test_pearson_chi_squared_of_scipys_contingency_example() -> None:
    # chi2_contingency([[10, 10, 20], [20, 20, 20]]): statistic 2.7777..., dof 2,
    # pvalue 0.24935220877729619
    test = pearson_chi_squared([(10, 30), (10, 30), (20, 40)])
    assert test is not None
    assert test.statistic == pytest.approx(25 / 9)
    assert test.p_value == pytest.approx(0.24935220877729619, rel=1e-12)


def test_pearson_chi_squared_of_two_arms_has_no_yates_correction() -> None:
    # 2 x 2 [[10, 30], [20, 40]]: (ad - bc)^2 N / (row and column products) = 0.79365...
    test = pearson_chi_squared([(10, 40), (20, 60)])
    assert test is not None
    assert test.statistic == pytest.approx((10 * 40 - 30 * 20) ** 2 * 100 / (40 * 60 * 30 * 70))


@pytest.mark.parametrize(
    "groups",
    [[(5, 10)], [(0, 10), (0, 20)], [(10, 10), (20, 20)], [(1, 10), (0, 0)]],
    ids=["one group", "no successes", "all successes", "a group without trials"],
)
def test_pearson_chi_squared_is_undefined_without_variation_or_groups(
    groups: list[tuple[int, int]],
) -> None:
    assert pearson_chi_squared(groups) is None
