"""The measuring loop of an A/B: blocks of both versions per case until every case is decided
or the budget is spent. Pure control flow; what a measurement is comes in as a function, so
the loop is tested without a cluster.

Every case first gets ``min_blocks`` blocks; then, while some case is inconclusive, those cases
get two more blocks at a time (one mirrored pair) until ``max_blocks``, or until the next pair
would overrun ``budget_s``. A case that fails in either version is measured no further.
Ctrl-C, or a measurement raising `MeasuringStopped`, ends the loop; what was measured is kept
and judged.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from aisbench.ab.errors import MeasuringStopped
from aisbench.ab.gate import CaseVerdict, GateSettings, ProcessMeasurement, Role, judge_case
from aisbench.ab.schedule import block_order

Measure = Callable[[str, Role, int, int], ProcessMeasurement]  # case_id, role, block, slot


@dataclass(frozen=True)
class BlocksOutcome:
    measurements: tuple[ProcessMeasurement, ...]
    interrupted: bool
    stopped_by: str  # "decided", "max_blocks", "budget", "interrupted", or why it stopped


def measure_blocks(case_ids: Sequence[str], settings: GateSettings, measure: Measure, *,
                   on_measurement: Callable[[ProcessMeasurement], None] = lambda m: None,
                   log: Callable[[str], None] = lambda text: None,
                   clock: Callable[[], float] = time.monotonic) -> BlocksOutcome:
    measurements: list[ProcessMeasurement] = []
    blocks_done: dict[str, int] = dict.fromkeys(case_ids, 0)
    failed: set[str] = set()
    started = clock()
    pending = list(case_ids)
    target = settings.min_blocks
    stopped_by = "decided"
    try:
        while pending:
            while any(blocks_done[c] < target for c in pending if c not in failed):
                for case_id in pending:
                    if case_id in failed or blocks_done[case_id] >= target:
                        continue
                    block = blocks_done[case_id]
                    for slot, role in enumerate(block_order(settings.seed, case_id, block)):
                        m = measure(case_id, role, block, slot)
                        measurements.append(m)
                        on_measurement(m)
                        if not m.ok:
                            failed.add(case_id)
                            log(f"{case_id}: the {role} version failed in block {block}: "
                                f"{m.reason}")
                            break
                    blocks_done[case_id] += 1
            pending = [c for c in pending if c not in failed
                       and judge_case(c, measurements, settings).verdict == "inconclusive"]
            if not pending:
                break
            if target + 2 > settings.max_blocks:
                stopped_by = "max_blocks"
                break
            elapsed = clock() - started
            next_pair = 2 * sum(_block_seconds(measurements, c) for c in pending)
            if elapsed + next_pair > settings.budget_s:
                stopped_by = "budget"
                break
            target += 2
            log(f"inconclusive after {target - 2} blocks: {', '.join(pending)}; measuring "
                f"2 more ({elapsed:.0f} s of {settings.budget_s:.0f} s spent)")
    except KeyboardInterrupt:
        return BlocksOutcome(tuple(measurements), interrupted=True, stopped_by="interrupted")
    except MeasuringStopped as exc:
        log(f"measuring stopped: {exc}")
        return BlocksOutcome(tuple(measurements), interrupted=False, stopped_by=str(exc))
    return BlocksOutcome(tuple(measurements), interrupted=False, stopped_by=stopped_by)


def replay(case_id: str, measurements: Sequence[ProcessMeasurement],
           settings: GateSettings) -> CaseVerdict:
    """The verdict `measure_blocks` would have reached for ``case_id`` on these recorded
    measurements under ``settings``, the budget aside: judged after ``min_blocks``, then after
    every further pair, up to ``max_blocks`` or the end of the record. Re-judges a recorded A/B
    with other thresholds (scripts/gate_detection.py --summarize)."""
    recorded = max((m.block + 1 for m in measurements if m.case_id == case_id), default=0)
    upto = settings.min_blocks
    while True:
        verdict = judge_case(case_id, [m for m in measurements if m.block < upto], settings)
        if (verdict.verdict != "inconclusive" or upto + 2 > settings.max_blocks
                or upto + 2 > recorded):
            return verdict
        upto += 2


def _block_seconds(measurements: Sequence[ProcessMeasurement], case_id: str) -> float:
    """Mean wall seconds of one block (both versions) of ``case_id`` so far."""
    walls = [m.wall_s for m in measurements if m.case_id == case_id]
    return 2 * sum(walls) / len(walls) if walls else 0.0
