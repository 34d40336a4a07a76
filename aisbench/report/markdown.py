"""The report as Markdown, sized for a CI job summary (e.g. $GITHUB_STEP_SUMMARY): the
recommendation, the comparison's verdicts, a table of the key metrics per case, and what was
skipped, failed or not plotted, each with its reason. Plots are listed by file, not embedded.
"""

from __future__ import annotations

from aisbench.analysis import to_markdown as comparison_markdown
from aisbench.md_table import md_cell
from aisbench.report import stage_table
from aisbench.report.answers import (
    ANSWER_HEADINGS,
    ANSWERS_NOTE,
    ANSWERS_TITLE,
    answer_cells,
    answers_by_run,
)
from aisbench.report.content import PlotSection, ReportContent, RunSection
from aisbench.report.formatting import METRIC_HEADINGS, format_metric, format_metric_value
from aisbench.report.headline import HEADLINE_HEADINGS, headline_cells, headline_rows
from aisbench.report.ranks import RANK_HEADINGS, ranks_tables
from aisbench.report.tables import CaseRow
from aisbench.results import KEY_METRICS, METRICS


def render_markdown(content: ReportContent) -> str:
    """The Markdown summary of ``content``."""
    lines = [f"## {content.title}", "", f"_Generated {content.generated_at}._", ""]
    lines += _answer_lines(content.runs)
    if content.recommendation is not None:
        lines += [f"> **Recommendation.** {md_cell(content.recommendation.explanation)}", ""]
    if content.comparison is not None:
        lines += [comparison_markdown(content.comparison).rstrip(), ""]
        lines += _plot_lines(content.comparison_plots)
    for section in content.runs:
        lines += _run_lines(section)
    if content.history is not None:
        h = content.history
        lines += [f"### History: {h.metric} of `{h.case_id}` ({h.scenario})", ""]
        lines += [
            f"- `{p.git_sha[:8] if p.git_sha else p.run_id}` ({p.started_at}): "
            f"{format_metric(h.metric, p.value) if h.metric in METRICS else p.value}"
            for p in h.points
        ]
        lines += ["", *_plot_lines(content.history_plots)]
    if content.data_files:
        lines += ["Data: " + ", ".join(f"{label} `{path}`" for label, path in content.data_files)]
    return "\n".join(lines).rstrip() + "\n"


def _answer_lines(sections: tuple[RunSection, ...]) -> list[str]:
    """The two answers, one small table per run that measured a loader, before anything."""
    lines = []
    for run, answers in answers_by_run([section.run for section in sections]):
        whose = f" ({run.scenario}, run `{run.run_id}`)" if len(sections) > 1 else ""
        lines += [f"**{ANSWERS_TITLE}{whose}**", "",
                  "| " + " | ".join(ANSWER_HEADINGS) + " |", "|" + "---|" * len(ANSWER_HEADINGS)]
        lines += ["| " + " | ".join(md_cell(c) for c in answer_cells(a)) + " |" for a in answers]
        lines.append("")
    return [*lines, f"_{ANSWERS_NOTE}_", ""] if lines else []


def _run_lines(section: RunSection) -> list[str]:
    run, rows = section.run, section.rows
    counts = ", ".join(
        f"{n} {s}" for s in ("ok", "skipped", "failed")
        if (n := sum(r.status == s for r in rows))
    )
    p = run.provenance
    lines = [
        f"### {run.scenario} — run `{run.run_id}`",
        "",
        f"{len(rows)} cases ({counts or 'none'}). Commit `{(p.git_sha or 'unknown')[:12]}`, "
        f"aisnode {p.aisnode_version or '?'}, torch {p.torch_version or '?'}, "
        f"{p.cpu_count} CPUs ({p.cpu_model or 'unknown CPU'}), cluster {p.cluster}.",
        "",
    ]
    headline = headline_rows(run.cases)
    if headline:
        lines += ["**Headline: each loader against its aisloader ceiling** (best case each)", "",
                  "| " + " | ".join(HEADLINE_HEADINGS) + " |",
                  "|" + "---|" * len(HEADLINE_HEADINGS)]
        lines += ["| " + " | ".join(md_cell(c) for c in headline_cells(r)) + " |"
                  for r in headline]
        lines.append("")
    measured = [r for r in rows if r.status == "ok"]
    # Leave out columns no case has (e.g. accel util without an emulated accelerator).
    metrics = [m for m in KEY_METRICS if any(r.metrics[m] is not None for r in measured)]
    if measured:
        lines += [
            "| case | strategy | " + " | ".join(METRIC_HEADINGS[m] for m in metrics) + " |",
            "|---|---|" + "---:|" * len(metrics),
        ]
        lines += [_row(r, metrics) for r in measured]
        lines += ["", "Means over repeats; ± is the 95% confidence interval's half-width.", ""]
    for table in ranks_tables(run.cases):
        lines += [f"**Ranks of `{md_cell(table.case_id)}`**: {md_cell(table.summary)}", "",
                  "| " + " | ".join(RANK_HEADINGS) + " |", "|" + "---:|" * len(RANK_HEADINGS)]
        lines += ["| " + " | ".join(md_cell(c) for c in cells) + " |" for cells in table.rows]
        lines.append("")
    lines += _stage_lines(section)
    for row in rows:
        if row.status != "ok":
            status = "**failed**" if row.status == "failed" else "skipped"
            lines.append(f"- `{row.case_id}`: {status}: {md_cell(row.reason)}")
    if any(r.status != "ok" for r in rows):
        lines.append("")
    return lines + _plot_lines(section.plots)


def _stage_lines(section: RunSection) -> list[str]:
    """Where the time goes: each case's stages, µs per sample (report/stage_table.py)."""
    rows = stage_table.stage_rows(section.run.cases)
    if not rows:
        return []
    columns = stage_table.stage_columns(rows)
    headings = stage_table.stage_headings(columns)
    return ["**Where the time goes** (µs per sample)", "",
            "| " + " | ".join(headings) + " |", "|---|---|" + "---:|" * (len(headings) - 2),
            *("| " + " | ".join(md_cell(c) for c in stage_table.stage_cells(r, columns)) + " |"
              for r in rows),
            "", stage_table.STAGE_TABLE_NOTE, "", *_setup_lines(section)]


def _setup_lines(section: RunSection) -> list[str]:
    rows = stage_table.setup_cells(section.run.cases)
    if not rows:
        return []
    return ["**Loader setup**, once per case (outside the timed windows)", "",
            "| " + " | ".join(stage_table.SETUP_HEADINGS) + " |", "|---|---:|---:|",
            *("| " + " | ".join(md_cell(c) for c in row) + " |" for row in rows), ""]


def _row(row: CaseRow, metrics: list[str]) -> str:
    cells = []
    for metric in metrics:
        s = row.metrics[metric]
        if s is None:
            cells.append("n/a")
            continue
        half = s.half_width
        spread = "" if half is None else f" ± {format_metric_value(metric, half)}"
        cells.append(format_metric_value(metric, s.mean) + spread)
    strategy = row.strategy + (" (ceiling)" if row.ceiling else "")
    return f"| `{md_cell(row.case_id)}` | {md_cell(strategy)} | " + " | ".join(cells) + " |"


def _plot_lines(section: PlotSection) -> list[str]:
    lines = []
    if section.drawn:
        names = ", ".join(f"`{d.png.name}`" for d in section.drawn)
        lines.append(f"Plots: {names}.")
    for skipped in section.skipped:
        lines.append(f"- not drawn: {skipped.title}: {md_cell(skipped.reason)}")
    return [*lines, ""] if lines else []

