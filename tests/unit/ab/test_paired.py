"""Paired statistics on synthetic blocks: drift cancels, real effects show, three-way verdicts."""

import math

import numpy as np
import pytest

from aisbench.analysis.paired import PairedEstimate, judge, paired_estimate


def blocks(n: int, effect: float, noise: float, drift: float, seed: int,
           order_edge: float = 0.0) -> tuple[list[float], list[float], list[bool]]:
    """Base and current throughput per block: a drift shared by both sides of a block (up to
    ``drift``, multiplicative), independent noise per measurement, and an edge for whichever ran
    second. Orders mirror in pairs, as the A/B runs them."""
    rng = np.random.default_rng(seed)
    base, current, base_first = [], [], []
    for i in range(n):
        level = 1000 * (1 + drift * rng.uniform(-1, 1))
        first = (i // 2 + i) % 2 == 0
        edge_b, edge_c = (1.0, 1 + order_edge) if first else (1 + order_edge, 1.0)
        base.append(level * edge_b * math.exp(rng.normal(0, noise)))
        current.append(level * (1 + effect) * edge_c * math.exp(rng.normal(0, noise)))
        base_first.append(first)
    return base, current, base_first


def test_thirty_percent_drift_across_blocks_with_no_change_raises_no_false_alarm():
    alarms = 0
    for seed in range(200):
        b, c, first = blocks(8, effect=0.0, noise=0.02, drift=0.30, seed=seed)
        alarms += judge(paired_estimate(b, c, first), 0.05, higher_is_better=True) == "slower"
    assert alarms == 0


def test_no_change_under_thirty_percent_drift_is_mostly_called_unchanged():
    unchanged = sum(
        judge(paired_estimate(*blocks(8, 0.0, 0.02, 0.30, seed)), 0.05, True) == "unchanged"
        for seed in range(100))
    assert unchanged >= 90


def test_a_ten_percent_slowdown_under_five_percent_noise_is_caught():
    caught = sum(
        judge(paired_estimate(*blocks(8, -0.10, 0.05, 0.30, seed)), 0.05, True) == "slower"
        for seed in range(100))
    assert caught >= 90


def test_the_edge_of_running_second_is_taken_out_of_the_interval():
    b, c, first = blocks(8, effect=0.0, noise=0.005, drift=0.3, seed=3, order_edge=0.05)
    adjusted = paired_estimate(b, c, first)
    plain = paired_estimate(b, c)
    assert adjusted.ci_high - adjusted.ci_low < (plain.ci_high - plain.ci_low) / 3
    assert adjusted.ci_low < 1 < adjusted.ci_high


def test_the_ratio_is_the_geometric_mean_of_block_ratios():
    e = paired_estimate([100, 100, 100], [110, 90, 100])
    assert e.ratio == pytest.approx(math.exp((math.log(1.1) + math.log(0.9)) / 3))
    assert e.n == 3


def test_identical_blocks_give_a_point_interval_and_p_of_one():
    e = paired_estimate([5.0, 6.0, 7.0], [5.0, 6.0, 7.0])
    assert (e.ratio, e.ci_low, e.ci_high, e.p_value) == (1.0, 1.0, 1.0, 1.0)


@pytest.mark.parametrize("base,current", [([1.0], [1.0]), ([1.0, 2.0], [1.0]),
                                          ([1.0, 0.0], [1.0, 1.0]), ([1.0, 1.0], [1.0, -1.0])])
def test_too_few_or_non_positive_blocks_are_refused(base, current):
    with pytest.raises(ValueError):
        paired_estimate(base, current)


def estimate(ratio: float, low: float, high: float, p: float = 0.01) -> PairedEstimate:
    return PairedEstimate(ratio, low, high, p, n=8, confidence=0.95)


@pytest.mark.parametrize("e,higher_is_better,verdict", [
    (estimate(0.90, 0.85, 0.95), True, "slower"),
    (estimate(1.10, 1.05, 1.15), True, "faster"),
    (estimate(1.10, 1.05, 1.15), False, "slower"),  # more CPU per sample is worse
    (estimate(0.90, 0.85, 0.95), False, "faster"),
    (estimate(1.00, 0.97, 1.03), True, "unchanged"),
    (estimate(0.93, 0.86, 1.01), True, "inconclusive"),  # the interval reaches no change
    (estimate(0.97, 0.93, 0.99), True, "inconclusive"),  # significant but maybe small
    (estimate(0.90, 0.85, 0.95, p=0.2), True, "inconclusive"),  # the signed-rank test disagrees
])
def test_three_way_verdicts(e, higher_is_better, verdict):
    assert judge(e, 0.05, higher_is_better) == verdict


def test_a_threshold_outside_zero_to_one_is_refused():
    with pytest.raises(ValueError, match="threshold"):
        judge(estimate(1.0, 0.9, 1.1), 1.5, True)
