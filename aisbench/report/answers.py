"""The two answers at the top of every run report, per loader strategy:

(a) its fraction of the matching aisloader ceiling: the headline's best case (fastest by
    samples/s), its MiB/s over the MiB/s of the ceiling of its kind of read, matched on every
    parameter that ceiling depends on (`headline.matching_ceilings`);
(b) the smallest DataLoader ``num_workers`` that keeps the emulated accelerator at least 90%
    busy (DLIO / MLPerf Storage's AU rule).

The rule for (b): take the strategy's fastest case that emulated an accelerator (its best case,
unless the run also measured it without one); the strategy's measured cases with every
parameter other than num_workers at that case's values (same dataset, batch size, object size,
accelerator time...) form one sweep over num_workers; the answer is the smallest num_workers
whose *mean* AU over the repeats is >= 0.90. The mean, not the lower confidence bound: MLPerf
Storage judges the AU a run reached, and with the usual 3 repeats a Student-t bound (t = 4.3)
can fail a count whose every repeat reached 90%. The cell says how many repeats the mean is
over, and says so when the 95% interval reaches below 90%. A sweep not monotone in workers
(noise) still answers with the first count that reaches the bar; a case that failed is not in
the sweep. Pure functions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aisbench.report.case_data import (
    STRATEGY_PARAM,
    WORKERS_KEYS,
    MetricSummary,
    emulated_accelerator,
    group_params,
    measured,
    summarize_case,
    varying_keys,
)
from aisbench.report.formatting import params_label
from aisbench.report.headline import HeadlineRow, headline_rows, matching_ceilings
from aisbench.report.plot_data import MLPERF_UTILIZATION_TARGET
from aisbench.results import CaseResult, RunRecord

ANSWERS_TITLE = ("The answers: how close to the aisloader ceiling, how many workers keep an "
                 "accelerator busy")
ANSWER_HEADINGS = ("strategy", "fraction of ceiling (MiB/s)",
                   f"smallest num_workers for AU ≥ {MLPERF_UTILIZATION_TARGET:.0%}")
ANSWERS_NOTE = (
    "Each strategy at its fastest case. Fraction: its MiB/s over that of the aisloader ceiling "
    "making the same kind of read of the same data. Workers: the smallest num_workers whose "
    f"mean accelerator utilisation over the repeats is at least {MLPERF_UTILIZATION_TARGET:.0%} "
    "(DLIO / MLPerf Storage's AU rule), among that strategy's cases with every other parameter "
    "at the values of its fastest case that emulated an accelerator."
)
NO_ACCELERATOR = "no accelerator emulated (accelerator.compute_ms_per_batch is 0)"


@dataclass(frozen=True, slots=True)
class WorkersAnswer:
    """(b) for one strategy. ``workers``: the smallest num_workers whose mean AU reaches the
    target, None when none does or the run cannot tell; ``text`` says which, with the numbers."""

    workers: int | None
    text: str


@dataclass(frozen=True, slots=True)
class StrategyAnswers:
    """Both answers for one strategy: ``share`` of ``ceiling`` (None, with ``share_text``
    saying why, when the run measured no matching ceiling), and the workers answer."""

    strategy: str
    case_id: str
    ceiling: str
    share: float | None
    share_text: str
    workers: WorkersAnswer


def run_answers(cases: Sequence[CaseResult]) -> list[StrategyAnswers]:
    """Both answers for each loader strategy that measured something, in headline order."""
    return [StrategyAnswers(strategy=row.strategy, case_id=row.case_id, ceiling=row.ceiling,
                            share=row.share, share_text=share_text(row, cases),
                            workers=workers_answer(row.case_id, cases))
            for row in headline_rows(cases)]


def answers_by_run(runs: Sequence[RunRecord]) -> list[tuple[RunRecord, list[StrategyAnswers]]]:
    """Each run that measured a loader, with its answers, in run order."""
    return [(run, answers) for run in runs if (answers := run_answers(run.cases))]


def answer_cells(answer: StrategyAnswers) -> list[str]:
    """The row as text, in ANSWER_HEADINGS order."""
    return [answer.strategy, answer.share_text, answer.workers.text]


def share_text(row: HeadlineRow, cases: Sequence[CaseResult]) -> str:
    """'42% of aisloader', or why there is no fraction to give. A best case that emulated an
    accelerator says so: its training step bounds what the loader could deliver."""
    best = next(c for c in cases if c.case_id == row.case_id)
    if row.share is not None:
        au = summarize_case(best, "accel_utilization")
        paced = "" if au is None else (
            f", with an emulated accelerator in the loop (AU {au.mean:.0%})")
        return f"{row.share:.0%} of {row.ceiling}{paced}"
    kind = [c for c in cases if c.strategy == row.ceiling]
    if not kind:
        return f"n/a: no {row.ceiling} ceiling for this kind of read in this run"
    ok = [c for c in kind if c.status == "ok"]
    if not ok:
        first = kind[0]
        return f"n/a: the {row.ceiling} ceiling did not measure ({first.status}: {first.reason})"
    if not matching_ceilings(best, ok):
        params = {k: v for k, v in best.params.items() if k != STRATEGY_PARAM}
        return f"n/a: no {row.ceiling} ceiling at this case's parameters ({params_label(params)})"
    return f"n/a: the {row.ceiling} ceiling measured 0 MiB/s"


def workers_answer(best_case_id: str, cases: Sequence[CaseResult]) -> WorkersAnswer:
    """(b) for the strategy of its best case ``best_case_id``: see the module's rule."""
    best = next(c for c in cases if c.case_id == best_case_id)
    own = [c for c in measured(cases) if c.strategy == best.strategy]
    busy = [c for c in own if emulated_accelerator(c)]
    if not busy:
        return WorkersAnswer(None, NO_ACCELERATOR)
    anchor = max(busy, key=lambda c: c.mean("samples_per_s") or 0.0)
    key = next((k for k in WORKERS_KEYS if k in anchor.params), None)
    sweep = [c for c in busy if _same_except(c, anchor, key)]
    fixed = varying_keys(own, exclude=[k for k in (key,) if k])
    where = "" if not fixed else f"; at {params_label(group_params(anchor, fixed))}"
    if key is None:
        au = summarize_case(anchor, "accel_utilization")
        at = "" if au is None else f"; AU {au.mean:.0%} at the scenario's fixed count"
        return WorkersAnswer(None, f"not measured: the run does not sweep num_workers{at}")
    points = sorted(((_workers(c, key), au) for c in sweep
                     if (au := summarize_case(c, "accel_utilization")) is not None),
                    key=lambda point: point[0])
    answer = workers_from_sweep(points)
    return WorkersAnswer(answer.workers, answer.text + where)


def workers_from_sweep(points: Sequence[tuple[int, MetricSummary]],
                       target: float = MLPERF_UTILIZATION_TARGET) -> WorkersAnswer:
    """The smallest num_workers whose mean AU reaches ``target``, from (num_workers, AU over
    the repeats) sorted by num_workers; worded with its mean, interval and repeat count."""
    if not points:
        return WorkersAnswer(None, "not measured: no case recorded accelerator utilisation")
    reached = next(((w, au) for w, au in points if au.mean >= target), None)
    if reached is None:
        top_workers, top = max(points, key=lambda point: point[1].mean)
        return WorkersAnswer(None, f"none up to {points[-1][0]}: best AU "
                                   f"{_au_text(top, f' at {top_workers}')}")
    workers, au = reached
    # Not at the smallest count measured, or at 0: the count is exact to the sweep's grid.
    bound = "" if workers == 0 or workers != points[0][0] else (
        f" or fewer ({workers} is the smallest count measured)")
    noise = (f"; the 95% interval reaches below {target:.0%}"
             if au.low is not None and au.low < target else "")
    return WorkersAnswer(workers, f"{workers}{bound}: AU {_au_text(au)}{noise}")


def answers_text(record: RunRecord) -> str:
    """The answers as fixed-width console lines, or '' when no loader measured anything."""
    answers = run_answers(record.cases)
    if not answers:
        return ""
    rows = [list(ANSWER_HEADINGS), *(answer_cells(a) for a in answers)]
    widths = [max(len(row[i]) for row in rows) for i in range(2)]
    lines = [f"{row[0]:<{widths[0]}}  {row[1]:<{widths[1]}}  {row[2]}" for row in rows]
    return "\n".join(lines)


def _au_text(au: MetricSummary, at: str = "") -> str:
    """'93.0% ± 1.2%<at>, mean of 3 repeats'."""
    spread = "" if au.half_width is None else f" ± {au.half_width:.1%}"
    repeats = "1 repeat, no interval" if au.n == 1 else f"mean of {au.n} repeats"
    return f"{au.mean:.1%}{spread}{at}, {repeats}"


def _same_except(case: CaseResult, best: CaseResult, key: str | None) -> bool:
    keys = (set(case.params) | set(best.params)) - {key}
    return all(case.params.get(k) == best.params.get(k) for k in keys)


def _workers(case: CaseResult, key: str) -> int:
    value = case.params[key]
    assert isinstance(value, int) and not isinstance(value, bool)  # the scenario validates it
    return value

