"""What the report reads out of case results: metric means with confidence intervals, which
parameters a run varies, and which cases are the aisloader ceiling. Pure functions.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from aisbench.analysis import DEFAULT_CONFIDENCE, mean_ci
from aisbench.results import CaseResult, ParamValue

CEILING_STRATEGY = "aisloader"
STRATEGY_PARAM = "strategy"

# The params key a workers axis goes by (the short label, or the full key when labels clash).
WORKERS_KEYS = ("num_workers", "loader.num_workers")
# Loader settings do not apply to aisloader, so a ceiling holds across their values.
LOADER_KEYS = frozenset(
    key
    for name in ("num_workers", "batch_size", "prefetch_factor", "persistent_workers",
                 "get_batch_size")
    for key in (name, f"loader.{name}")
)

# Okabe-Ito, then tab10 extras: distinguishable for colour-blind readers.
PALETTE = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#F0E442",
    "#8c564b",
    "#7f7f7f",
    "#17becf",
)
CEILING_COLOR = "#222222"
_ROUNDING = 1e-9


@dataclass(frozen=True, slots=True)
class MetricSummary:
    """The mean of a metric over a case's repeats, with its Student-t confidence interval.

    low/high are None when there is no interval to give (a single value).
    """

    mean: float
    low: float | None
    high: float | None
    n: int

    @property
    def half_width(self) -> float | None:
        if self.low is None or self.high is None:
            return None
        return (self.high - self.low) / 2


def summarize(
    values: Sequence[float], confidence: float = DEFAULT_CONFIDENCE
) -> MetricSummary | None:
    """Mean and CI of ``values``; None for no values."""
    if not values:
        return None
    ci = mean_ci(values, confidence)
    if ci.n < 2:
        return MetricSummary(ci.mean, None, None, ci.n)
    if ci.high - ci.low <= _ROUNDING * abs(ci.mean):
        # Identical repeats: the interval is float rounding noise (1e-16), not spread.
        return MetricSummary(ci.mean, ci.mean, ci.mean, ci.n)
    return MetricSummary(ci.mean, ci.low, ci.high, ci.n)


def summarize_case(case: CaseResult, metric: str) -> MetricSummary | None:
    """`summarize` of ``metric`` over the case's repeats (warmup excluded); None if not ok,
    and None for accelerator utilisation when the case emulated no accelerator."""
    if case.status != "ok":
        return None
    if metric == "accel_utilization" and not emulated_accelerator(case):
        return None
    return summarize(case.values(metric))


def emulated_accelerator(case: CaseResult) -> bool:
    """True if the emulated accelerator computed in some repeat (0 busy seconds everywhere
    means there was none: with one, any delivered batch keeps it busy)."""
    return any(m.accel_busy_s > 0 for m in case.repeats)


def is_ceiling(case: CaseResult) -> bool:
    """True for the aisloader ceiling: a reference for the loaders, never a line of its own."""
    return case.strategy == CEILING_STRATEGY or bool(case.extra.get("ceiling"))


def measured(cases: Iterable[CaseResult]) -> list[CaseResult]:
    """The cases that measured something (status ok) and are loaders, not the ceiling."""
    return [c for c in cases if c.status == "ok" and not is_ceiling(c)]


def ceilings(cases: Iterable[CaseResult]) -> list[CaseResult]:
    """The ok aisloader ceiling cases."""
    return [c for c in cases if c.status == "ok" and is_ceiling(c)]


def ceiling_ignored_keys(cases: Iterable[CaseResult]) -> frozenset[str]:
    """The loader settings none of these ceilings depends on (a GetBatch ceiling depends on the
    batch size: its result, recorded in ``extra["loader_keys"]``, holds for that size only)."""
    used = {k for case in cases for key in case.extra.get("loader_keys", ())
            for k in (key, f"loader.{key}")}
    return LOADER_KEYS - used


def axis_key(cases: Sequence[CaseResult], candidates: Iterable[str]) -> str | None:
    """The first of ``candidates`` that some case has as a parameter."""
    return next((key for key in candidates if any(key in c.params for c in cases)), None)


def numeric_values(cases: Sequence[CaseResult], key: str) -> list[float] | None:
    """The distinct values of parameter ``key``, sorted; None if any is missing or not a number."""
    values = set()
    for case in cases:
        value = case.params.get(key)
        if isinstance(value, bool) or not isinstance(value, int | float):
            return None
        values.add(float(value))
    return sorted(values)


def varying_keys(cases: Sequence[CaseResult], exclude: Iterable[str] = ()) -> list[str]:
    """Parameter keys (in first-seen order) with more than one value among ``cases``."""
    skip = {STRATEGY_PARAM, *exclude}
    keys: list[str] = []
    for case in cases:
        keys += [k for k in case.params if k not in skip and k not in keys]
    return [k for k in keys if len({repr(c.params.get(k)) for c in cases}) > 1]


def group_params(case: CaseResult, keys: Sequence[str]) -> dict[str, ParamValue]:
    """The case's values for ``keys``, in that order (None where it has none)."""
    return {key: case.params.get(key) for key in keys}


def strategy_colors(cases: Iterable[CaseResult]) -> dict[str, str]:
    """A colour per strategy in first-seen order, so every plot of a run agrees."""
    colors: dict[str, str] = {}
    for case in cases:
        if case.strategy not in colors and not is_ceiling(case):
            colors[case.strategy] = PALETTE[len(colors) % len(PALETTE)]
    return colors


def pooled(cases: Iterable[CaseResult], metric: str) -> tuple[float, ...]:
    """Every repeat's value of ``metric`` over ``cases``, in order."""
    return tuple(v for case in cases for v in case.values(metric))
