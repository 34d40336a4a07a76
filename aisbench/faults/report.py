"""The faults report as Markdown, sized for a CI job summary: the verdict, what was skipped and
why, a table per fault, the soak table, and the plots by file name (not embedded).

Only what ran: rows come from the outcome JSON the fault tests wrote and the soak series;
nothing is inferred. Run ``python -m aisbench.faults.report [--faults DIR] [--soak DIR]
[--out FILE]`` to render reports/faults/*.json and reports/soak/*.json.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from aisbench.faults.outcome import read_outcomes
from aisbench.faults.report_content import (
    GROWTH_NOTE,
    NO_SOAK,
    NUMERIC_COLUMNS,
    RETRIES_NOTE,
    FaultReportContent,
    FaultSection,
    OutcomeRow,
    SoakRow,
    report_content,
    run_name,
)
from aisbench.faults.report_plots import FaultPlots
from aisbench.faults.soak import read_series
from aisbench.report.content import PlotSection
from aisbench.report.write import PLOTS_DIR

REPO = Path(__file__).resolve().parents[2]


def faults_markdown(content: FaultReportContent, plots: FaultPlots | None = None) -> str:
    """The whole report: title, verdict, skipped runs, a section per fault, the soak."""
    plots = plots or FaultPlots()
    lines = [f"# {_cell(content.title)}", ""]
    if content.description:
        lines += [_cell(content.description), ""]
    lines += [f"- {label}: {_cell(value)}" for label, value in content.facts]
    lines += [""] if content.facts else []
    v = content.verdict
    lines += [f"**{_cell(v.headline)}**", ""]
    lines += [f"- VIOLATION: {_cell(run_name(o))}: {_cell(o.outcome)}" for o in v.violations]
    if v.skipped:
        lines += ["", f"**{v.skipped_line}**", ""]
        lines += [f"- **{_cell(reason)}**: {_cell(', '.join(runs))}" for reason, runs in v.skipped]
    lines += ["", RETRIES_NOTE, ""]
    for section in content.sections:
        lines += _fault_lines(section)
    if content.sections:
        lines += ["## Fault cost", "", *_plot_lines(plots.cost)]
    lines += ["## Soak: persistent workers across epochs", ""]
    lines += _soak_lines(content.soak_rows, plots.soak) if content.soaked else [NO_SOAK, ""]
    if content.settings:
        lines += ["## Settings", "", *(f"- {k}: `{_cell(v)}`" for k, v in content.settings), ""]
    return "\n".join(lines).rstrip() + "\n"


def outcomes_table(section: FaultSection) -> str:
    """One row per (dataset, num_workers) run of one fault."""
    return _table(OutcomeRow.HEADINGS, [row.cells for row in section.rows])


def soak_table(rows: Sequence[SoakRow]) -> str:
    """One row per soaked worker: epochs, RSS first/last, growth of RSS and fds."""
    return _table(SoakRow.HEADINGS, [row.cells for row in rows])


def _fault_lines(section: FaultSection) -> list[str]:
    loss = section.loss_line if section.nothing_lost else f"**{section.loss_line}**"
    return [f"## {_cell(section.fault)}", "", _cell(loss), "", outcomes_table(section), ""]


def _soak_lines(rows: Sequence[SoakRow], plots: PlotSection) -> list[str]:
    table = [soak_table(rows), ""] if rows else ["The soak series hold no worker trends.", ""]
    return [GROWTH_NOTE, "", *table, *_plot_lines(plots)]


def _table(headings: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    align = "|".join("---:" if h in NUMERIC_COLUMNS else "---" for h in headings)
    lines = ["| " + " | ".join(headings) + " |", f"|{align}|"]
    lines += ["| " + " | ".join(_cell(c) for c in cells) + " |" for cells in rows]
    return "\n".join(lines)


def _plot_lines(section: PlotSection) -> list[str]:
    lines = [f"- plot: `{PLOTS_DIR}/{d.png.name}` ({_cell(d.plot.title)})" for d in section.drawn]
    lines += [f"- not drawn: {_cell(s.title)}: {_cell(s.reason)}" for s in section.skipped]
    return [*lines, ""] if lines else []


def _cell(text: str) -> str:
    """One table-safe line: pipes escaped, and no raw HTML tag for a summary page to run."""
    return " ".join(text.replace("|", "\\|").replace("<", "&lt;").split())


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="aisbench.faults.report",
                                     description="render the faults report from test output")
    parser.add_argument("--faults", type=Path, default=REPO / "reports" / "faults")
    parser.add_argument("--soak", type=Path, default=REPO / "reports" / "soak")
    parser.add_argument("--out", type=Path, default=REPO / "reports" / "faults.md")
    args = parser.parse_args(argv)
    outcomes = read_outcomes(args.faults) if args.faults.is_dir() else []
    soaks = read_series(args.soak)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(faults_markdown(report_content(None, outcomes, soaks)))
    print(f"faults report: {args.out} ({len(outcomes)} fault runs, {len(soaks)} soaks)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
