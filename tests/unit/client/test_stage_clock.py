"""StageClock: exclusive stage accounting on the owner thread, helpers apart, forked workers
into their own slots, off by default."""

from __future__ import annotations

import multiprocessing
import threading
import time
from collections.abc import Iterator

import pytest

from aisref.client.stage_clock import (
    COMPUTE,
    OUTSIDE,
    RECEIVE,
    STAGE_CLOCK,
    STAGES,
    TAR_PARSE,
    StageTimeline,
    enable_in_worker,
)

MS = 1_000_000  # ns


@pytest.fixture
def timeline() -> Iterator[StageTimeline]:
    made = StageTimeline(workers=1)
    STAGE_CLOCK.enable(made)
    try:
        yield made
    finally:
        STAGE_CLOCK.disable()
        STAGE_CLOCK.timeline = None


def busy(seconds: float) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


def test_off_by_default_enter_returns_not_entered_and_counts_nothing() -> None:
    assert STAGE_CLOCK.on is False
    previous = STAGE_CLOCK.enter(RECEIVE)
    STAGE_CLOCK.leave(previous)
    assert previous == -1


def test_nested_stage_pauses_the_outer_one(timeline: StageTimeline) -> None:
    outer = STAGE_CLOCK.enter(TAR_PARSE)
    busy(0.02)
    inner = STAGE_CLOCK.enter(RECEIVE)
    busy(0.03)
    STAGE_CLOCK.leave(inner)
    busy(0.02)
    STAGE_CLOCK.leave(outer)
    owner, _ = timeline.read(0)
    assert 35 * MS <= owner[TAR_PARSE] < 60 * MS
    assert 28 * MS <= owner[RECEIVE] < 45 * MS


def test_owner_stages_partition_the_time_since_enable(timeline: StageTimeline) -> None:
    start = time.perf_counter_ns()
    busy(0.01)
    previous = STAGE_CLOCK.enter(COMPUTE)
    busy(0.02)
    STAGE_CLOCK.leave(previous)
    owner, _ = timeline.read(0)
    elapsed = time.perf_counter_ns() - start
    assert owner[OUTSIDE] > 0 and owner[COMPUTE] >= 20 * MS
    assert abs(sum(owner) - elapsed) < 2 * MS  # enable came just before start


def test_helper_thread_time_is_kept_apart(timeline: StageTimeline) -> None:
    def read_in_thread() -> None:
        previous = STAGE_CLOCK.enter(RECEIVE)
        time.sleep(0.03)
        STAGE_CLOCK.leave(previous)
        time.sleep(0.02)  # a helper in no stage: not counted

    thread = threading.Thread(target=read_in_thread)
    thread.start()
    thread.join()
    owner, helpers = timeline.read(0)
    assert owner[RECEIVE] == 0
    assert 28 * MS <= helpers[RECEIVE] < 45 * MS
    assert sum(helpers) == helpers[RECEIVE]


def _worker(worker_id: int) -> None:
    assert STAGE_CLOCK.on is False  # off after fork until the worker enables itself
    enable_in_worker(worker_id)
    previous = STAGE_CLOCK.enter(RECEIVE)
    time.sleep(0.05)
    STAGE_CLOCK.leave(previous)


def test_a_forked_worker_counts_into_its_own_slot_and_closes_it(
        timeline: StageTimeline) -> None:
    process = multiprocessing.get_context("fork").Process(target=_worker, args=(0,))
    process.start()
    process.join(10)
    assert process.exitcode == 0
    worker, _ = timeline.read(1)
    time.sleep(0.05)
    assert timeline.read(1)[0] == worker  # its exit closed the slot: it no longer grows
    assert 48 * MS <= worker[RECEIVE] < 80 * MS
    assert timeline.read(0)[0][RECEIVE] == 0


def test_stage_names_are_unique_and_outside_first() -> None:
    assert STAGES[OUTSIDE] == "outside" and len(set(STAGES)) == len(STAGES)
