"""The regression gate: compare two runs case by case, and say only what the data supports.

A case is "slower" or "faster" only when BOTH hold:
- the change is large: |ratio - 1| > threshold (ratio = current mean / base mean), and
- it is significant: Welch's p < alpha AND the bootstrap CI of the ratio excludes 1.
Everything else is "unchanged". For lower-is-better metrics (latencies, memory) a higher ratio
is "slower"; "slower" always means worse on the metric.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from statistics import fmean
from typing import Literal, TypeAlias

from aisbench.analysis.stats import DEFAULT_RESAMPLES, bootstrap_ratio_ci, welch_p_value
from aisbench.errors import InvalidValue, UnknownName
from aisbench.md_table import md_cell
from aisbench.results import METRICS, CaseResult, RunRecord

Verdict: TypeAlias = Literal[
    "slower", "faster", "unchanged", "inconclusive", "failed", "skipped", "missing", "new"
]
VERDICTS: tuple[Verdict, ...] = (
    "slower",
    "faster",
    "unchanged",
    "inconclusive",
    "failed",
    "skipped",
    "missing",
    "new",
)


DRIFT_NOTE = (
    "These are two independent runs: whatever changed on the machine between them (runs "
    "minutes apart drift by 10-35% on a shared VM) reads as a change of the code. To gate a "
    "change, measure both versions in one interleaved, paired run: "
    "`aisbench ab SCENARIO --base REF`.")


@dataclass(frozen=True, slots=True)
class CaseComparison:
    """One case in both runs.

    verdict: slower / faster / unchanged (tested); inconclusive (fewer than 2 repeats with the
    metric on a side: cannot test); failed / skipped (the current run's case did not measure;
    see ``reason``); missing (only in base); new (only in current, or no usable base).
    Means are in the metric's unit; ratio = current_mean / base_mean; ci_low..ci_high its
    bootstrap confidence interval at 1 - alpha; p_value from Welch's t-test.
    """

    case_id: str
    verdict: Verdict
    base_mean: float | None = None
    current_mean: float | None = None
    ratio: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    p_value: float | None = None
    base_n: int = 0
    current_n: int = 0
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Comparison:
    """The result of `compare_runs`; ``notes`` warn about differences between the two runs'
    provenance (another machine, another scenario definition) that weaken the comparison."""

    base_run_id: str
    current_run_id: str
    scenario: str
    metric: str
    unit: str
    higher_is_better: bool
    threshold: float
    alpha: float
    cases: tuple[CaseComparison, ...]
    notes: tuple[str, ...] = ()

    def count(self, verdict: Verdict) -> int:
        """How many cases got ``verdict``."""
        return sum(1 for c in self.cases if c.verdict == verdict)


def compare_runs(
    base: RunRecord,
    current: RunRecord,
    metric: str = "samples_per_s",
    threshold: float = 0.05,
    alpha: float = 0.05,
    *,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
) -> Comparison:
    """Compare every case of ``current`` with the same case_id in ``base`` on ``metric``.

    threshold: the smallest relative change that matters (0.05 = 5%); alpha: the significance
    level (the ratio's CI is at 1 - alpha). Cases are listed in base order, new ones last.
    """
    if metric not in METRICS:
        raise UnknownName(f"unknown metric {metric!r}; known: {', '.join(METRICS)}")
    if not (0 <= threshold < 1 and 0 < alpha < 1):
        raise InvalidValue(f"need 0 <= threshold < 1 and 0 < alpha < 1, got {threshold}, {alpha}")
    info = METRICS[metric]
    current_by_id = {c.case_id: c for c in current.cases}
    base_ids = {c.case_id for c in base.cases}
    gate = _Gate(metric, info.higher_is_better, threshold, alpha, resamples, seed)
    results = [_compare_case(b, current_by_id.get(b.case_id), gate) for b in base.cases]
    results += [
        CaseComparison(
            c.case_id, "new", current_mean=c.mean(metric), current_n=len(c.values(metric))
        )
        for c in current.cases
        if c.case_id not in base_ids
    ]
    return Comparison(
        base_run_id=base.run_id,
        current_run_id=current.run_id,
        scenario=current.scenario,
        metric=metric,
        unit=info.unit,
        higher_is_better=info.higher_is_better,
        threshold=threshold,
        alpha=alpha,
        cases=tuple(results),
        notes=tuple(_provenance_notes(base, current)),
    )


def has_regression(comparison: Comparison, missing_is_regression: bool = True) -> bool:
    """True if any case got slower or failed (or, by default, vanished from the current run:
    a gate that passes when cases disappear is not a gate)."""
    bad = _failing_verdicts(missing_is_regression)
    return any(c.verdict in bad for c in comparison.cases)


def to_markdown(comparison: Comparison, missing_is_regression: bool = True) -> str:
    """A Markdown summary, the gate's outcome and a table, e.g. for a CI job summary."""
    c = comparison
    bad = _failing_verdicts(missing_is_regression)
    direction = "higher is better" if c.higher_is_better else "lower is better"
    confidence = f"{(1 - c.alpha) * 100:g}%"
    counts = ", ".join(
        f"**{n} {v}**" if v in bad else f"{n} {v}" for v in VERDICTS if (n := c.count(v))
    )
    lines = [
        f"### aisbench compare: {c.scenario}, {c.metric} ({c.unit}, {direction})",
        "",
        f"Base `{c.base_run_id}` vs current `{c.current_run_id}`: {counts or 'no cases'}. "
        f"A change counts when it exceeds {c.threshold:.0%} and is significant "
        f"(p < {c.alpha:g} and the {confidence} CI of the ratio excludes 1).",
        "",
        "**Gate: fails.**" if has_regression(c, missing_is_regression) else "Gate: passes.",
        "",
        f"> {DRIFT_NOTE}",
        "",
        f"| case | base | current | change | {confidence} CI of ratio | p | verdict |",
        "|---|---:|---:|---:|---|---:|---|",
    ]
    for case in c.cases:
        change = "" if case.ratio is None else f"{(case.ratio - 1) * 100:+.1f}%"
        ci = (
            ""
            if case.ci_low is None or case.ci_high is None
            else (f"{case.ci_low:.3f} to {case.ci_high:.3f}")
        )
        p = "" if case.p_value is None else f"{case.p_value:.3g}"
        verdict = f"**{case.verdict}**" if case.verdict in bad else case.verdict
        if case.reason:
            verdict += f" ({md_cell(case.reason)})"
        lines.append(
            f"| {md_cell(case.case_id)} | {_number(case.base_mean)} | {_number(case.current_mean)} "
            f"| {change} | {ci} | {p} | {verdict} |"
        )
    lines.extend(f"\n> note: {md_cell(note)}" for note in c.notes)
    return "\n".join(lines) + "\n"


@dataclass(frozen=True, slots=True)
class _Gate:
    """The settings of one comparison, as passed to each case."""

    metric: str
    higher_is_better: bool
    threshold: float
    alpha: float
    resamples: int
    seed: int


def _compare_case(base: CaseResult, current: CaseResult | None, gate: _Gate) -> CaseComparison:
    metric = gate.metric
    base_values = base.values(metric) if base.status == "ok" else ()
    if current is None:
        return CaseComparison(
            base.case_id, "missing", base_mean=_mean(base_values), base_n=len(base_values)
        )
    if current.status != "ok":
        return CaseComparison(
            base.case_id,
            current.status,
            base_mean=_mean(base_values),
            base_n=len(base_values),
            reason=current.reason,
        )
    current_values = current.values(metric)
    if base.status != "ok":
        return CaseComparison(
            base.case_id,
            "new",
            current_mean=_mean(current_values),
            current_n=len(current_values),
            reason=f"base {base.status}",
        )
    untestable = _untestable(base_values, current_values)
    if untestable is not None:
        return CaseComparison(
            base.case_id,
            "inconclusive",
            base_mean=_mean(base_values),
            current_mean=_mean(current_values),
            base_n=len(base_values),
            current_n=len(current_values),
            reason=untestable,
        )
    base_mean, current_mean = fmean(base_values), fmean(current_values)
    ratio = current_mean / base_mean
    ci_low, ci_high = bootstrap_ratio_ci(
        base_values,
        current_values,
        confidence=1 - gate.alpha,
        resamples=gate.resamples,
        seed=gate.seed,
    )
    p_value = welch_p_value(base_values, current_values)
    significant = p_value < gate.alpha and not (ci_low <= 1.0 <= ci_high)
    verdict: Verdict = "unchanged"
    if significant and abs(ratio - 1) > gate.threshold:
        better = ratio > 1 if gate.higher_is_better else ratio < 1
        verdict = "faster" if better else "slower"
    return CaseComparison(
        base.case_id,
        verdict,
        base_mean=base_mean,
        current_mean=current_mean,
        ratio=ratio,
        ci_low=ci_low,
        ci_high=ci_high,
        p_value=p_value,
        base_n=len(base_values),
        current_n=len(current_values),
    )


def _failing_verdicts(missing_is_regression: bool) -> set[str]:
    return {"slower", "failed"} | ({"missing"} if missing_is_regression else set())


def _provenance_notes(base: RunRecord, current: RunRecord) -> Iterable[str]:
    b, c = base.provenance, current.provenance
    if base.scenario != current.scenario:
        yield f"different scenarios: base {base.scenario!r}, current {current.scenario!r}"
    if b.scenario_hash != c.scenario_hash:
        yield "the scenario definition changed between the runs (scenario_hash differs)"
    for name in ("cpu_model", "cpu_count", "platform", "cluster", "aisnode_version"):
        if getattr(b, name) != getattr(c, name):
            yield f"{name} differs: base {getattr(b, name)!r}, current {getattr(c, name)!r}"


def _untestable(base: Sequence[float], current: Sequence[float]) -> str | None:
    """Why two samples of a metric cannot be tested against each other, or None."""
    if len(base) < 2 or len(current) < 2:
        return "needs at least 2 repeats with the metric in each run"
    if min(base) <= 0:
        return "a ratio needs positive base values"
    return None


def _mean(values: tuple[float, ...]) -> float | None:
    return sum(values) / len(values) if values else None


def _number(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:,.1f}" if abs(value) >= 100 else f"{value:.4g}"

