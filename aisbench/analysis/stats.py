"""Small, pure statistics for benchmark repeats: means with confidence intervals, a seeded
bootstrap of the ratio of two means, Welch's t-test and percentiles.

All functions take plain sequences of floats and return plain values; randomness is seeded
so the same inputs always give the same answers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats as scipy_stats

DEFAULT_CONFIDENCE = 0.95
DEFAULT_RESAMPLES = 10_000


@dataclass(frozen=True, slots=True)
class MeanCI:
    """A sample mean with its two-sided t-based confidence interval.

    With a single value there is no spread to estimate, so the interval is (-inf, inf).
    """

    mean: float
    low: float
    high: float
    n: int
    confidence: float

    @property
    def half_width(self) -> float:
        return (self.high - self.low) / 2

    @property
    def relative_half_width(self) -> float:
        """Half-width as a fraction of the mean (0.02 = +/-2%); inf for a zero mean."""
        return self.half_width / abs(self.mean) if self.mean else math.inf


def mean_ci(values: Sequence[float], confidence: float = DEFAULT_CONFIDENCE) -> MeanCI:
    """Mean of ``values`` and its Student-t confidence interval."""
    data = _as_array(values, "values")
    mean = float(data.mean())
    if data.size == 1:
        return MeanCI(mean, -math.inf, math.inf, 1, confidence)
    sem = float(data.std(ddof=1)) / math.sqrt(data.size)
    t = float(scipy_stats.t.ppf((1 + confidence) / 2, df=data.size - 1))
    return MeanCI(mean, mean - t * sem, mean + t * sem, int(data.size), confidence)


def coefficient_of_variation(values: Sequence[float]) -> float:
    """Sample standard deviation / mean (0.03 = 3% noise); 0.0 for a single value."""
    data = _as_array(values, "values")
    if data.size == 1:
        return 0.0
    return float(data.std(ddof=1) / data.mean())


def bootstrap_ratio_ci(
    base: Sequence[float],
    current: Sequence[float],
    confidence: float = DEFAULT_CONFIDENCE,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
) -> tuple[float, float]:
    """Percentile-bootstrap confidence interval of mean(current) / mean(base).

    Each sample is resampled with replacement on its own (the runs are independent);
    ``seed`` makes the interval reproducible.
    """
    base_data = _as_array(base, "base")
    current_data = _as_array(current, "current")
    if np.any(base_data <= 0):
        raise ValueError("bootstrap_ratio_ci needs positive base values (a ratio of means)")
    rng = np.random.default_rng(seed)
    base_means = rng.choice(base_data, size=(resamples, base_data.size)).mean(axis=1)
    current_means = rng.choice(current_data, size=(resamples, current_data.size)).mean(axis=1)
    ratios = current_means / base_means
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(ratios, [tail, 100 - tail])
    return float(low), float(high)


def welch_p_value(a: Sequence[float], b: Sequence[float]) -> float:
    """Two-sided p-value of Welch's t-test (unequal variances) that a and b share a mean.

    Needs at least two values on each side. With no spread at all on both sides the answer is
    exact: 1.0 if the means are equal, else 0.0.
    """
    a_data, b_data = _as_array(a, "a"), _as_array(b, "b")
    if a_data.size < 2 or b_data.size < 2:
        raise ValueError("welch_p_value needs at least two values in each sample")
    if a_data.var(ddof=1) == 0 and b_data.var(ddof=1) == 0:
        return 1.0 if a_data.mean() == b_data.mean() else 0.0
    result = scipy_stats.ttest_ind(a_data, b_data, equal_var=False)
    return float(result.pvalue)


def percentiles(values: Sequence[float], qs: Sequence[float] = (50, 90, 99)) -> dict[float, float]:
    """{q: q-th percentile} with linear interpolation (numpy's default), q in 0..100."""
    data = _as_array(values, "values")
    return {q: float(v) for q, v in zip(qs, np.percentile(data, list(qs)), strict=True)}


def _as_array(values: Sequence[float], name: str) -> np.ndarray:
    data = np.asarray(values, dtype=float)
    if data.ndim != 1 or data.size == 0:
        raise ValueError(f"{name} must be a non-empty sequence of numbers")
    if not np.all(np.isfinite(data)):
        raise ValueError(f"{name} must be finite numbers, got {list(values)}")
    return data
