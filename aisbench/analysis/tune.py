"""The knee of a sweep: the smallest setting that gets (nearly) the best throughput.

More DataLoader workers, bigger shards or batches cost memory and CPU; past the knee they buy
little. `recommend` picks the smallest value whose mean throughput is within ``within`` of the
best mean, and says why in a sentence.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from aisbench.analysis.stats import DEFAULT_CONFIDENCE, mean_ci
from aisbench.errors import InvalidValue, UnknownName
from aisbench.results import CaseResult

SweepPoint = tuple[Any, float, tuple[float, float]]
"""(parameter value, mean throughput, (ci_low, ci_high) of that mean)."""


@dataclass(frozen=True, slots=True)
class Recommendation:
    """value: the recommended setting; best_value / best_throughput: the top mean;
    threshold: (1 - within) * best_throughput, the bar the recommendation clears;
    explanation: one or two sentences for a person."""

    value: Any
    best_value: Any
    best_throughput: float
    threshold: float
    explanation: str


def recommend(
    points: Sequence[SweepPoint],
    within: float = 0.05,
    *,
    parameter: str = "value",
    unit: str = "samples/s",
) -> Recommendation:
    """The smallest value whose mean throughput is within ``within`` (0.05 = 5%) of the best.

    ``points`` are (value, mean throughput, (ci_low, ci_high)) in any order; values must be
    orderable (numbers). ``parameter`` and ``unit`` only word the explanation.
    """
    if not points:
        raise ValueError("recommend needs at least one sweep point")
    if not 0 <= within < 1:
        raise ValueError(f"within must be in [0, 1), got {within}")
    ordered = sorted(points, key=lambda point: point[0])
    best_value, best_mean, best_ci = max(ordered, key=lambda point: point[1])
    threshold = (1 - within) * best_mean
    value, mean, ci = next(point for point in ordered if point[1] >= threshold)
    name = f"{parameter}={value}"
    if value == best_value:
        explanation = (
            f"{name} is recommended: it gives the best throughput, {_fmt(best_mean)} {unit}"
        )
        smaller = [point for point in ordered if point[0] < value]
        if smaller:
            runner_up = max(smaller, key=lambda point: point[1])
            explanation += (
                f", and no smaller value comes within {within:.0%} of it (the best of them, "
                f"{parameter}={runner_up[0]}, reaches {_fmt(runner_up[1])} {unit})"
            )
        explanation += "."
    else:
        gain = best_mean / mean - 1
        explanation = (
            f"{name} is recommended: {_fmt(mean)} {unit} is within {within:.0%} of the best "
            f"({_fmt(best_mean)} {unit} at {parameter}={best_value}); going up to "
            f"{parameter}={best_value} gains only {gain:.1%}."
        )
        if ci[1] >= best_ci[0]:
            explanation += " Their confidence intervals overlap, so the gap is within noise."
    return Recommendation(value, best_value, best_mean, threshold, explanation)


def sweep_points(
    cases: Sequence[CaseResult],
    parameter: str,
    metric: str = "samples_per_s",
    confidence: float = DEFAULT_CONFIDENCE,
) -> list[SweepPoint]:
    """Sweep points from case results that differ in ``parameter`` (a key of their params).

    Cases that did not measure (status not ok) are left out. Filter ``cases`` first when other
    parameters vary too, so each value appears once.
    """
    points: list[SweepPoint] = []
    seen: set[Any] = set()
    for case in cases:
        values = case.values(metric)
        if case.status != "ok" or not values:
            continue
        if parameter not in case.params:
            raise UnknownName(f"case {case.case_id!r} has no parameter {parameter!r}")
        value = case.params[parameter]
        if value in seen:
            raise InvalidValue(
                f"{parameter}={value} appears in more than one case; filter the cases so the "
                "other parameters are fixed"
            )
        seen.add(value)
        ci = mean_ci(values, confidence)
        points.append((value, ci.mean, (ci.low, ci.high)))
    return points


def _fmt(value: float) -> str:
    if not math.isfinite(value):
        return str(value)
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"
