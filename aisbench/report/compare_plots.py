"""Plots across runs, as data: the per-case change of a comparison, and a metric's history.

Pure functions; `plots.py` draws what they return.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aisbench.analysis import CaseComparison, Comparison
from aisbench.report.formatting import slug
from aisbench.report.plot_model import Panel, PlotData, PlotOutcome, PlotSkipped, Reference, Series
from aisbench.results import METRICS, HistoryPoint

# Regressions stand out in red; improvements green; no change grey.
VERDICT_COLORS = {"slower": "#C62828", "faster": "#2E7D32", "unchanged": "#9E9E9E"}


@dataclass(frozen=True, slots=True)
class HistorySeries:
    """A metric's mean for one case over runs, oldest first (from ResultStore.history)."""

    scenario: str
    case_id: str
    metric: str
    points: tuple[HistoryPoint, ...]


def comparison_ratios(comparison: Comparison, prefix: str = "") -> PlotOutcome:
    """Bars of each case's change (current / base - 1, in %) with the ratio's confidence
    interval; one series per verdict so regressions get their own colour."""
    c = comparison
    name = f"{prefix}comparison-{slug(c.metric)}"
    title = f"{c.scenario}: {c.metric} change, {c.current_run_id} vs {c.base_run_id}"
    with_ratio = [case for case in c.cases if case.ratio is not None]
    if not with_ratio:
        verdicts = ", ".join(f"{case.case_id}: {case.verdict}" for case in c.cases)
        return PlotSkipped(name, title, f"no case has a ratio to show ({verdicts or 'no cases'})")
    series = []
    for verdict, color in VERDICT_COLORS.items():
        rows = [case for case in with_ratio if case.verdict == verdict]
        if rows:
            series.append(
                Series(
                    label=verdict,
                    x=tuple(case.case_id.replace(",", ", ") for case in rows),
                    y=tuple(_change_of(case.ratio) for case in rows),
                    y_low=tuple(_change(case.ci_low) for case in rows),
                    y_high=tuple(_change(case.ci_high) for case in rows),
                    color=color,
                )
            )
    threshold = c.threshold * 100
    direction = "higher is better" if c.higher_is_better else "lower is better"
    panel = Panel(
        kind="bars",
        title=f"{c.metric} ({c.unit}, {direction}): current / base - 1",
        x_label="case",
        y_label=f"change in {c.metric} (%)",
        series=tuple(series),
        references=(
            Reference(f"no change (±{threshold:g}% threshold shaded)", 0.0, -threshold, threshold),
        ),
        value_min=None,
        value_suffix="%",
    )
    caption = (
        f"Bars show the change of the mean; whiskers the {(1 - c.alpha) * 100:g}% bootstrap "
        f"confidence interval of the ratio. A case counts as slower or faster only beyond "
        f"±{threshold:g}% and when significant (p < {c.alpha:g})."
    )
    others = _without_ratio(c.cases)
    if others:
        caption += f" Not shown (no ratio): {others}."
    return PlotData(name, title, (panel,), caption=caption)


def history_trend(history: HistorySeries, prefix: str = "") -> PlotOutcome:
    """A metric's mean for one case over runs, labelled by commit (or run id)."""
    h = history
    name = f"{prefix}history-{slug(h.case_id)}-{slug(h.metric)}"
    title = f"{h.scenario}: {h.metric} of {h.case_id} over runs"
    if len(h.points) < 2:
        return PlotSkipped(name, title, f"the history has {len(h.points)} run(s); a trend needs 2")
    unit = METRICS[h.metric].unit if h.metric in METRICS else ""
    labels = _point_labels(h.points)
    panel = Panel(
        kind="lines",
        title="oldest run on the left; each point is one run's mean",
        x_label="commit (or run) in time order",
        y_label=f"{h.metric} ({unit})" if unit else h.metric,
        series=(
            Series(
                label=h.case_id,
                x=tuple(float(i) for i in range(len(h.points))),
                y=tuple(p.value for p in h.points),
                color="#0072B2",
            ),
        ),
        x_ticks=tuple((float(i), label) for i, label in enumerate(labels)),
    )
    caption = "Each point is the mean over one run's repeats of this case."
    return PlotData(name, title, (panel,), caption=caption)


def _point_labels(points: Sequence[HistoryPoint]) -> list[str]:
    """Short commit ids where known, else the run id; repeated commits get the run's time."""
    labels = [p.git_sha[:8] if p.git_sha else p.run_id for p in points]
    return [
        f"{label} {p.run_id.split('-')[0][-6:]}" if labels.count(label) > 1 else label
        for label, p in zip(labels, points, strict=True)
    ]


def _without_ratio(cases: Sequence[CaseComparison]) -> str:
    return ", ".join(f"{c.case_id} ({c.verdict})" for c in cases if c.ratio is None)


def _change(ratio: float | None) -> float | None:
    return None if ratio is None else (ratio - 1) * 100


def _change_of(ratio: float | None) -> float:
    return 0.0 if ratio is None else (ratio - 1) * 100
