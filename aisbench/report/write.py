"""`write_report`: the one entry point that turns runs (and optionally a comparison, a tuning
recommendation and a metric's history) into a report directory:

    <out_dir>/index.html      self-contained page (plots embedded)
    <out_dir>/summary.md      Markdown for a CI job summary
    <out_dir>/cases.csv       one line per case: every metric's mean and 95% CI
    <out_dir>/repeats.csv     one line per measured window
    <out_dir>/report.json     the runs, summaries, comparison, recommendation, plot index
    <out_dir>/plots/<name>.png|.svg|.json   each plot, and the data behind it
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from aisbench.analysis import Comparison, Recommendation
from aisbench.errors import InvalidValue
from aisbench.report.compare_plots import HistorySeries, comparison_ratios, history_trend
from aisbench.report.content import PlotSection, ReportContent, RunSection
from aisbench.report.formatting import slug
from aisbench.report.html import render_html
from aisbench.report.markdown import render_markdown
from aisbench.report.plot_data import run_plots
from aisbench.report.plot_model import PlotOutcome, PlotSkipped
from aisbench.report.plots import DrawnPlot, draw_plot
from aisbench.report.tables import (
    case_row,
    report_document,
    write_cases_csv,
    write_json,
    write_repeats_csv,
)
from aisbench.results import RunRecord, utc_now_iso

log = logging.getLogger(__name__)

PLOTS_DIR = "plots"
_PLOT_SUFFIXES = (".png", ".svg", ".json")


class ReportError(InvalidValue):
    """A report was asked for without anything to report."""


@dataclass(frozen=True, slots=True)
class ReportFiles:
    """The files `write_report` wrote. ``plots`` are the drawn plots (PNG, SVG and JSON
    sidecar each); ``skipped_plots`` the plots the data could not support, with why."""

    html: Path
    markdown: Path
    csv: Path
    repeats_csv: Path
    json: Path
    plots: tuple[DrawnPlot, ...]
    skipped_plots: tuple[PlotSkipped, ...]

    @property
    def plot_paths(self) -> tuple[Path, ...]:
        """Every plot file: PNG, SVG and JSON of each drawn plot."""
        return tuple(path for p in self.plots for path in (p.png, p.svg, p.data))


def write_report(
    runs: Sequence[RunRecord],
    out_dir: Path,
    *,
    comparison: Comparison | None = None,
    recommendation: Recommendation | None = None,
    history: HistorySeries | None = None,
    title: str | None = None,
) -> ReportFiles:
    """Write the report of ``runs`` into ``out_dir`` (created if missing; plot files from an
    earlier report there are replaced). Needs no network and no display.

    comparison: from analysis.compare.compare_runs, drawn as per-case change bars;
    recommendation: from analysis.tune.recommend, stated on the page;
    history: one case's metric over runs (ResultStore.history), drawn as a trend.
    """
    if not runs and comparison is None and history is None:
        raise ReportError("nothing to report: give at least one run, a comparison or a history")
    out_dir = Path(out_dir)
    plots_dir = out_dir / PLOTS_DIR
    clear_old_plots(plots_dir)

    prefixes = _run_prefixes(runs)
    run_sections = tuple(
        RunSection(
            run=run,
            rows=tuple(case_row(run, case) for case in run.cases),
            plots=draw_all(run_plots(run, prefix), plots_dir),
        )
        for run, prefix in zip(runs, prefixes, strict=True)
    )
    comparison_plots = (
        draw_all([comparison_ratios(comparison)], plots_dir) if comparison else PlotSection()
    )
    history_plots = draw_all([history_trend(history)], plots_dir) if history else PlotSection()

    files = ReportFiles(
        html=out_dir / "index.html",
        markdown=out_dir / "summary.md",
        csv=out_dir / "cases.csv",
        repeats_csv=out_dir / "repeats.csv",
        json=out_dir / "report.json",
        plots=tuple(
            p
            for section in (comparison_plots, *(s.plots for s in run_sections), history_plots)
            for p in section.drawn
        ),
        skipped_plots=tuple(
            p
            for section in (comparison_plots, *(s.plots for s in run_sections), history_plots)
            for p in section.skipped
        ),
    )
    content = ReportContent(
        title=title or _default_title(runs, comparison),
        generated_at=utc_now_iso(),
        runs=run_sections,
        comparison=comparison,
        comparison_plots=comparison_plots,
        recommendation=recommendation,
        history=history,
        history_plots=history_plots,
        data_files=tuple(
            (label, path.name)
            for label, path in (
                ("CSV, one line per case", files.csv),
                ("CSV, one line per repeat", files.repeats_csv),
                ("JSON, everything", files.json),
                ("Markdown summary", files.markdown),
            )
        ),
    )
    rows = [row for section in run_sections for row in section.rows]
    write_cases_csv(rows, files.csv)
    write_repeats_csv(runs, files.repeats_csv)
    write_json(
        report_document(
            title=content.title,
            runs=runs,
            rows=rows,
            plots=[
                {
                    "name": p.plot.name,
                    "title": p.plot.title,
                    "png": _relative(p.png, out_dir),
                    "svg": _relative(p.svg, out_dir),
                    "data": _relative(p.data, out_dir),
                }
                for p in files.plots
            ],
            skipped_plots=files.skipped_plots,
            comparison=comparison,
            recommendation=recommendation,
            history=history,
        ),
        files.json,
    )
    files.markdown.write_text(render_markdown(content))
    files.html.write_text(render_html(content, out_dir))
    return files


def draw_all(outcomes: Sequence[PlotOutcome], directory: Path) -> PlotSection:
    """Draw each plot into ``directory``; a skipped plot, or one whose drawing fails, is listed
    with its reason instead."""
    drawn: list[DrawnPlot] = []
    skipped: list[PlotSkipped] = []
    for outcome in outcomes:
        if isinstance(outcome, PlotSkipped):
            skipped.append(outcome)
            continue
        try:
            drawn.append(draw_plot(outcome, directory))
        except Exception as err:  # one bad figure must not cost the whole report
            log.exception("drawing %s failed", outcome.name)
            skipped.append(
                PlotSkipped(outcome.name, outcome.title, f"drawing failed: {type(err).__name__}: "
                            f"{err}")
            )
    return PlotSection(tuple(drawn), tuple(skipped))


def _run_prefixes(runs: Sequence[RunRecord]) -> list[str]:
    """File-name prefixes: the scenario, plus the run id when a scenario appears twice."""
    seen = Counter(run.scenario for run in runs)
    return [
        f"{slug(run.scenario)}-" + (f"{slug(run.run_id)}-" if seen[run.scenario] > 1 else "")
        for run in runs
    ]


def _default_title(runs: Sequence[RunRecord], comparison: Comparison | None) -> str:
    scenarios = list(dict.fromkeys(run.scenario for run in runs))
    if not scenarios and comparison is not None:
        scenarios = [comparison.scenario]
    return "aisbench report: " + (", ".join(scenarios) or "history")


def clear_old_plots(plots_dir: Path) -> None:
    """Remove plot files of an earlier report, so a plot not drawn now leaves no stale file."""
    if plots_dir.is_dir():
        for path in plots_dir.iterdir():
            if path.is_file() and path.suffix in _PLOT_SUFFIXES:
                path.unlink()


def _relative(path: Path, base: Path) -> str:
    return path.relative_to(base).as_posix()
