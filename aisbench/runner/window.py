"""The measuring loop: pull batches for a time or a number of epochs, and time every wait."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from aisbench.results import Measurement
from aisbench.runner.metrics import TreeUsage
from aisbench.runner.stages import StageRecorder
from aisbench.strategies import CountedBatch
from aisref.client.stage_clock import COMPUTE, HARNESS, STAGE_CLOCK

MAX_LATENCIES = 100_000  # keep every batch's wait up to this many; enough for any p99


@dataclass(frozen=True)
class WindowPlan:
    """Stop after `duration_s` seconds, or after `epochs` full passes (exactly one is set)."""

    duration_s: float | None
    epochs: int | None
    accel_s_per_batch: float = 0.0


@dataclass(frozen=True)
class WindowResult:
    measurement: Measurement
    bookkeeping_s: float  # time the loop spent on its own counting (harness overhead)


def run_window(loader: Iterable[CountedBatch], plan: WindowPlan,
               start_usage: Callable[[], None], stop_usage: Callable[[], TreeUsage],
               count_gets: Callable[[], int] | None = None,
               stages: StageRecorder | None = None) -> WindowResult:
    """Iterate `loader` per `plan`; emulate the accelerator by sleeping per batch. With
    `stages`, the window's stages are in the measurement (compute and the loop's own counting
    marked here)."""
    gets_before = count_gets() if count_gets else 0
    start_usage()
    stages_before = stages.snapshot() if stages else None
    samples = nbytes = batches = epochs_done = 0
    latencies: list[float] = []
    accel_busy = bookkeeping = 0.0
    first_batch: float | None = None
    t0 = time.perf_counter()
    deadline = t0 + plan.duration_s if plan.duration_s is not None else None
    # A batch's wait runs from the end of the previous batch, so the start of an epoch (iter()
    # starting workers, the last epoch's end) counts toward its first batch, as in training.
    waited_from = t0
    if stages:
        stages.timeline.mark_workers_starting()
    iterator: Iterator[CountedBatch] = iter(loader)
    while True:
        try:
            batch_samples, batch_bytes, _ = next(iterator)
        except StopIteration:
            epochs_done += 1
            done = (plan.epochs is not None and epochs_done >= plan.epochs) or (
                deadline is not None and time.perf_counter() >= deadline)
            if done:
                break
            if stages:
                stages.timeline.mark_workers_starting()
            iterator = iter(loader)
            continue
        got = time.perf_counter()
        counting = STAGE_CLOCK.enter(HARNESS)
        if first_batch is None:
            first_batch = got - t0
        if len(latencies) < MAX_LATENCIES:
            latencies.append(got - waited_from)
        samples += batch_samples
        nbytes += batch_bytes
        batches += 1
        bookkeeping += time.perf_counter() - got
        STAGE_CLOCK.leave(counting)
        if plan.accel_s_per_batch > 0:
            computing = STAGE_CLOCK.enter(COMPUTE)
            time.sleep(plan.accel_s_per_batch)
            STAGE_CLOCK.leave(computing)
            accel_busy += plan.accel_s_per_batch
        if deadline is not None and time.perf_counter() >= deadline:
            break
        waited_from = time.perf_counter()
    elapsed = time.perf_counter() - t0
    stages_after = stages.snapshot() if stages else None
    del iterator  # shuts down non-persistent workers, outside the timed window
    usage = stop_usage()
    gets = count_gets() - gets_before if count_gets else 0
    measurement = Measurement(
        duration_s=elapsed, samples=samples, bytes=nbytes, batches=batches,
        time_to_first_batch_s=first_batch, batch_latencies_s=tuple(latencies),
        cpu_seconds=usage.cpu_seconds, peak_rss_bytes=usage.peak_rss_bytes,
        http_requests=gets, accel_busy_s=accel_busy,
        stages=stages.stage_times(stages_before, stages_after)
        if stages and stages_before and stages_after else None,
    )
    return WindowResult(measurement, bookkeeping_s=bookkeeping + usage.sampler_cpu_s)
