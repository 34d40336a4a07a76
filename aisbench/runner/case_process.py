"""One case in a fresh process: build the loader, run the warmup (kept, not averaged in), then
the repeats, and write the CaseResult as JSON. Run as
`python -m aisbench.runner.case_process CASE.json CONTEXT.json RUN_ID OUT.json`.
"""

from __future__ import annotations

import json
import sys
import time
import traceback
from dataclasses import replace
from pathlib import Path
from typing import Any

from aisbench.results import CaseResult, Measurement, case_to_dict
from aisbench.runner.metrics import ProcessTreeSampler, served_gets, target_urls
from aisbench.runner.retries import RetryCounter
from aisbench.runner.stages import StageRecorder
from aisbench.runner.window import WindowPlan, run_window
from aisbench.scenario import Case
from aisbench.strategies import LoaderStrategy, StrategyContext, ToolStrategy, get_strategy

TOOL_DEFAULT_DURATION_S = 10.0  # aisloader runs by time; an epochs case gets this long


def context_to_dict(ctx: StrategyContext) -> dict[str, Any]:
    """The context minus the dataset, which the case carries itself."""
    return {"endpoint": ctx.endpoint, "bucket": ctx.bucket, "prefix": ctx.prefix,
            "etl_unavailable_reason": ctx.etl_unavailable_reason,
            "aisloader": str(ctx.aisloader) if ctx.aisloader else None}


def context_from_dict(raw: dict[str, Any], case: Case) -> StrategyContext:
    return StrategyContext(
        endpoint=raw["endpoint"], bucket=raw["bucket"], prefix=raw["prefix"],
        dataset=case.dataset, etl_unavailable_reason=raw["etl_unavailable_reason"],
        aisloader=Path(raw["aisloader"]) if raw["aisloader"] else None,
    )


def _result(case: Case, run_id: str, **fields: Any) -> CaseResult:
    return CaseResult(run_id=run_id, case_id=case.case_id, scenario=case.scenario,
                      strategy=case.strategy, params=dict(case.params), **fields)


def run_loader_case(case: Case, ctx: StrategyContext, strategy: LoaderStrategy,
                    run_id: str) -> CaseResult:
    sampler = ProcessTreeSampler()
    accel = case.accelerator.compute_s_per_batch
    repeats: list[Measurement] = []
    warmup: Measurement | None = None
    overheads: list[float] = []
    stages: StageRecorder | None = None
    setup: dict[str, Any] = {}
    try:
        # Always on (its cost: tests/benchmarks/test_bench_stage_clock.py); made before the
        # loader, whose construction lists, and before the first window, as workers fork at
        # its iter() and must inherit the timeline.
        stages = StageRecorder(case.loader.num_workers)
        setup_started, setup_before = time.perf_counter(), stages.snapshot()
        loader = strategy.make_loader(case, ctx)  # datasets list their sources here
        retries = RetryCounter(loader)  # and forked workers' (limits: runner/retries.py)
        stages.describe_loader(client_stages=retries.clients_found > 0,
                               workers_seen=retries.sees_workers)
        setup = setup_stages(stages, setup_before, time.perf_counter() - setup_started)
        targets = target_urls(ctx.endpoint)
        if case.run.warmup_s > 0:
            before = retries.total()
            warm = run_window(loader, WindowPlan(case.run.warmup_s, None, accel),
                              sampler.start, sampler.stop, lambda: served_gets(targets), stages)
            warmup = replace(warm.measurement, retries=retries.total() - before)
        plan = WindowPlan(case.run.duration_s, case.run.epochs, accel)
        for _ in range(case.run.repeats):
            before = retries.total()
            window = run_window(loader, plan, sampler.start, sampler.stop,
                                lambda: served_gets(targets), stages)
            repeats.append(replace(window.measurement, retries=retries.total() - before))
            overheads.append(window.bookkeeping_s / window.measurement.duration_s)
    except Exception as exc:  # the loader failed: keep every window already measured
        return _result(case, run_id, status="failed", reason=_reason(exc), warmup=warmup,
                       repeats=tuple(repeats), extra={"traceback": traceback.format_exc()})
    finally:
        if stages is not None:
            stages.close()
    return _result(case, run_id, warmup=warmup, repeats=tuple(repeats),
                   extra={"harness_overhead": max(overheads, default=0.0),
                          "ceiling_strategy": strategy.ceiling, **setup})


def setup_stages(stages: StageRecorder, before: list[Any], seconds: float) -> dict[str, Any]:
    """The loader's construction (listing its objects, ...), once per case, for
    ``CaseResult.extra``: ``setup_s`` and its ``setup_stages_s`` (the consumer's stages)."""
    times = stages.stage_times(before, stages.snapshot())
    return {"setup_s": seconds, "setup_stages_s": dict(times.main_s),
            "setup_not_measured": list(times.not_measured)}


def run_tool_case(case: Case, ctx: StrategyContext, strategy: ToolStrategy,
                  run_id: str) -> CaseResult:
    duration = case.run.duration_s or TOOL_DEFAULT_DURATION_S
    repeats: list[Measurement] = []
    warmup: Measurement | None = None
    try:
        if case.run.warmup_s > 0:
            warmup = strategy.measure(case, ctx, case.run.warmup_s)
        for _ in range(case.run.repeats):
            repeats.append(strategy.measure(case, ctx, duration))
    except Exception as exc:
        return _result(case, run_id, status="failed", reason=_reason(exc), warmup=warmup,
                       repeats=tuple(repeats))
    return _result(case, run_id, warmup=warmup, repeats=tuple(repeats),
                   extra={"ceiling": True, "loader_keys": sorted(strategy.loader_keys)})


def _reason(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}".splitlines()[0][:500]


def run_case(case: Case, ctx: StrategyContext, run_id: str) -> CaseResult:
    strategy = get_strategy(case.strategy)
    if isinstance(strategy, LoaderStrategy):
        return run_loader_case(case, ctx, strategy, run_id)
    return run_tool_case(case, ctx, strategy, run_id)


def main(argv: list[str]) -> int:
    case_file, context_file, run_id, out_file = argv
    case = Case.from_dict(json.loads(Path(case_file).read_text()))
    raw_context = json.loads(Path(context_file).read_text())
    ctx = context_from_dict(raw_context, case)
    result = run_case(case, ctx, run_id)
    Path(out_file).write_text(json.dumps(case_to_dict(result)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
