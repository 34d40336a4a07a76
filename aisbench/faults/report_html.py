"""The faults report on disk: `write_faults_report` turns a faults run directory into

    <root>/index.html     one self-contained page (plots embedded, no script, opens offline)
    <root>/faults.md      the same in Markdown, for a CI job summary
    <root>/plots/<name>.png|.svg|.json   each plot, and the exact series behind it

It renders whatever the directory holds, so a run still going, killed or stopped early gets a
report of the fault runs recorded so far (and says so at the top); a soak series file that cannot
be read is named on the page instead of breaking the report.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path

from aisbench.faults.report import faults_markdown
from aisbench.faults.report_content import (
    GROWTH_NOTE,
    NO_SOAK,
    NUMERIC_COLUMNS,
    RETRIES_NOTE,
    FaultReportContent,
    FaultSection,
    OutcomeRow,
    SoakRow,
    Verdict,
    report_content,
    run_name,
)
from aisbench.faults.report_plots import FaultPlots, fault_cost_plot, soak_plots
from aisbench.faults.soak import soak_readout
from aisbench.report import (
    PAGE_CSS,
    PLOTS_DIR,
    DrawnPlot,
    PlotSkipped,
    clear_old_plots,
    draw_all,
    html_page,
    html_table,
    plots_html,
    table_row,
)
from aisbench.results import HARNESS_ERROR, NOT_EXERCISED, VIOLATION, RunRecord

_CSS = PAGE_CSS + """
.verdict { font-size: 1.1em; } .skip { border-left-color: #9a6700; background: #fff8e5; }
tr.violation td { background: #fdf0f0; } tr.skipped td { color: #6e7781; }
tr.not-exercised td { background: #fff8e5; }
tr.harness-error td { background: #fff0dc; font-style: italic; }
.lost { font-weight: bold; color: #C62828; } .kept { color: #2E7D32; }
.unproven { font-weight: bold; color: #9a6700; }
.stopped { font-size: 1.1em; }
"""
# The row class of each kind of failure (violation red; not exercised and harness error amber).
_FAILURE_CSS = {VIOLATION: "violation", NOT_EXERCISED: "not-exercised",
                HARNESS_ERROR: "harness-error"}


@dataclass(frozen=True)
class FaultReportFiles:
    """What `write_faults_report` wrote: the page, the Markdown and the plots (PNG, SVG and
    JSON sidecar each); ``skipped_plots`` are the plots the run had no data for, with why."""

    html: Path
    markdown: Path
    plots: tuple[DrawnPlot, ...]
    skipped_plots: tuple[PlotSkipped, ...]

    @property
    def paths(self) -> tuple[Path, ...]:
        """Every file written."""
        return (self.html, self.markdown,
                *(path for p in self.plots for path in (p.png, p.svg, p.data)))


def write_faults_report(record: RunRecord, out_dir: Path,
                        problems: Sequence[str] = ()) -> FaultReportFiles:
    """Write index.html, faults.md and plots/ into ``out_dir`` from a fault run's record;
    ``problems``: lines about data that could not be read (shown with the soak). Needs no
    network and no display."""
    outcomes = record.verdicts
    readout = soak_readout(record)
    soaks = readout.series
    content = report_content(record, soaks, (*problems, *readout.problems))
    out_dir.mkdir(parents=True, exist_ok=True)
    plots_dir = out_dir / PLOTS_DIR
    clear_old_plots(plots_dir)
    plots = FaultPlots(cost=draw_all([fault_cost_plot(outcomes)], plots_dir),
                       soak=draw_all(soak_plots(soaks), plots_dir))
    files = FaultReportFiles(
        html=out_dir / "index.html",
        markdown=out_dir / "faults.md",
        plots=(*plots.cost.drawn, *plots.soak.drawn),
        skipped_plots=(*plots.cost.skipped, *plots.soak.skipped),
    )
    files.markdown.write_text(faults_markdown(content, plots))
    files.html.write_text(faults_html(content, plots, out_dir))
    return files


def faults_html(content: FaultReportContent, plots: FaultPlots, page_dir: Path) -> str:
    """The page; plot PNGs are read from disk and embedded, linked relative to ``page_dir``."""
    body = [f"<h1>{escape(content.title)}</h1>"]
    if content.description:
        body.append(f'<p class="meta">{escape(content.description)}</p>')
    body.append(_facts(content))
    if content.unfinished:
        body.append(f'<div class="callout warn stopped" id="stopped"><strong>'
                    f"{escape(content.unfinished)}</strong></div>")
    body.append(_verdict(content.verdict))
    body.append(f'<p class="ci">{escape(RETRIES_NOTE)}</p>')
    body += [_fault(section, index) for index, section in enumerate(content.sections)]
    if content.sections:
        body += ['<h2 id="fault-cost">Fault cost</h2>', plots_html(plots.cost, page_dir)]
    body.append(_soak(content, plots, page_dir))
    if content.settings:
        rows = "".join(f"<tr><th>{escape(k)}</th><td><code>{escape(v)}</code></td></tr>"
                       for k, v in content.settings)
        body.append(f'<h2 id="settings">Settings</h2><table>{rows}</table>')
    return html_page(content.title, body, css=_CSS)


def _facts(content: FaultReportContent) -> str:
    rows = "".join(
        f"<tr><th>{escape(label)}</th>"
        + (f'<td class="lost">{escape(value)}</td>' if label == "finished" and
           not content.finished else f"<td>{escape(value)}</td>")
        + "</tr>"
        for label, value in content.facts
    )
    return f'<table class="provenance">{rows}</table>' if rows else ""


def _verdict(v: Verdict) -> str:
    warn = " warn" if v.failed or not v.judged else ""
    parts = [f'<div class="callout verdict{warn}" id="verdict"><strong>{escape(v.headline)}'
             "</strong>"]
    if v.failures:
        items = "".join(f'<li class="{_FAILURE_CSS[kind]}">{escape(run_name(o))}: '
                        f"<strong>{escape(o.outcome)}</strong></li>" for kind, o in v.failures)
        parts.append(f"<ul>{items}</ul>")
    parts.append("</div>")
    if v.skipped:
        items = "".join(f"<li><strong>{escape(reason)}</strong>: {escape(', '.join(runs))}</li>"
                        for reason, runs in v.skipped)
        parts.append(f'<div class="callout skip" id="skipped">{escape(v.skipped_line)}'
                     f"<ul>{items}</ul></div>")
    return "".join(parts)


def _fault(section: FaultSection, index: int) -> str:
    rows = [table_row(row.cells, OutcomeRow.HEADINGS, NUMERIC_COLUMNS, _row_class(row))
            for row in section.rows]
    return (f'<h2 id="fault-{index}">{escape(section.fault)}</h2>'
            f'<p class="{_loss_class(section)}">{escape(section.loss_line)}</p>'
            + html_table(OutcomeRow.HEADINGS, rows))


def _row_class(row: OutcomeRow) -> str:
    if row.violated:
        return _FAILURE_CSS[VIOLATION]
    if row.not_exercised:
        return _FAILURE_CSS[NOT_EXERCISED]
    if row.harness_error:
        return _FAILURE_CSS[HARNESS_ERROR]
    return "skipped" if row.skipped else ""


def _loss_class(section: FaultSection) -> str:
    """Red when something was lost or violated, amber when unproven, green only for a pass."""
    if not section.nothing_lost or any(row.violated for row in section.rows):
        return "lost"
    if section.failed:
        return "unproven"
    return "kept" if section.judged else "ci"


def _soak(content: FaultReportContent, plots: FaultPlots, page_dir: Path) -> str:
    head = '<h2 id="soak">Soak: persistent workers across epochs</h2>'
    if content.soak_problems:
        items = "".join(f"<li>{escape(line)}</li>" for line in content.soak_problems)
        head += f'<div class="callout warn" id="soak-unreadable"><ul>{items}</ul></div>'
    if not content.soaked:
        return head if content.soak_problems else f"{head}<p>{escape(NO_SOAK)}</p>"
    rows = [table_row(row.cells, SoakRow.HEADINGS, NUMERIC_COLUMNS) for row in content.soak_rows]
    table = (html_table(SoakRow.HEADINGS, rows) if rows
             else "<p>The soak series hold no worker trends.</p>")
    return (f"{head}{plots_html(plots.soak, page_dir)}<p>{escape(GROWTH_NOTE)}</p>{table}")
