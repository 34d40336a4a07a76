"""The numbers of a report as rows: one per case (means with CIs of every metric) and one per
repeat; written as CSV, and gathered into the report's JSON document.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from aisbench.analysis import Comparison, Recommendation
from aisbench.report.answers import run_answers
from aisbench.report.case_data import MetricSummary, is_ceiling, summarize_case
from aisbench.report.compare_plots import HistorySeries
from aisbench.report.plot_model import PlotSkipped
from aisbench.results import (
    MEASUREMENT_SCALARS,
    METRICS,
    CaseResult,
    ParamValue,
    RunRecord,
    run_to_dict,
)

REPORT_FORMAT = "aisbench-report"
REPORT_VERSION = 1


@dataclass(frozen=True, slots=True)
class CaseRow:
    """One case of one run, summarised: every metric's mean and 95% CI over the repeats."""

    run_id: str
    scenario: str
    case_id: str
    strategy: str
    status: str
    reason: str
    ceiling: bool
    repeats: int
    params: dict[str, ParamValue]
    metrics: dict[str, MetricSummary | None]


def case_row(run: RunRecord, case: CaseResult) -> CaseRow:
    return CaseRow(
        run_id=run.run_id,
        scenario=run.scenario,
        case_id=case.case_id,
        strategy=case.strategy,
        status=case.status,
        reason=case.reason,
        ceiling=is_ceiling(case),
        repeats=len(case.repeats),
        params=dict(case.params),
        metrics={metric: summarize_case(case, metric) for metric in METRICS},
    )


def case_rows(runs: Sequence[RunRecord]) -> list[CaseRow]:
    """A row per case of every run, in run order."""
    return [case_row(run, case) for run in runs for case in run.cases]


def write_cases_csv(rows: Sequence[CaseRow], path: Path) -> None:
    """One line per case: identity, status, parameters (``param.<key>``), then for every
    metric its mean, CI bounds and n (units as in results.schema.METRICS)."""
    param_keys: list[str] = []
    for row in rows:
        param_keys += [k for k in row.params if k not in param_keys]
    header = ["run_id", "scenario", "case_id", "strategy", "status", "reason", "ceiling",
              "repeats", *(f"param.{k}" for k in param_keys)]
    for metric in METRICS:
        header += [f"{metric}.mean", f"{metric}.ci_low", f"{metric}.ci_high", f"{metric}.n"]
    with path.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(header)
        for row in rows:
            line: list[Any] = [row.run_id, row.scenario, row.case_id, row.strategy, row.status,
                               row.reason, row.ceiling, row.repeats]
            line += [_csv_value(row.params.get(k)) for k in param_keys]
            for metric in METRICS:
                s = row.metrics[metric]
                line += ["", "", "", 0] if s is None else [
                    s.mean, _csv_value(s.low), _csv_value(s.high), s.n
                ]
            writer.writerow(line)


def csv_header() -> list[str]:
    """The columns of the repeats CSV: a Measurement's scalar fields as stored, then every
    derived metric as ``derived.<name>``."""
    return ["run_id", "scenario", "case_id", "strategy", "window", "warmup",
            *MEASUREMENT_SCALARS,
            *(f"derived.{m}" for m in METRICS if m not in MEASUREMENT_SCALARS)]


def write_repeats_csv(runs: Sequence[RunRecord], path: Path) -> None:
    """One line per measured window (repeats, and the warmup marked ``warmup=true``) with the
    raw counts and the derived metrics, for analysis elsewhere."""
    with path.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(csv_header())
        for run in runs:
            for case in run.cases:
                windows = [(-1, case.warmup)] if case.warmup is not None else []
                windows += list(enumerate(case.repeats))
                for index, window in windows:
                    assert window is not None
                    writer.writerow(
                        [run.run_id, run.scenario, case.case_id, case.strategy,
                         "warmup" if index < 0 else index, index < 0,
                         *(_csv_value(getattr(window, f)) for f in MEASUREMENT_SCALARS),
                         *(_csv_value(window.metric(m)) for m in METRICS
                           if m not in MEASUREMENT_SCALARS)]
                    )


def report_document(
    *,
    title: str,
    runs: Sequence[RunRecord],
    rows: Sequence[CaseRow],
    plots: Sequence[dict[str, Any]],
    skipped_plots: Sequence[PlotSkipped],
    comparison: Comparison | None,
    recommendation: Recommendation | None,
    history: HistorySeries | None,
) -> dict[str, Any]:
    """The report's JSON document: the runs as stored, per-case summaries, the comparison and
    recommendation, which plots were drawn (with their files) or not (with why), and each
    run's answers (fraction of ceiling, smallest workers for AU >= 90%), keyed by run id."""
    return {
        "format": REPORT_FORMAT,
        "version": REPORT_VERSION,
        "title": title,
        "runs": [run_to_dict(run) for run in runs],
        "summaries": [asdict(row) for row in rows],
        "comparison": None if comparison is None else asdict(comparison),
        "recommendation": None if recommendation is None else asdict(recommendation),
        "history": None if history is None else {
            "scenario": history.scenario,
            "case_id": history.case_id,
            "metric": history.metric,
            "points": [p._asdict() for p in history.points],
        },
        "plots": list(plots),
        "plots_not_drawn": [asdict(skip) for skip in skipped_plots],
        # The two answers the page opens with, per run (report/answers.py has the rules).
        "answers": {run.run_id: [asdict(a) for a in run_answers(run.cases)] for run in runs},
    }


def write_json(document: dict[str, Any], path: Path) -> None:
    """Write ``document``; NaN and infinities (not JSON) become null."""
    # default=str: a Recommendation's value may be any parameter value.
    text = json.dumps(_finite(document), indent=2, allow_nan=False, default=str)
    path.write_text(text + "\n")


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(item) for item in value]
    return value


def _csv_value(value: Any) -> Any:
    return "" if value is None else value
