"""The series and reference lines plots are made of, built from case results.

Pure functions: means and 95% confidence intervals over repeats (warmup excluded), one series
per strategy, the aisloader ceiling as references or dashed series, empirical CDFs.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from aisbench.report.case_data import (
    CEILING_COLOR,
    ceiling_ignored_keys,
    ceilings,
    group_params,
    pooled,
    summarize,
    summarize_case,
    varying_keys,
)
from aisbench.report.formatting import params_label
from aisbench.report.plot_model import Reference, Series
from aisbench.results import CaseResult

CDF_MAX_POINTS = 400


def sweep_series(
    cases: Sequence[CaseResult],
    key: str,
    metric: str,
    colors: dict[str, str],
    *,
    scale: float = 1.0,
    ceiling: bool = False,
) -> list[Series]:
    """One series per strategy (and per value of the other varying parameters), x = ``key``.
    Ceilings are grouped per strategy by the parameters that kind of ceiling depends on."""
    if ceiling and len({c.strategy for c in cases}) > 1:
        by_strategy: dict[str, list[CaseResult]] = {}
        for case in cases:
            by_strategy.setdefault(case.strategy, []).append(case)
        return [line for members in by_strategy.values()
                for line in sweep_series(members, key, metric, colors, scale=scale, ceiling=True)]
    others = varying_keys(cases, exclude=(key, *(ceiling_ignored_keys(cases) if ceiling
                                                  else ())))
    groups: dict[tuple[str, str], list[CaseResult]] = {}
    for case in cases:
        groups.setdefault((case.strategy, params_label(group_params(case, others))), []).append(
            case
        )
    series = []
    for (strategy, rest), members in groups.items():
        points = []
        for case in sorted(members, key=lambda c: float(c.params[key])):  # type: ignore[arg-type]
            summary = summarize_case(case, metric)
            if summary is not None:
                points.append((float(case.params[key]), summary))  # type: ignore[arg-type]
        if not points:
            continue
        label = f"{strategy} ceiling" if ceiling else strategy
        series.append(
            Series(
                label=f"{label} ({rest})" if rest else label,
                x=tuple(x for x, _ in points),
                y=tuple(s.mean * scale for _, s in points),
                y_low=tuple(_scaled(s.low, scale) for _, s in points),
                y_high=tuple(_scaled(s.high, scale) for _, s in points),
                color=CEILING_COLOR if ceiling else colors.get(strategy, ""),
                style="ceiling" if ceiling else "line",
            )
        )
    return series


def bar_series(
    cases: Sequence[CaseResult],
    metric: str,
    colors: dict[str, str],
    *,
    ceiling_color: str | None = None,
) -> list[Series]:
    """One bar series per strategy (so bars group by strategy); categories are the case ids,
    in run order within a strategy. With ``ceiling_color`` the cases are ceilings."""
    by_strategy: dict[str, list[CaseResult]] = {}
    for case in cases:
        by_strategy.setdefault(case.strategy, []).append(case)
    series = []
    for strategy, members in by_strategy.items():
        rows = [(c, s) for c in members if (s := summarize_case(c, metric)) is not None]
        if rows:
            series.append(
                Series(
                    label=f"{strategy} ceiling" if ceiling_color else strategy,
                    x=tuple(case_label(c) for c, _ in rows),
                    y=tuple(s.mean for _, s in rows),
                    y_low=tuple(s.low for _, s in rows),
                    y_high=tuple(s.high for _, s in rows),
                    color=ceiling_color or colors.get(strategy, ""),
                    style="ceiling" if ceiling_color else "line",
                )
            )
    return series


def ceiling_references(
    cases: Sequence[CaseResult], metric: str, exclude: Sequence[str]
) -> list[Reference]:
    """One reference per combination of the parameters that matter to aisloader (loader
    settings do not), its value the mean over every repeat of those ceiling cases."""
    top = ceilings(cases)
    keys = varying_keys(top, exclude=(*exclude, *ceiling_ignored_keys(top)))
    groups: dict[tuple[str, str], list[CaseResult]] = {}
    for case in top:
        groups.setdefault((case.strategy, params_label(group_params(case, keys))), []).append(
            case)
    references = []
    for (strategy, group), members in groups.items():
        summary = summarize(pooled(members, metric))
        if summary is not None:
            label = f"{strategy} ceiling" + (f" ({group})" if group else "")
            references.append(
                Reference(label, summary.mean, summary.low, summary.high, color=CEILING_COLOR)
            )
    return references


def cdf_series(case: CaseResult, color: str) -> Series:
    """The empirical CDF of the case's batch waits in ms, thinned to CDF_MAX_POINTS steps."""
    waits = np.sort(np.asarray(batch_waits(case), dtype=float)) * 1e3
    count = waits.size
    index = np.unique(np.linspace(0, count - 1, min(count, CDF_MAX_POINTS)).round().astype(int))
    return Series(
        label=case.strategy,
        x=tuple(float(v) for v in waits[index]),
        y=tuple(float(i + 1) / count for i in index),
        color=color,
    )


def batch_waits(case: CaseResult) -> list[float]:
    return [v for m in case.repeats for v in m.batch_latencies_s]


def case_label(case: CaseResult) -> str:
    """How a case reads as a bar's label: its case id with a space after each comma."""
    return case.case_id.replace(",", ", ")


def _scaled(value: float | None, scale: float) -> float | None:
    return None if value is None else value * scale
