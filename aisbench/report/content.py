"""What a report page holds, gathered once so the HTML and Markdown renderers say the same."""

from __future__ import annotations

from dataclasses import dataclass

from aisbench.analysis import Comparison, Recommendation
from aisbench.report.compare_plots import HistorySeries
from aisbench.report.plot_model import PlotSkipped
from aisbench.report.plots import DrawnPlot
from aisbench.report.tables import CaseRow
from aisbench.results import RunRecord


@dataclass(frozen=True, slots=True)
class PlotSection:
    """The plots of one part of the report: those drawn, and those not drawn with why."""

    drawn: tuple[DrawnPlot, ...] = ()
    skipped: tuple[PlotSkipped, ...] = ()


@dataclass(frozen=True, slots=True)
class RunSection:
    """One run: its record, a summary row per case, and its plots."""

    run: RunRecord
    rows: tuple[CaseRow, ...]
    plots: PlotSection


@dataclass(frozen=True, slots=True)
class ReportContent:
    """Everything a page shows. ``data_files`` maps a label ("CSV, per case") to a path
    relative to the page; ``generated_at`` is ISO 8601 UTC."""

    title: str
    generated_at: str
    runs: tuple[RunSection, ...]
    comparison: Comparison | None = None
    comparison_plots: PlotSection = PlotSection()
    recommendation: Recommendation | None = None
    history: HistorySeries | None = None
    history_plots: PlotSection = PlotSection()
    data_files: tuple[tuple[str, str], ...] = ()
