"""The measuring loop: epochs or a deadline, exact counts, one latency per batch."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator

import pytest

from aisbench.runner.metrics import TreeUsage
from aisbench.runner.window import WindowPlan, WindowResult, run_window
from aisbench.strategies.base import CountedBatch

EPOCH: list[CountedBatch] = [(4, 400, None), (4, 400, None), (2, 200, None)]


class SleepyLoader:
    """An epoch of `batches` batches of (4 samples, 100 bytes), each taking 1 ms to arrive."""

    def __init__(self, batches: int) -> None:
        self.batches = batches
        self.epochs_started = 0

    def __iter__(self) -> Iterator[CountedBatch]:
        self.epochs_started += 1
        for _ in range(self.batches):
            time.sleep(0.001)
            yield 4, 100, None


def no_usage() -> TreeUsage:
    return TreeUsage(cpu_seconds=0.0, peak_rss_bytes=0, sampler_cpu_s=0.0)


def window(loader: Iterable[CountedBatch], plan: WindowPlan) -> WindowResult:
    return run_window(loader, plan, lambda: None, no_usage)


def epochs(count: int, accel_s: float = 0.0) -> WindowPlan:
    return WindowPlan(duration_s=None, epochs=count, accel_s_per_batch=accel_s)


def test_epochs_mode_reads_exactly_n_passes() -> None:
    measured = window(EPOCH, epochs(3)).measurement
    assert (measured.samples, measured.bytes, measured.batches) == (30, 3000, 9)


def test_epochs_mode_starts_the_loader_once_per_epoch() -> None:
    loader = SleepyLoader(batches=2)
    window(loader, epochs(3))
    assert loader.epochs_started == 3


def test_every_batch_has_one_latency() -> None:
    measured = window(EPOCH, epochs(2)).measurement
    assert len(measured.batch_latencies_s) == measured.batches == 6


def test_time_to_first_batch_is_set_within_the_window() -> None:
    measured = window(SleepyLoader(batches=2), epochs(1)).measurement
    assert measured.time_to_first_batch_s is not None
    assert 0 < measured.time_to_first_batch_s <= measured.duration_s


def test_an_empty_epoch_ends_the_window_with_no_batches() -> None:
    measured = window([], epochs(2)).measurement
    assert (measured.batches, measured.time_to_first_batch_s) == (0, None)


def test_duration_mode_restarts_the_loader_after_an_epoch_until_the_deadline() -> None:
    loader = SleepyLoader(batches=2)
    measured = window(loader, WindowPlan(duration_s=0.2, epochs=None)).measurement
    assert loader.epochs_started >= 2
    assert measured.batches >= 2 * (loader.epochs_started - 1)


def test_duration_mode_counts_every_batch_it_took() -> None:
    measured = window(SleepyLoader(batches=3), WindowPlan(duration_s=0.05, epochs=None)).measurement
    assert measured.samples == 4 * measured.batches
    assert measured.bytes == 100 * measured.batches
    assert len(measured.batch_latencies_s) == measured.batches


def test_duration_mode_stops_in_the_middle_of_a_long_epoch() -> None:
    loader = SleepyLoader(batches=100_000)
    measured = window(loader, WindowPlan(duration_s=0.02, epochs=None)).measurement
    assert loader.epochs_started == 1
    assert 1 <= measured.batches < 100_000


def test_accelerator_is_busy_its_time_per_batch_for_every_batch() -> None:
    measured = window(EPOCH, epochs(2, accel_s=0.002)).measurement
    assert measured.accel_busy_s == pytest.approx(6 * 0.002)


def test_without_accelerator_it_is_never_busy() -> None:
    assert window(EPOCH, epochs(1)).measurement.accel_busy_s == 0.0


def test_usage_is_measured_around_the_iteration() -> None:
    calls: list[str] = []

    class Recording:
        def __iter__(self) -> Iterator[CountedBatch]:
            calls.append("iterate")
            yield 1, 1, None

    def stop() -> TreeUsage:
        calls.append("stop")
        return TreeUsage(cpu_seconds=1.5, peak_rss_bytes=1234, sampler_cpu_s=0.0)

    measured = run_window(Recording(), epochs(1), lambda: calls.append("start"), stop).measurement
    assert calls == ["start", "iterate", "stop"]
    assert (measured.cpu_seconds, measured.peak_rss_bytes) == (1.5, 1234)


def test_http_requests_are_the_gets_counted_during_the_window() -> None:
    counter = iter([100, 142])
    measured = run_window(EPOCH, epochs(1), lambda: None, no_usage,
                          lambda: next(counter)).measurement
    assert measured.http_requests == 42


def test_sampler_cpu_counts_as_harness_bookkeeping() -> None:
    def stop() -> TreeUsage:
        return TreeUsage(cpu_seconds=0.0, peak_rss_bytes=0, sampler_cpu_s=0.5)

    assert run_window(EPOCH, epochs(1), lambda: None, stop).bookkeeping_s >= 0.5


class SlowStartLoader:
    """Each epoch takes 50 ms to start (like spawning DataLoader workers), then 1 batch."""

    def __iter__(self) -> Iterator[CountedBatch]:
        return self._epoch()

    def _epoch(self) -> Iterator[CountedBatch]:
        time.sleep(0.05)
        yield 1, 1, None


class SpawningLoader:
    """iter() itself takes 50 ms (as a DataLoader's does when it starts its workers)."""

    def __iter__(self) -> Iterator[CountedBatch]:
        time.sleep(0.05)
        return iter([(1, 1, None)])


def test_first_batchs_wait_is_the_time_to_first_batch() -> None:
    measured = window(SpawningLoader(), epochs(1)).measurement
    assert measured.batch_latencies_s[0] >= 0.05
    assert measured.time_to_first_batch_s is not None
    assert measured.batch_latencies_s[0] <= measured.time_to_first_batch_s


def test_an_epochs_slow_start_counts_toward_its_first_batchs_wait() -> None:
    measured = window(SlowStartLoader(), epochs(2)).measurement
    assert len(measured.batch_latencies_s) == 2  # one batch per epoch
    assert min(measured.batch_latencies_s) >= 0.05


def test_starting_the_next_epochs_iterator_counts_toward_its_first_batchs_wait() -> None:
    measured = window(SpawningLoader(), epochs(3)).measurement
    assert len(measured.batch_latencies_s) == 3  # one batch per epoch
    assert min(measured.batch_latencies_s) >= 0.05

