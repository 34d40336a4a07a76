"""The A/B gate as pure functions: measurements in, a verdict per case and an exit code out.

A case is judged on its paired blocks (see `aisbench.analysis.paired`), metric by metric:
throughput with ``threshold``, CPU per sample with ``cpu_threshold``, instruction
counts (when measured) with ``instructions_threshold``. The case is *slower* when any gated
metric is, *inconclusive* while any gated metric is, *faster* when one is faster and none is
worse, else *unchanged*. A measurement that failed is never averaged in: the case is *failed*,
and says in which version.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, TypeAlias

from aisbench.ab.errors import AbError
from aisbench.ab.metrics import CPU_PER_SAMPLE, INSTRUCTIONS_PER_SAMPLE, WALL_METRICS
from aisbench.analysis import PairedEstimate, PairedVerdict, judge, paired_estimate

Role: TypeAlias = Literal["base", "current"]
ROLES: tuple[Role, Role] = ("base", "current")
CaseVerdictName: TypeAlias = Literal["slower", "faster", "unchanged", "inconclusive", "failed"]

EXIT_PASS = 0  # no case slower (and none failed in the current version)
EXIT_SLOWER = 1  # a case is slower, or fails in the current version only or in both
EXIT_USAGE = 2  # bad input: nothing was judged
EXIT_INCONCLUSIVE = 3  # no case slower, but some stayed inconclusive after the budget


@dataclass(frozen=True)
class GateSettings:
    """How strict the gate is and how much it may measure.

    Thresholds are relative (0.05 = 5%); alpha the significance level (the paired interval is
    at 1 - alpha). min_blocks: blocks before the first verdict (even, so every order AB / BA
    appears equally often); max_blocks and budget_s: where re-running inconclusive cases stops.

    CPU per sample is gated at 5%, like throughput, not tighter: on a 2-core shared VM its
    paired interval after 6-12 blocks is +/-3-4%, so a 3% threshold could almost never certify
    "unchanged", and under load it raised a false alarm at +4.9% (README, "What the gate
    measured"). Quieter runners can pass a tighter ``cpu_threshold``.
    """

    threshold: float = 0.05
    cpu_threshold: float = 0.05
    instructions_threshold: float = 0.02
    alpha: float = 0.05
    min_blocks: int = 6
    max_blocks: int = 12
    budget_s: float = 600.0
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("threshold", "cpu_threshold", "instructions_threshold", "alpha"):
            value = getattr(self, name)
            if not 0 < value < 1:
                raise AbError(f"{name} must be between 0 and 1, got {value}")
        if self.min_blocks < 2 or self.min_blocks % 2:
            raise AbError(f"--blocks must be an even number >= 2 (blocks come in mirrored "
                          f"pairs, AB then BA), got {self.min_blocks}")
        if self.max_blocks < self.min_blocks:
            raise AbError(f"--max-blocks ({self.max_blocks}) must be >= --blocks "
                          f"({self.min_blocks})")
        if self.budget_s <= 0:
            raise AbError(f"--budget-s must be > 0, got {self.budget_s}")

    def threshold_for(self, metric: str) -> float:
        """The threshold a metric is judged with (reported metrics use ``threshold``)."""
        return {CPU_PER_SAMPLE.name: self.cpu_threshold,
                INSTRUCTIONS_PER_SAMPLE.name: self.instructions_threshold}.get(metric,
                                                                              self.threshold)


@dataclass(frozen=True)
class ProcessMeasurement:
    """One fresh process measuring one case in one version: ``values`` maps metric names to
    numbers (empty when it failed; ``reason`` says why)."""

    case_id: str
    role: Role
    block: int
    slot: int  # 0: ran first in its block, 1: second
    ok: bool
    values: Mapping[str, float] = field(default_factory=dict)
    reason: str = ""
    wall_s: float = 0.0


@dataclass(frozen=True)
class MetricVerdict:
    """One metric of one case: the paired estimate and what it means (``verdict`` is None for
    reported-only metrics)."""

    metric: str
    estimate: PairedEstimate
    verdict: PairedVerdict | None
    threshold: float


@dataclass(frozen=True)
class CaseVerdict:
    case_id: str
    verdict: CaseVerdictName
    blocks: int
    metrics: tuple[MetricVerdict, ...] = ()
    failed_in: tuple[Role, ...] = ()
    reason: str = ""
    instructions: tuple[float, float] | None = None  # (base, current) per sample

    @property
    def fails_gate(self) -> bool:
        return self.verdict == "slower" or (self.verdict == "failed" and "current" in
                                            self.failed_in)


def complete_blocks(measurements: Iterable[ProcessMeasurement],
                    case_id: str) -> list[tuple[ProcessMeasurement, ProcessMeasurement]]:
    """(base, current) of every block of ``case_id`` that has both, in block order."""
    by_block: dict[int, dict[Role, ProcessMeasurement]] = {}
    for m in measurements:
        if m.case_id == case_id:
            by_block.setdefault(m.block, {})[m.role] = m
    return [(sides["base"], sides["current"]) for block, sides in sorted(by_block.items())
            if len(sides) == 2]


def _failure(case_id: str, measurements: Sequence[ProcessMeasurement]) -> CaseVerdict | None:
    failed = [m for m in measurements if m.case_id == case_id and not m.ok]
    if not failed:
        return None
    roles = tuple(role for role in ROLES if any(m.role == role for m in failed))
    reasons = "; ".join(f"{m.role} (block {m.block}): {m.reason}" for m in failed[:2])
    where = "both versions" if len(roles) == 2 else f"the {roles[0]} version only"
    return CaseVerdict(case_id, "failed", len(complete_blocks(measurements, case_id)),
                       failed_in=roles, reason=f"fails in {where}: {reasons}")


def judge_case(case_id: str, measurements: Sequence[ProcessMeasurement],
               settings: GateSettings,
               instructions: Mapping[Role, float] | None = None) -> CaseVerdict:
    """The verdict on one case from every measurement taken so far."""
    failure = _failure(case_id, measurements)
    if failure is not None:
        return failure
    blocks = complete_blocks(measurements, case_id)
    if len(blocks) < settings.min_blocks:
        return CaseVerdict(case_id, "inconclusive", len(blocks),
                           reason=f"{len(blocks)} of {settings.min_blocks} blocks measured")
    metric_verdicts = []
    for metric in WALL_METRICS:
        measured = [(b, c) for b, c in blocks if metric.name in b.values
                    and metric.name in c.values]
        if len(measured) < len(blocks):
            if metric.gated:
                return CaseVerdict(case_id, "failed", len(blocks), failed_in=ROLES,
                                   reason=f"{metric.name} was not measured in every block")
            continue
        estimate = paired_estimate([b.values[metric.name] for b, _ in measured],
                                   [c.values[metric.name] for _, c in measured],
                                   base_first=[b.slot == 0 for b, _ in measured],
                                   confidence=1 - settings.alpha)
        threshold = settings.threshold_for(metric.name)
        verdict = (judge(estimate, threshold, metric.higher_is_better, settings.alpha)
                   if metric.gated else None)
        metric_verdicts.append(MetricVerdict(metric.name, estimate, verdict, threshold))
    verdicts = [m.verdict for m in metric_verdicts if m.verdict is not None]
    counted = None
    if instructions is not None:
        counted = (instructions["base"], instructions["current"])
        verdicts.append(instructions_verdict(*counted, settings.instructions_threshold))
    return CaseVerdict(case_id, _combine(verdicts), len(blocks), tuple(metric_verdicts),
                       instructions=counted)


def instructions_verdict(base: float, current: float, threshold: float) -> PairedVerdict:
    """Instruction counts repeat to well under 1%, so one count per version is judged as is."""
    ratio = current / base
    if ratio > 1 + threshold:
        return "slower"
    if ratio < 1 - threshold:
        return "faster"
    return "unchanged"


def _combine(verdicts: Sequence[PairedVerdict]) -> CaseVerdictName:
    for verdict in ("slower", "inconclusive", "faster"):
        if verdict in verdicts:
            return verdict
    return "unchanged"


def exit_code(verdicts: Sequence[CaseVerdict]) -> int:
    """EXIT_SLOWER if any case fails the gate, else EXIT_INCONCLUSIVE if any case stayed
    inconclusive, else EXIT_PASS. Faster never fails."""
    if any(v.fails_gate for v in verdicts):
        return EXIT_SLOWER
    if any(v.verdict == "inconclusive" for v in verdicts):
        return EXIT_INCONCLUSIVE
    return EXIT_PASS

