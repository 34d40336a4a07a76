"""StageClock: where a data loader's time goes, by stage, from cheap counters. Off by default.

Each process that is measured (the training process, each DataLoader worker) owns one *slot*
of a :class:`StageTimeline`: int64 nanosecond totals per stage in memory shared with every
process forked after the timeline was made, so the parent reads its workers' totals in place,
while they run and after they exit.

Accounting is exclusive on the thread that enabled the clock (the process's main thread):
entering a stage pauses the one it is nested in (the receive inside a tar parse is counted
as receive, not twice), and time in no stage is counted as ``outside``. So a slot's stages,
``outside`` included, partition the process's time since it enabled the clock. Other threads
(a thread pool reading a batch concurrently, the multiprocessing queue's feeder thread that
pickles) overlap that timeline: their time in stages is kept apart, in the slot's *helper*
totals, and is thread-seconds, not a share of the wall.

Cost: off (the default, and in every process forked from a measured one until it enables the
clock itself), a boundary is one attribute check. On, a boundary is a ``perf_counter_ns`` and
a few integer stores in shared memory (measured in ``tests/benchmarks/test_bench_stage_clock``).
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.util
import os
import threading
import time
from collections.abc import Mapping
from typing import Any

# Stages, in timeline order. The loader's own (listing .. tar_parse) are marked in aisref's
# client; the rest by whoever runs the loader (the harness): the user transform, collate,
# pickling in the worker, unpickling in the consumer, the consumer's compute and bookkeeping.
STAGES = (
    "outside",  # in no stage: DataLoader machinery, waiting (for work, or for workers)
    "listing",  # listing requests, reply decoded
    "first_byte",  # a GET sent until its reply's headers are in (redirect included)
    "receive",  # reading reply bodies from the socket
    "tar_parse",  # tar headers and members cut out of a stream (its reads are receive)
    "transform",  # the user's transform of each sample
    "collate",  # the DataLoader's collate_fn
    "pickle",  # a worker pickling a batch for the consumer
    "unpickle",  # the consumer unpickling a worker's batch
    "compute",  # the consumer's own work per batch (e.g. a training step)
    "harness",  # the measuring loop's own counting
    "worker_start",  # a worker forked and initialised: from the consumer's iter() to it
)
OUTSIDE, LISTING, FIRST_BYTE, RECEIVE, TAR_PARSE, TRANSFORM, COLLATE = range(7)
PICKLE, UNPICKLE, COMPUTE, HARNESS, WORKER_START = range(7, 12)
NOT_ENTERED = -1  # what enter() returns while the clock is off: leave() then does nothing

# The timeline: [when the consumer last started workers (ns)] + a slot per process. A slot:
# [current stage, since (ns), open (1 while its process runs), owner totals..., helper totals].
_STARTING_WORKERS = 0
_CURRENT, _SINCE, _OPEN, _TOTALS = 0, 1, 2, 3
_HELPERS = _TOTALS + len(STAGES)
SLOT_WORDS = _HELPERS + len(STAGES)


class StageTimeline:
    """Stage totals for a consumer process (slot 0) and ``workers`` DataLoader workers
    (slots 1..workers), in memory shared with processes forked after it is made.

    Args:
        workers: the DataLoader's ``num_workers``.
    """

    def __init__(self, workers: int) -> None:
        if workers < 0:
            raise ValueError(f"workers must be >= 0, got {workers}")
        self.workers = workers
        self._shared = multiprocessing.get_context("fork").RawArray(
            "q", 1 + SLOT_WORDS * (workers + 1))
        # A memoryview's items are quicker to reach than the ctypes array's.
        self.words: Any = memoryview(self._shared).cast("B").cast("q")

    def slot_offset(self, slot: int) -> int:
        if not 0 <= slot <= self.workers:
            raise ValueError(f"slot {slot} is outside 0..{self.workers} (consumer, workers)")
        return 1 + slot * SLOT_WORDS

    def mark_workers_starting(self) -> None:
        """Call just before ``iter(loader)``, which may fork workers: a worker that starts
        after it counts the time since as its ``worker_start``."""
        self.words[_STARTING_WORKERS] = time.perf_counter_ns()

    def read(self, slot: int, now_ns: int | None = None) -> tuple[list[int], list[int]]:
        """(owner totals, helper totals) of ``slot`` in ns, per stage in :data:`STAGES` order;
        a running process's open interval is counted up to ``now_ns`` (default: now). A read
        racing a boundary may be off by that one interval (no lock: readers never wait)."""
        base = self.slot_offset(slot)
        words = self.words
        owner = words[base + _TOTALS: base + _HELPERS].tolist()
        helpers = words[base + _HELPERS: base + SLOT_WORDS].tolist()
        if words[base + _OPEN]:  # perf_counter_ns is CLOCK_MONOTONIC: one clock for all
            now = time.perf_counter_ns() if now_ns is None else now_ns
            owner[words[base + _CURRENT]] += max(now - words[base + _SINCE], 0)
        return owner, helpers

    def read_all(self) -> list[tuple[list[int], list[int]]]:
        """Every slot, consumer first, all read at the same instant."""
        now = time.perf_counter_ns()
        return [self.read(slot, now) for slot in range(self.workers + 1)]


class StageClock:
    """Marks stage boundaries into this process's slot of a :class:`StageTimeline`.

    Use the process-wide :data:`STAGE_CLOCK`::

        previous = STAGE_CLOCK.enter(RECEIVE)
        try:
            ...
        finally:
            STAGE_CLOCK.leave(previous)
    """

    __slots__ = (
        "_base",
        "_current",
        "_helper_lock",
        "_helper_state",
        "_owner",
        "_since",
        "_totals",
        "_words",
        "on",
        "timeline",
    )

    def __init__(self) -> None:
        self.on = False
        self.timeline: StageTimeline | None = None
        self._words: Any = None
        self._base = 0
        self._owner = 0
        # The owner thread's state, kept here too: reading a Python list is quicker than
        # shared memory, which is only written (for readers in other processes).
        self._current = OUTSIDE
        self._since = 0
        self._totals = [0] * len(STAGES)
        self._helper_lock = threading.Lock()
        self._helper_state = threading.local()

    def enable(self, timeline: StageTimeline, slot: int = 0) -> None:
        """Count this process's stages into ``slot`` of ``timeline`` (adding to what is there:
        a worker restarted for the next epoch continues its slot), from now, on this thread."""
        base = timeline.slot_offset(slot)
        words = timeline.words
        self._totals = words[base + _TOTALS: base + _HELPERS].tolist()
        self._current, self._since = OUTSIDE, time.perf_counter_ns()
        words[base + _CURRENT] = OUTSIDE
        words[base + _SINCE] = self._since
        words[base + _OPEN] = 1
        self.timeline, self._words, self._base = timeline, words, base
        self._owner = threading.get_ident()
        self.on = True

    def disable(self) -> None:
        """Stop counting; the open interval is charged to the stage it was in."""
        if not self.on:
            return
        self.on = False
        self._charge(time.perf_counter_ns())
        self._words[self._base + _OPEN] = 0

    def enter(self, stage: int) -> int:
        """Start ``stage`` (an index into :data:`STAGES`); returns what :meth:`leave` takes."""
        if not self.on:
            return NOT_ENTERED
        now = _now_ns()
        if _thread_id() != self._owner:
            return self._helper_switch(stage, now)
        # _charge inlined: this is the path every boundary takes (its cost is the clock's)
        previous = self._current
        totals = self._totals
        total = totals[previous] + now - self._since
        totals[previous] = total
        words, base = self._words, self._base
        words[base + _TOTALS + previous] = total
        words[base + _CURRENT] = stage
        words[base + _SINCE] = now
        self._current = stage
        self._since = now
        return previous

    def _charge(self, now: int) -> int:
        """Add the time since the last boundary to the current stage; returns that stage."""
        current = self._current
        total = self._totals[current] + now - self._since
        self._totals[current] = total
        self._words[self._base + _TOTALS + current] = total
        return current

    def leave(self, previous: int) -> None:
        """End the stage :meth:`enter` started, going back to ``previous``."""
        if previous != NOT_ENTERED and self.on:
            self.enter(previous)

    def _helper_switch(self, stage: int, now: int) -> int:
        state = self._helper_state
        previous: int = getattr(state, "stage", OUTSIDE)
        if previous != OUTSIDE:  # a helper's time in no stage is not counted
            with self._helper_lock:
                self._words[self._base + _HELPERS + previous] += now - state.since
        state.stage, state.since = stage, now
        return previous


_now_ns = time.perf_counter_ns
_thread_id = threading.get_ident
STAGE_CLOCK = StageClock()


def _off_in_forked_child() -> None:
    # A forked child must not count into its parent's slot: it is off until it enables
    # itself (enable_in_worker), keeping the timeline to find its own slot.
    STAGE_CLOCK.on = False
    STAGE_CLOCK._helper_state = threading.local()


os.register_at_fork(after_in_child=_off_in_forked_child)


def enable_in_worker(worker_id: int) -> None:
    """For a DataLoader ``worker_init_fn``: count this worker into slot ``worker_id + 1`` of
    the timeline its parent enabled before forking it; nothing if there is none (the parent
    does not measure, or the worker was spawned, not forked). Its slot closes at exit."""
    timeline = STAGE_CLOCK.timeline
    if timeline is None or worker_id >= timeline.workers:
        return
    STAGE_CLOCK.enable(timeline, worker_id + 1)
    asked_at = timeline.words[_STARTING_WORKERS]
    if asked_at:  # charge the fork and start-up, which happened before this process could
        base = timeline.slot_offset(worker_id + 1)
        timeline.words[base + _TOTALS + WORKER_START] += max(
            timeline.words[base + _SINCE] - asked_at, 0)
    # multiprocessing runs its finalizers as a child process exits (os._exit skips atexit).
    multiprocessing.util.Finalize(None, STAGE_CLOCK.disable, exitpriority=100)


def stage_seconds(totals_ns: list[int]) -> Mapping[str, float]:
    """``{stage: seconds}`` of one slot's totals (in :data:`STAGES` order)."""
    return {name: ns / 1e9 for name, ns in zip(STAGES, totals_ns, strict=True)}
