import math

import numpy as np
import pytest
from scipy import stats as scipy_stats

from aisbench.analysis.stats import (
    bootstrap_ratio_ci,
    coefficient_of_variation,
    mean_ci,
    percentiles,
    welch_p_value,
)


def test_mean_ci_is_the_student_t_interval():
    values = [10.0, 12.0, 11.0, 13.0, 9.0]
    ci = mean_ci(values, confidence=0.95)
    low, high = scipy_stats.t.interval(0.95, 4, loc=11.0, scale=scipy_stats.sem(values))
    assert (ci.mean, ci.n) == (11.0, 5)
    assert (ci.low, ci.high) == pytest.approx((low, high))


def test_mean_ci_of_one_value_is_unbounded():
    ci = mean_ci([5.0])
    assert (ci.mean, ci.low, ci.high) == (5.0, -math.inf, math.inf)


def test_mean_ci_relative_half_width_is_a_fraction_of_the_mean():
    ci = mean_ci([99.0, 101.0, 100.0])
    assert ci.relative_half_width == pytest.approx(ci.half_width / 100.0)


@pytest.mark.parametrize("bad", [[], [1.0, math.nan], [math.inf]])
def test_statistics_refuse_empty_or_non_finite_input(bad):
    with pytest.raises(ValueError):
        mean_ci(bad)


def test_bootstrap_is_deterministic_for_a_seed():
    base, current = [100.0, 102.0, 98.0, 101.0], [90.0, 91.0, 89.0, 92.0]
    assert bootstrap_ratio_ci(base, current, seed=7) == bootstrap_ratio_ci(base, current, seed=7)


def test_bootstrap_interval_brackets_the_observed_ratio():
    base, current = [100.0, 102.0, 98.0, 101.0, 99.0], [80.0, 82.0, 79.0, 81.0, 78.0]
    low, high = bootstrap_ratio_ci(base, current)
    assert low < np.mean(current) / np.mean(base) < high < 1.0


def test_bootstrap_refuses_a_zero_base():
    with pytest.raises(ValueError, match="positive"):
        bootstrap_ratio_ci([0.0, 1.0], [1.0, 1.0])


def test_welch_p_value_matches_scipy():
    a, b = [1.0, 2.0, 3.0, 4.0], [2.0, 4.0, 6.0, 9.0]
    assert welch_p_value(a, b) == pytest.approx(scipy_stats.ttest_ind(a, b, equal_var=False).pvalue)


def test_welch_p_value_without_any_spread_is_exact():
    assert welch_p_value([5.0, 5.0], [5.0, 5.0]) == 1.0
    assert welch_p_value([5.0, 5.0], [6.0, 6.0]) == 0.0


def test_welch_needs_two_values_a_side():
    with pytest.raises(ValueError, match="two values"):
        welch_p_value([1.0], [1.0, 2.0])


def test_percentiles_interpolate_linearly():
    assert percentiles([1.0, 2.0, 3.0, 4.0, 5.0], (50, 90)) == {50: 3.0, 90: pytest.approx(4.6)}


def test_coefficient_of_variation_is_relative_spread():
    assert coefficient_of_variation([90.0, 110.0]) == pytest.approx(np.std([90, 110], ddof=1) / 100)
    assert coefficient_of_variation([3.0]) == 0.0
