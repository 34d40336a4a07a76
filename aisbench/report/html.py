"""The report as one self-contained HTML page: plots embedded as data: URIs, every case with
every metric, skipped and failed cases with their reasons, the provenance, the comparison and
the recommendation. No script, no external resource: it opens offline, anywhere.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import fields
from html import escape
from pathlib import Path

from aisbench.analysis import VERDICTS, Comparison
from aisbench.report.answers import (
    ANSWER_HEADINGS,
    ANSWERS_NOTE,
    ANSWERS_TITLE,
    answer_cells,
    answers_by_run,
)
from aisbench.report.compare_plots import VERDICT_COLORS
from aisbench.report.content import PlotSection, ReportContent, RunSection
from aisbench.report.formatting import (
    METRIC_HEADINGS,
    format_metric,
    format_metric_value,
    format_param,
)
from aisbench.report.headline import HEADLINE_HEADINGS, headline_cells, headline_rows
from aisbench.report.page import html_page, html_table, plots_html, table_row
from aisbench.report.ranks import RANK_HEADINGS, RANK_NUMERIC, ranks_tables
from aisbench.report.stage_table import (
    SETUP_HEADINGS,
    STAGE_TABLE_NOTE,
    setup_cells,
    stage_cells,
    stage_columns,
    stage_headings,
    stage_rows,
)
from aisbench.report.tables import CaseRow
from aisbench.results import METRICS, CaseResult, Provenance


def render_html(content: ReportContent, page_dir: Path) -> str:
    """The page for ``content``; plot files are read from disk and embedded, and linked
    relative to ``page_dir`` (where the page will be written)."""
    body: list[str] = [f"<h1>{escape(content.title)}</h1>", _meta(content),
                       _answers(content.runs), _nav(content)]
    if content.recommendation is not None:
        body.append(
            '<div class="callout" id="recommendation"><strong>Recommendation.</strong> '
            f"{escape(content.recommendation.explanation)}</div>"
        )
    if content.comparison is not None:
        body.append(_comparison(content.comparison, content.comparison_plots, page_dir))
    for index, section in enumerate(content.runs):
        body.append(_run(section, index, page_dir))
    if content.history is not None:
        h = content.history
        body.append(f'<h2 id="history">History: {escape(h.metric)} of '
                    f"<code>{escape(h.case_id)}</code> ({escape(h.scenario)})</h2>")
        body.append(plots_html(content.history_plots, page_dir))
    if content.data_files:
        links = " · ".join(
            f'<a href="{escape(path)}">{escape(label)}</a>' for label, path in content.data_files
        )
        body.append(f'<h2 id="data">Data</h2><p>{links}</p>')
    return html_page(content.title, body)


def _answers(sections: Sequence[RunSection]) -> str:
    """The two answers, one small table per run that measured a loader, before anything."""
    tables = []
    for run, answers in answers_by_run([section.run for section in sections]):
        whose = (f" <span class=ci>({escape(run.scenario)}, run "
                 f"<code>{escape(run.run_id)}</code>)</span>" if len(sections) > 1 else "")
        rows = [table_row(answer_cells(a), ANSWER_HEADINGS) for a in answers]
        tables.append(f"<h2>{escape(ANSWERS_TITLE)}{whose}</h2>"
                      + html_table(ANSWER_HEADINGS, rows))
    if not tables:
        return ""
    return (f'<section id="answers">{"".join(tables)}'
            f"<p class=ci>{escape(ANSWERS_NOTE)}</p></section>")


def _meta(content: ReportContent) -> str:
    runs = ", ".join(
        f"<code>{escape(s.run.run_id)}</code> ({escape(s.run.scenario)})" for s in content.runs
    )
    return f'<p class="meta">Generated {escape(content.generated_at)} from {runs or "no runs"}.</p>'


def _nav(content: ReportContent) -> str:
    links = []
    if content.comparison is not None:
        links.append('<a href="#comparison">Comparison</a>')
    links += [
        f'<a href="#run-{i}">{escape(s.run.scenario)}</a>' for i, s in enumerate(content.runs)
    ]
    if content.history is not None:
        links.append('<a href="#history">History</a>')
    if content.data_files:
        links.append('<a href="#data">Data</a>')
    return f"<nav>{''.join(links)}</nav>" if len(links) > 1 else ""


def _run(section: RunSection, index: int, page_dir: Path) -> str:
    run = section.run
    counts = {s: sum(r.status == s for r in section.rows) for s in ("ok", "skipped", "failed")}
    summary = ", ".join(
        f'<span class="status-{s}">{n} {s}</span>' for s, n in counts.items() if n
    )
    parts = [
        f'<h2 id="run-{index}">{escape(run.scenario)} — run <code>{escape(run.run_id)}</code></h2>',
        f"<p>{len(section.rows)} cases: {summary or 'none'}.</p>",
        _headline(run.cases),
        plots_html(section.plots, page_dir),
        "<h3>Every case, every metric</h3>",
        _case_table(section.rows),
        _ranks(run.cases),
        _stage_table(run.cases),
        _not_measured(section.rows),
        "<h3>Provenance</h3>",
        _provenance(run.provenance),
    ]
    return "\n".join(part for part in parts if part)


def _headline(cases: Sequence[CaseResult]) -> str:
    """Ours vs the official SDK vs webdataset vs the aisloader ceiling, each at its best case."""
    rows = headline_rows(cases)
    if not rows:
        return ""
    body = [table_row(headline_cells(row), HEADLINE_HEADINGS,
                      numeric=("samples/s", "MiB/s", "ceiling MiB/s", "of ceiling"))
            for row in rows]
    return ('<h3 id="headline">Headline: each loader against its aisloader ceiling</h3>'
            + html_table(HEADLINE_HEADINGS, body)
            + "<p class=ci>Each loader at its fastest case (mean over repeats, ± the 95% "
            "confidence half-width); the ceiling is aisloader making the same kind of read "
            "of the same data with no Python (n/a where the run measured none).</p>")


def _ranks(cases: Sequence[CaseResult]) -> str:
    """Each case run over ranks: its summary line and a row per rank."""
    parts = [f"<h3>Ranks of <code>{escape(t.case_id)}</code></h3><p>{escape(t.summary)}</p>"
             + html_table(RANK_HEADINGS, [table_row(cells, RANK_HEADINGS, numeric=RANK_NUMERIC)
                                          for cells in t.rows])
             for t in ranks_tables(cases)]
    return "\n".join(parts)
def _stage_table(cases: Sequence[CaseResult]) -> str:
    """Where the time goes: each case's stages, µs per sample (report/stage_table.py)."""
    rows = stage_rows(cases)
    if not rows:
        return ""
    columns = stage_columns(rows)
    headings = stage_headings(columns)
    body = [table_row(stage_cells(row, columns), headings, numeric=(*columns, "total"))
            for row in rows]
    setup = setup_cells(cases)
    setup_table = ("<p>Loader setup, once per case (outside the timed windows):</p>"
                   + html_table(SETUP_HEADINGS, [table_row(r, SETUP_HEADINGS,
                                                           numeric=SETUP_HEADINGS[1:])
                                                 for r in setup])) if setup else ""
    return ('<h3 id="stages">Where the time goes (µs per sample)</h3>'
            + html_table(headings, body) + f"<p class=ci>{escape(STAGE_TABLE_NOTE)}</p>"
            + setup_table)


def _case_table(rows: Sequence[CaseRow]) -> str:
    param_keys: list[str] = []
    for row in rows:
        param_keys += [k for k in row.params if k not in param_keys and k != "strategy"]
    head = ["case", "strategy", *param_keys, "status", "repeats"]
    cells = [f"<th>{escape(h)}</th>" for h in head]
    for m in METRICS:
        unit = METRICS[m].unit
        shown = "" if unit in METRIC_HEADINGS[m] else f"<br><span class=ci>{escape(unit)}</span>"
        cells.append(f'<th title="{escape(m)}: {escape(METRICS[m].description)}">'
                     f"{escape(METRIC_HEADINGS[m])}{shown}</th>")
    lines = ["<tr>" + "".join(cells) + "</tr>"]
    for row in rows:
        strategy = escape(row.strategy) + (" <em>(ceiling)</em>" if row.ceiling else "")
        cells = [f'<td class="nowrap"><code>{escape(row.case_id)}</code></td>',
                 f'<td class="nowrap">{strategy}</td>']
        cells += [f"<td>{escape(format_param(k, row.params.get(k)))}</td>" for k in param_keys]
        cells += [f'<td class="status-{row.status}">{row.status}</td>',
                  f'<td class="num">{row.repeats}</td>']
        for metric in METRICS:
            s = row.metrics[metric]
            if s is None:
                cells.append('<td class="num ci">n/a</td>')
                continue
            half = s.half_width
            ci = "" if half is None else (
                f"<br><span class=ci>± {escape(format_metric_value(metric, half))}</span>"
            )
            value = escape(format_metric_value(metric, s.mean))
            cells.append(f'<td class="num">{value}{ci}</td>')
        lines.append("<tr>" + "".join(cells) + "</tr>")
    note = ("<p class=ci>Means over repeats (warmup excluded); ± is the half-width of the 95% "
            "confidence interval.</p>")
    return f'<div class="scroll"><table class="cases">{"".join(lines)}</table></div>{note}'


def _not_measured(rows: Iterable[CaseRow]) -> str:
    bad = [r for r in rows if r.status != "ok"]
    if not bad:
        return ""
    lines = "".join(
        f'<tr><td><code>{escape(r.case_id)}</code></td><td class="status-{r.status}">'
        f"{r.status}</td><td>{escape(r.reason)}</td></tr>"
        for r in bad
    )
    return (
        "<h3>Skipped and failed cases</h3><table><tr><th>case</th><th>status</th>"
        f"<th>reason</th></tr>{lines}</table>"
    )


def _provenance(provenance: Provenance) -> str:
    rows = "".join(
        f"<tr><th>{escape(f.name)}</th><td>{escape(str(getattr(provenance, f.name)))}</td></tr>"
        for f in fields(provenance)
    )
    return f'<table class="provenance">{rows}</table>'


def _comparison(comparison: Comparison, plots: PlotSection, page_dir: Path) -> str:
    c = comparison
    chips = "".join(
        f'<span class="chip" style="background:{VERDICT_COLORS.get(v, "#6e7781")}">'
        f"{c.count(v)} {v}</span>"
        for v in VERDICTS
        if c.count(v)
    )
    regressions = c.count("slower") + c.count("failed") + c.count("missing")
    verdict = (
        f'<div class="callout warn">{regressions} case(s) got slower, failed or went missing.</div>'
        if regressions
        else '<div class="callout">No case got slower, failed or went missing.</div>'
    )
    notes = "".join(f"<li>{escape(note)}</li>" for note in c.notes)
    rows = "".join(
        f"<tr><td><code>{escape(case.case_id)}</code></td>"
        f'<td class="num">{escape(format_metric(c.metric, case.base_mean))}</td>'
        f'<td class="num">{escape(format_metric(c.metric, case.current_mean))}</td>'
        f'<td class="num">{_percent(case.ratio)}</td>'
        f'<td class="num">{_interval(case.ci_low, case.ci_high)}</td>'
        f'<td class="num">{"" if case.p_value is None else f"{case.p_value:.3g}"}</td>'
        f'<td style="color:{VERDICT_COLORS.get(case.verdict, "inherit")}">'
        f"<strong>{escape(case.verdict)}</strong> {escape(case.reason)}</td></tr>"
        for case in c.cases
    )
    return (
        f'<h2 id="comparison">Comparison: <code>{escape(c.current_run_id)}</code> against '
        f"<code>{escape(c.base_run_id)}</code> ({escape(c.scenario)}, {escape(c.metric)})</h2>"
        f"<p>{chips}</p>{verdict}"
        + (f"<p>Caveats:</p><ul>{notes}</ul>" if notes else "")
        + plots_html(plots, page_dir)
        + "<table><tr><th>case</th><th>base</th><th>current</th><th>change</th>"
        f"<th>{(1 - c.alpha) * 100:g}% CI of change</th><th>p</th><th>verdict</th></tr>"
        f"{rows}</table>"
    )


def _interval(low: float | None, high: float | None) -> str:
    return "" if low is None or high is None else f"{_percent(low)} to {_percent(high)}"


def _percent(ratio: float | None) -> str:
    return "" if ratio is None else f"{(ratio - 1) * 100:+.1f}%"
