"""One rank of a case under torchrun: the same windows a single-process case measures, each
started at a barrier of all ranks, the names of the samples this rank got, and at the end the
gather that lets every node's first rank write the case's result. Run by
`aisbench.runner.distributed` as
`torchrun ... -m aisbench.runner.rank_process CASE.json CONTEXT.json RUN_ID OUT_DIR TIMEOUT_S`
(TIMEOUT_S: how long a collective - a window's barrier, the gather - may wait for a rank).

Its stderr goes to ``OUT_DIR/rank-<RANK>.stderr`` (the launcher quotes its tail when the rank
fails); ``OUT_DIR/rank-<RANK>.started`` says the rendezvous let it start.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import torch.distributed as dist

from aisbench.results import (
    CaseResult,
    DistributedRun,
    Measurement,
    RankResult,
    aggregate_repeats,
    aggregate_warmup,
    case_to_dict,
)
from aisbench.runner.case_process import _reason as failure_reason
from aisbench.runner.case_process import context_from_dict
from aisbench.runner.exactly_once import EpochNames, NameRecorder, check_exactly_once
from aisbench.runner.metrics import ProcessTreeSampler, served_gets, target_urls
from aisbench.runner.retries import RetryCounter
from aisbench.runner.window import WindowPlan, run_window
from aisbench.scenario import Case
from aisbench.strategies import LoaderStrategy, StrategyContext, get_strategy

RESULT_FILE = "result.json"


def started_marker(out_dir: Path, rank: int) -> Path:
    return out_dir / f"rank-{rank}.started"


def stderr_file(out_dir: Path, rank: int) -> Path:
    return out_dir / f"rank-{rank}.stderr"


@dataclass
class RankOutcome:
    """What one rank sends to the others at the end (plain values: pickled by gloo)."""

    rank: int
    node: int
    warmup: Measurement | None = None
    repeats: list[Measurement] = field(default_factory=list)
    windows: list[list[EpochNames]] = field(default_factory=list)
    overhead: float = 0.0  # the harness's largest share of one of this rank's windows
    failure: str = ""  # the reason, when this rank's loader failed
    traceback: str = ""


def gets_counter(targets: list[str]) -> Callable[[], int]:
    return lambda: served_gets(targets)


def measure_rank(case: Case, ctx: StrategyContext, strategy: LoaderStrategy,
                 outcome: RankOutcome, barrier: Callable[[], object]) -> None:
    """The warmup and repeats, each window behind a barrier of all ranks.

    A rank whose loader fails keeps its finished windows and still meets every later barrier,
    so the others measure on and the end's gather finds every rank.
    """
    sampler = ProcessTreeSampler()
    accel = case.accelerator.compute_s_per_batch
    windows: list[tuple[float | None, int | None]] = (
        [(case.run.warmup_s, None)] if case.run.warmup_s > 0 else [])
    windows += [(case.run.duration_s, case.run.epochs)] * case.run.repeats
    recorder: NameRecorder | None = None
    retries: RetryCounter | None = None
    count_gets: Callable[[], int] | None = None
    try:  # before the first barrier: a rank's listing must not shift its window
        loader = strategy.make_loader(case, ctx)
        retries = RetryCounter(loader)
        recorder = NameRecorder(loader)
        # The targets count every rank's GETs together: rank 0 alone counts them.
        if outcome.rank == 0:
            count_gets = gets_counter(target_urls(ctx.endpoint))
    except Exception as exc:
        record_failure(outcome, exc)
    for index, (duration_s, epochs) in enumerate(windows):
        barrier()
        if outcome.failure or recorder is None or retries is None:
            continue
        try:
            is_warmup = index == 0 and case.run.warmup_s > 0
            if not is_warmup:
                recorder.new_window()
            before, naming_before = retries.total(), recorder.spent_s
            window = run_window(recorder, WindowPlan(duration_s, epochs, accel), sampler.start,
                                sampler.stop, count_gets)
            measured = replace(window.measurement, retries=retries.total() - before)
            if is_warmup:
                outcome.warmup = measured
                recorder.windows.clear()  # the warmup's epochs are not checked
            else:
                outcome.repeats.append(measured)
                harness_s = window.bookkeeping_s + recorder.spent_s - naming_before
                outcome.overhead = max(outcome.overhead, harness_s / measured.duration_s)
        except Exception as exc:  # keep the windows measured; the case reports this rank
            record_failure(outcome, exc)
    if recorder is not None:
        outcome.windows = [[e if e.complete else EpochNames([], False, e.named) for e in w]
                           for w in recorder.windows]


def record_failure(outcome: RankOutcome, exc: Exception) -> None:
    outcome.failure = failure_reason(exc)
    outcome.traceback = traceback.format_exc()


def case_result(case: Case, run_id: str, outcomes: list[RankOutcome], nnodes: int,
                ceiling: str) -> CaseResult:
    """The case from every rank's outcome (in rank order): the ranks' windows added up."""
    outcomes = sorted(outcomes, key=lambda o: o.rank)
    ranks = tuple(RankResult(o.rank, o.node, o.warmup, tuple(o.repeats)) for o in outcomes)
    check = check_exactly_once([o.windows for o in outcomes], case.dataset.samples)
    failed = [o for o in outcomes if o.failure]
    distributed = DistributedRun(world_size=len(outcomes), nnodes=nnodes, ranks=ranks,
                                 exactly_once=check)
    result = CaseResult(run_id=run_id, case_id=case.case_id, scenario=case.scenario,
                        strategy=case.strategy, params=dict(case.params),
                        status="failed" if failed else "ok",
                        reason="; ".join(f"rank {o.rank}: {o.failure}" for o in failed),
                        warmup=aggregate_warmup(ranks), repeats=aggregate_repeats(ranks),
                        extra={"harness_overhead": max(o.overhead for o in outcomes),
                               "ceiling_strategy": ceiling},
                        distributed=distributed)
    if failed:
        return replace(result, extra={"traceback": failed[0].traceback})
    return result


def main(argv: list[str]) -> int:
    case_file, context_file, run_id, out, timeout_s = argv
    out_dir = Path(out)
    # torchrun's variables: this rank, its place on its node, its node and the node count.
    rank, local_rank = int(os.environ["RANK"]), int(os.environ["LOCAL_RANK"])
    node, nnodes = int(os.environ["GROUP_RANK"]), int(os.environ["GROUP_WORLD_SIZE"])
    # From here on a crash's traceback lands where the launcher can quote it.
    errors = stderr_file(out_dir, rank).open("w")
    os.dup2(errors.fileno(), 2)
    sys.stderr = errors
    started_marker(out_dir, rank).write_text(str(local_rank))
    case = Case.from_dict(json.loads(Path(case_file).read_text()))
    ctx = context_from_dict(json.loads(Path(context_file).read_text()), case)
    strategy = get_strategy(case.strategy)
    if not isinstance(strategy, LoaderStrategy):
        raise TypeError(f"{case.strategy} is not a torch loader: it cannot run over ranks")
    dist.init_process_group("gloo", timeout=timedelta(seconds=float(timeout_s)))
    try:
        outcome = RankOutcome(rank=rank, node=node)
        measure_rank(case, ctx, strategy, outcome, dist.barrier)
        gathered: list[Any] = [None] * dist.get_world_size()
        dist.all_gather_object(gathered, outcome)
        if local_rank == 0:  # every node keeps the whole case; node rank 0's run stores it
            result = case_result(case, run_id, gathered, nnodes, strategy.ceiling)
            (out_dir / RESULT_FILE).write_text(json.dumps(case_to_dict(result)))
    finally:
        dist.destroy_process_group()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
