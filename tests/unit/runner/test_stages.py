"""The runner's stages: the window's timeline, what a loader cannot report, the pickling marks."""

from __future__ import annotations

import time
from collections.abc import Iterator
from multiprocessing.reduction import ForkingPickler

import pytest

from aisbench.runner.metrics import TreeUsage
from aisbench.runner.stages import StageRecorder, not_measured_stages, stage_times
from aisbench.runner.window import WindowPlan, run_window
from aisbench.strategies.base import CountedBatch
from aisref.client.stage_clock import RECEIVE, STAGE_CLOCK, STAGES


class ReceivingLoader:
    """Batches whose making is 2 ms of "receive" and 1 ms of unmarked work."""

    def __iter__(self) -> Iterator[CountedBatch]:
        for _ in range(20):
            previous = STAGE_CLOCK.enter(RECEIVE)
            time.sleep(0.002)
            STAGE_CLOCK.leave(previous)
            time.sleep(0.001)
            yield 4, 100, None


@pytest.fixture
def recorder() -> Iterator[StageRecorder]:
    made = StageRecorder(0)
    try:
        yield made
    finally:
        made.close()


def test_the_window_marks_compute_and_its_stages_add_up_to_its_duration(
        recorder: StageRecorder) -> None:
    result = run_window(ReceivingLoader(), WindowPlan(None, 1, accel_s_per_batch=0.002),
                        lambda: None, lambda: TreeUsage(0.0, 0, 0.0), stages=recorder)
    m = result.measurement
    assert m.stages is not None
    assert sum(m.stages.main_s.values()) == pytest.approx(m.duration_s, rel=0.02)
    assert m.stages.main_s["compute"] >= m.accel_busy_s
    assert 0.038 <= m.stages.main_s["receive"] < 0.08
    waiting = m.duration_s - m.stages.main_s["compute"] - m.stages.main_s["harness"]
    assert waiting == pytest.approx(sum(m.batch_latencies_s), abs=0.005)


def test_without_a_recorder_the_window_has_no_stages_and_the_clock_stays_off() -> None:
    result = run_window(ReceivingLoader(), WindowPlan(None, 1), lambda: None,
                        lambda: TreeUsage(0.0, 0, 0.0))
    assert result.measurement.stages is None and STAGE_CLOCK.on is False


def test_another_client_does_not_measure_the_network_stages() -> None:
    assert not_measured_stages(0, client_stages=False, workers_seen=True) == (
        "listing", "first_byte", "receive", "tar_parse")
    assert not_measured_stages(2, client_stages=True, workers_seen=True) == ()


def test_spawned_workers_measure_nothing_of_the_loading() -> None:
    assert not_measured_stages(2, client_stages=True, workers_seen=False) == (
        "listing", "first_byte", "receive", "tar_parse", "transform", "collate", "pickle")


def test_stage_times_are_the_difference_in_seconds_and_leave_out_empty_stages() -> None:
    zeros = [0] * len(STAGES)
    before = [(zeros, zeros), (zeros, zeros)]
    consumer = [0] * len(STAGES)
    consumer[STAGES.index("compute")] = 2_000_000_000
    worker = [0] * len(STAGES)
    worker[STAGES.index("receive")] = 500_000_000
    helpers = [0] * len(STAGES)
    helpers[STAGES.index("pickle")] = 250_000_000
    times = stage_times(before, [(consumer, zeros), (worker, helpers)], 1, ())
    assert dict(times.main_s) == {"outside": 0.0, "compute": 2.0}
    assert dict(times.workers_s) == {"receive": 0.5}
    assert dict(times.helper_threads_s) == {"pickle": 0.25}


def test_queue_pickling_is_marked_while_recording_and_restored_after() -> None:
    plain_dumps, plain_loads = vars(ForkingPickler)["dumps"], vars(ForkingPickler)["loads"]
    recorder = StageRecorder(1)
    try:
        assert vars(ForkingPickler)["dumps"] is not plain_dumps
        before = recorder.snapshot()
        data = ForkingPickler.dumps(list(range(200_000)))
        assert ForkingPickler.loads(data) == list(range(200_000))
        times = recorder.stage_times(before, recorder.snapshot())
        assert times.main_s["pickle"] > 0 and times.main_s["unpickle"] > 0
    finally:
        recorder.close()
    assert vars(ForkingPickler)["dumps"] is plain_dumps
    assert vars(ForkingPickler)["loads"] is plain_loads
