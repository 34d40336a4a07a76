"""Paired statistics for A/B measurements taken in interleaved blocks.

Each block measures the base and the current version back to back, so whatever drifts over
minutes (another tenant, CPU frequency, the page cache) hits both alike and cancels in the
block's log-ratio ``log(current / base)``. The questions are then about one sample of
log-ratios:

- the estimate is their mean, reported as a ratio (the geometric mean of the block ratios);
- its confidence interval is Student's t on the log-ratios, after taking out the edge of
  running second in a block (see `paired_estimate`). Few blocks (6-20) make a bootstrap of
  the median too coarse to trust (with 6 blocks it can only return the order statistics); the
  t interval is exact for normal log-ratios and close for the near-symmetric ones seen here;
- the Wilcoxon signed-rank test must agree before anything is called a change, so one wild
  block cannot carry a verdict on its own.

`judge` turns an estimate into one of four verdicts against a threshold, always in the
metric's "worse" direction: *slower* (worse beyond the threshold, and significant), *faster*
(better beyond the threshold, and significant), *unchanged* (the whole interval lies within
the threshold) or *inconclusive* (anything else: measure more).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, TypeAlias

import numpy as np
from scipy import stats as scipy_stats

PairedVerdict: TypeAlias = Literal["slower", "faster", "unchanged", "inconclusive"]
MIN_BLOCKS = 2  # a spread needs two blocks; a verdict needs more (see `judge`)


@dataclass(frozen=True, slots=True)
class PairedEstimate:
    """current / base over n paired blocks.

    ratio: the geometric mean of the block ratios; ci_low..ci_high: its confidence interval at
    ``confidence``; p_value: two-sided Wilcoxon signed-rank p of "no change" (1.0 when every
    block ratio is exactly 1).
    """

    ratio: float
    ci_low: float
    ci_high: float
    p_value: float
    n: int
    confidence: float

    @property
    def change(self) -> float:
        """ratio - 1 (-0.1 = 10% lower)."""
        return self.ratio - 1.0


def log_ratios(base: Sequence[float], current: Sequence[float]) -> np.ndarray:
    """log(current_i / base_i) per block; every value must be a positive finite number."""
    b, c = np.asarray(base, dtype=float), np.asarray(current, dtype=float)
    if b.shape != c.shape or b.ndim != 1:
        raise ValueError(f"need two equally long sequences, got {len(base)} and {len(current)}")
    if not (np.all(np.isfinite(b)) and np.all(np.isfinite(c)) and np.all(b > 0)
            and np.all(c > 0)):
        raise ValueError("paired ratios need positive finite values on both sides")
    return np.log(c / b)


def paired_estimate(base: Sequence[float], current: Sequence[float],
                    base_first: Sequence[bool] | None = None,
                    confidence: float = 0.95) -> PairedEstimate:
    """The paired estimate of current / base from blocks (``base[i]`` pairs ``current[i]``).

    ``base_first[i]`` says which version ran first in block i. When both orders occur, the
    edge of running second (measured here: 3-5% more throughput) is estimated and taken out
    as in a two-period crossover trial: log-ratio = change + edge * order + noise, fitted by
    least squares, so the order no longer widens the interval. The signed-rank test then sees
    the order-adjusted log-ratios.
    """
    d = log_ratios(base, current)
    n = int(d.size)
    if n < MIN_BLOCKS:
        raise ValueError(f"a paired estimate needs at least {MIN_BLOCKS} blocks, got {n}")
    order = None if base_first is None else np.where(np.asarray(base_first, dtype=bool), 1.0,
                                                      -1.0)
    if order is not None and order.size != n:
        raise ValueError(f"base_first has {order.size} entries for {n} blocks")
    if order is not None and n >= 3 and abs(float(order.sum())) < n:
        design = np.column_stack([np.ones(n), order])
        coef, *_ = np.linalg.lstsq(design, d, rcond=None)
        residuals = d - design @ coef
        df = n - 2
        variance = float(residuals @ residuals) / df if df else 0.0
        mean = float(coef[0])
        sem = math.sqrt(variance * float(np.linalg.inv(design.T @ design)[0, 0]))
        adjusted = d - coef[1] * order
    else:
        df = n - 1
        mean = float(d.mean())
        sem = float(d.std(ddof=1)) / math.sqrt(n)
        adjusted = d
    half = float(scipy_stats.t.ppf((1 + confidence) / 2, df=df)) * sem if df else math.inf
    return PairedEstimate(ratio=math.exp(mean), ci_low=math.exp(mean - half),
                          ci_high=math.exp(mean + half), p_value=signed_rank_p(adjusted), n=n,
                          confidence=confidence)


def signed_rank_p(log_ratio: np.ndarray) -> float:
    """Two-sided exact Wilcoxon signed-rank p-value that the log-ratios centre on 0."""
    if not np.any(log_ratio):
        return 1.0
    return float(scipy_stats.wilcoxon(log_ratio, zero_method="wilcox", alternative="two-sided",
                                      method="auto").pvalue)


def judge(estimate: PairedEstimate, threshold: float, higher_is_better: bool,
          alpha: float = 0.05) -> PairedVerdict:
    """The verdict on one metric; ``threshold`` is the smallest change that matters (0.05 = 5%).

    slower: worse than ``threshold`` by the estimate, the interval excludes 1 on the worse side,
    and the signed-rank p < alpha. faster: the same on the better side. unchanged: the whole
    interval within 1 +/- threshold. Otherwise inconclusive.
    """
    if not 0 < threshold < 1:
        raise ValueError(f"threshold must be between 0 and 1, got {threshold}")
    e = estimate
    lower_is_worse = higher_is_better
    significant = e.p_value < alpha
    if lower_is_worse:
        worse = e.ratio < 1 - threshold and e.ci_high < 1 and significant
        better = e.ratio > 1 + threshold and e.ci_low > 1 and significant
    else:
        worse = e.ratio > 1 + threshold and e.ci_low > 1 and significant
        better = e.ratio < 1 - threshold and e.ci_high < 1 and significant
    if worse:
        return "slower"
    if better:
        return "faster"
    if 1 - threshold < e.ci_low and e.ci_high < 1 + threshold:
        return "unchanged"
    return "inconclusive"
