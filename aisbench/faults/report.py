"""The faults report as Markdown, sized for a CI job summary: the verdict, what was skipped and
why, a table per fault, the soak table, and the plots by file name (not embedded).

Only what ran: rows come from the outcomes and soak series of a faults run directory; nothing
is inferred. `aisbench report <run directory>` writes it (as faults.md, beside index.html).
"""

from __future__ import annotations

from collections.abc import Sequence

from aisbench.faults.report_content import (
    GROWTH_NOTE,
    NO_SOAK,
    NUMERIC_COLUMNS,
    RETRIES_NOTE,
    FaultReportContent,
    FaultSection,
    OutcomeRow,
    SoakRow,
    run_name,
)
from aisbench.faults.report_plots import FaultPlots
from aisbench.md_table import md_cell
from aisbench.report import PLOTS_DIR, PlotSection


def faults_markdown(content: FaultReportContent, plots: FaultPlots | None = None) -> str:
    """The whole report: title, verdict, skipped runs, a section per fault, the soak."""
    plots = plots or FaultPlots()
    lines = [f"# {md_cell(content.title)}", ""]
    if content.description:
        lines += [md_cell(content.description), ""]
    lines += [f"- {label}: {md_cell(value)}" for label, value in content.facts]
    lines += [""] if content.facts else []
    if content.unfinished:
        lines += [f"**{md_cell(content.unfinished)}**", ""]
    v = content.verdict
    lines += [f"**{md_cell(v.headline)}**", ""]
    lines += [f"- {kind}: {md_cell(run_name(o))}: {md_cell(o.outcome)}" for kind, o in v.failures]
    if v.skipped:
        lines += ["", f"**{v.skipped_line}**", ""]
        lines += [f"- **{md_cell(reason)}**: {md_cell(', '.join(runs))}"
                  for reason, runs in v.skipped]
    lines += ["", RETRIES_NOTE, ""]
    for section in content.sections:
        lines += _fault_lines(section)
    if content.sections:
        lines += ["## Fault cost", "", *_plot_lines(plots.cost)]
    lines += ["## Soak: persistent workers across epochs", ""]
    lines += _soak_lines(content, plots.soak)
    if content.settings:
        lines += ["## Settings", "", *(f"- {k}: `{md_cell(v)}`" for k, v in content.settings), ""]
    return "\n".join(lines).rstrip() + "\n"


def outcomes_table(section: FaultSection) -> str:
    """One row per (dataset, num_workers) run of one fault; a failed run's outcome in bold."""
    return _table(OutcomeRow.HEADINGS, [_outcome_cells(row) for row in section.rows])


def _outcome_cells(row: OutcomeRow) -> tuple[str, ...]:
    if not row.failed:
        return row.cells
    return tuple(f"**{md_cell(cell)}**" if heading == "outcome" else cell
                 for heading, cell in zip(OutcomeRow.HEADINGS, row.cells, strict=True))


def soak_table(rows: Sequence[SoakRow]) -> str:
    """One row per soaked worker: epochs, RSS first/last, growth of RSS and fds."""
    return _table(SoakRow.HEADINGS, [row.cells for row in rows])


def _fault_lines(section: FaultSection) -> list[str]:
    loss = f"**{section.loss_line}**" if section.failed else section.loss_line
    return [f"## {md_cell(section.fault)}", "", md_cell(loss), "", outcomes_table(section), ""]


def _soak_lines(content: FaultReportContent, plots: PlotSection) -> list[str]:
    problems = [f"- **{md_cell(line)}**" for line in content.soak_problems]
    problems += [""] if problems else []
    if not content.soaked:
        return [*problems, *([] if problems else [NO_SOAK, ""])]
    rows = content.soak_rows
    table = [soak_table(rows), ""] if rows else ["The soak series hold no worker trends.", ""]
    return [*problems, GROWTH_NOTE, "", *table, *_plot_lines(plots)]


def _table(headings: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    align = "|".join("---:" if h in NUMERIC_COLUMNS else "---" for h in headings)
    lines = ["| " + " | ".join(headings) + " |", f"|{align}|"]
    lines += ["| " + " | ".join(md_cell(c) for c in cells) + " |" for cells in rows]
    return "\n".join(lines)


def _plot_lines(section: PlotSection) -> list[str]:
    lines = [f"- plot: `{PLOTS_DIR}/{d.png.name}` ({md_cell(d.plot.title)})" for d in section.drawn]
    lines += [f"- not drawn: {md_cell(s.title)}: {md_cell(s.reason)}" for s in section.skipped]
    return [*lines, ""] if lines else []


