"""The A/B's verdicts as Markdown: the gate's outcome, then one row per case."""

from __future__ import annotations

import statistics
from collections.abc import Sequence

from aisbench.ab.gate import (
    EXIT_INCONCLUSIVE,
    EXIT_PASS,
    EXIT_SLOWER,
    CaseVerdict,
    GateSettings,
    MetricVerdict,
    ProcessMeasurement,
    complete_blocks,
)
from aisbench.ab.metrics import INSTRUCTIONS_PER_SAMPLE, WALL_METRICS
from aisbench.md_table import md_cell
from aisbench.report import format_number

_OUTCOME = {
    EXIT_PASS: "Gate: passes (exit 0): no case is slower.",
    EXIT_SLOWER: "**Gate: fails (exit 1): a case is slower or fails in the current version.**",
    EXIT_INCONCLUSIVE: "**Gate: inconclusive (exit 3)**: no case is slower, but some could not "
                       "be decided within the budget (more blocks: --max-blocks, --budget-s).",
}


def _metric_cell(metric: MetricVerdict, base: float, current: float) -> str:
    e = metric.estimate
    cell = (f"{format_number(base)} → {format_number(current)}: {e.change * 100:+.1f}% "
            f"({(e.ci_low - 1) * 100:+.1f}..{(e.ci_high - 1) * 100:+.1f}), p {e.p_value:.2g}")
    if metric.verdict in ("slower", "faster"):
        cell += f" **{metric.verdict}**"
    return cell


def _medians(measurements: Sequence[ProcessMeasurement], case_id: str,
             metric: str) -> tuple[float, float] | None:
    pairs = [(b.values[metric], c.values[metric]) for b, c in complete_blocks(measurements, case_id)
             if metric in b.values and metric in c.values]
    if not pairs:
        return None
    return statistics.median(p[0] for p in pairs), statistics.median(p[1] for p in pairs)


def case_row(verdict: CaseVerdict, measurements: Sequence[ProcessMeasurement],
             with_instructions: bool) -> str:
    by_name = {m.metric: m for m in verdict.metrics}
    cells = []
    for metric in WALL_METRICS:
        medians = _medians(measurements, verdict.case_id, metric.name)
        found = by_name.get(metric.name)
        cells.append(_metric_cell(found, *medians) if found and medians else "")
    if with_instructions:
        counted = verdict.instructions
        cells.append("" if counted is None else
                     f"{format_number(counted[0])} → {format_number(counted[1])}: "
                     f"{(counted[1] / counted[0] - 1) * 100:+.2f}%")
    shown = f"**{verdict.verdict}**" if verdict.fails_gate else verdict.verdict
    if verdict.reason:
        shown += f" ({verdict.reason})"
    return f"| {md_cell(verdict.case_id)} | {md_cell(shown)} | {verdict.blocks} | " + " | ".join(
        md_cell(c) for c in cells) + " |"


def to_markdown(*, scenario: str, base_label: str, current_label: str,
                verdicts: Sequence[CaseVerdict], measurements: Sequence[ProcessMeasurement],
                settings: GateSettings, exit_code: int, stopped_by: str,
                with_instructions: bool) -> str:
    confidence = f"{(1 - settings.alpha) * 100:g}%"
    headings = [f"{m.heading} ({m.unit})" for m in WALL_METRICS]
    if with_instructions:
        headings.append(f"{INSTRUCTIONS_PER_SAMPLE.heading} ({INSTRUCTIONS_PER_SAMPLE.unit})")
    lines = [
        f"### aisbench ab: {scenario}",
        "",
        f"Base: {base_label}. Current: {current_label}.",
        "",
        _OUTCOME.get(exit_code, f"Gate: exit {exit_code}."),
        "",
        f"Each block runs both versions back to back, each in a fresh process, in an order "
        f"randomized in mirrored pairs (AB BA). Cells: base → current (medians), the change as "
        f"the geometric mean of the block ratios, its {confidence} interval, and the Wilcoxon "
        f"signed-rank p. A metric is slower when the change is beyond its threshold, the "
        f"interval excludes no change and p < {settings.alpha:g}; unchanged when the whole "
        f"interval lies within the threshold. Gated: throughput ({settings.threshold:.0%}), "
        f"CPU/sample ({settings.cpu_threshold:.0%})"
        + (f", instructions/sample ({settings.instructions_threshold:.0%})"
           if with_instructions else "")
        + "; GETs and bytes per sample are reported only. Measuring stopped: "
        f"{stopped_by}.",
        "",
        "| case | verdict | blocks | " + " | ".join(headings) + " |",
        "|---|---|---:|" + "---|" * len(headings),
        *(case_row(v, measurements, with_instructions) for v in verdicts),
    ]
    return "\n".join(lines) + "\n"
