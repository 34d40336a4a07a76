"""Where a case's time goes, by stage: the stage clock of aisref turned on for a case's loader.

Two timelines, each partitioned exactly by aisref's exclusive `StageClock`:

- the consumer (this process, the training loop): its stages sum to the window's duration.
  With DataLoader workers its ``outside`` is mostly waiting for them (and the pipe); with
  none it is the DataLoader's and dataset's own Python outside any marked stage.
- the DataLoader workers (forked; each enables its slot in `worker_init_fn`): their stages
  sum to ``num_workers x`` the window. ``worker_start`` runs from the consumer's ``iter()``
  (which forks them) to their ``worker_init_fn``; ``outside`` is a worker waiting for its
  next index or handing a batch over. Without persistent workers the time from a worker's
  exit at an epoch's end to the next ``iter()`` belongs to no worker: the sum falls short by
  that much.

Marked stages: aisref's client marks listing, first byte, receive and tar parsing; the
strategies' samples module marks the transform and collate; here, the multiprocessing
queues' pickling (in a worker's feeder thread: helper-thread seconds) and unpickling (in the
consumer), and the window marks compute and its own bookkeeping.

A loader on another client (the official SDK, plain requests) marks no network stages: they
are listed in ``not_measured`` and their time stays in ``outside`` - never a made-up number.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from multiprocessing.reduction import ForkingPickler
from typing import Any

from aisbench.results import StageTimes
from aisref.client.stage_clock import (
    PICKLE,
    STAGE_CLOCK,
    STAGES,
    UNPICKLE,
    StageTimeline,
)

# Stages only aisref's client marks: "not measured" for a loader on any other client.
CLIENT_STAGES = ("listing", "first_byte", "receive", "tar_parse")

SlotTotals = tuple[list[int], list[int]]  # (owner ns per stage, helper-thread ns per stage)


class StageRecorder:
    """The stage clock on, for one loader in this process, until `close`.

    Made before the loader (its construction, e.g. the listing, is a stage too), told about
    the loader once it exists (`describe_loader`).

    Args:
        workers: the loader's DataLoader ``num_workers``.
    """

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.not_measured: tuple[str, ...] = ()
        self.workers_seen = True
        self.timeline = StageTimeline(workers)
        self._restore = _time_queue_pickling() if workers else _nothing
        STAGE_CLOCK.enable(self.timeline, 0)

    def describe_loader(self, *, client_stages: bool, workers_seen: bool) -> None:
        """client_stages: whether the loader reads through aisref's client (which marks the
        network stages); False lists them as not measured. workers_seen: whether its workers
        are forked, so their slots are shared with this process (spawned workers get a copy:
        their stages are not measured)."""
        self.not_measured = not_measured_stages(self.workers, client_stages=client_stages,
                                                workers_seen=workers_seen)
        self.workers_seen = workers_seen

    def snapshot(self) -> list[SlotTotals]:
        return self.timeline.read_all()

    def stage_times(self, before: Sequence[SlotTotals],
                    after: Sequence[SlotTotals]) -> StageTimes:
        return stage_times(before, after, self.workers, self.not_measured,
                           workers_seen=self.workers_seen)

    def close(self) -> None:
        STAGE_CLOCK.disable()
        STAGE_CLOCK.timeline = None
        self._restore()


def not_measured_stages(workers: int, *, client_stages: bool,
                        workers_seen: bool) -> tuple[str, ...]:
    missing = set() if client_stages else set(CLIENT_STAGES)
    if workers and not workers_seen:  # the loading happens in workers we cannot read
        missing |= set(CLIENT_STAGES) | {"transform", "collate", "pickle"}
    return tuple(stage for stage in STAGES if stage in missing)


def stage_times(before: Sequence[SlotTotals], after: Sequence[SlotTotals], workers: int,
                not_measured: tuple[str, ...], *, workers_seen: bool = True) -> StageTimes:
    """The stages of the window between two snapshots (slot 0: the consumer), in seconds.

    Stages with no time in any slot are left out, except in the consumer's timeline, which
    always has ``outside``.
    """
    def seconds(which: int, slots: range) -> dict[str, float]:
        totals = [sum(after[s][which][i] - before[s][which][i] for s in slots)
                  for i in range(len(STAGES))]
        return {name: max(ns, 0) / 1e9 for name, ns in zip(STAGES, totals, strict=True)
                if ns > 0}

    every = range(len(after))
    worker_slots = range(1, len(after)) if workers_seen else range(0)
    return StageTimes(main_s={"outside": 0.0} | seconds(0, range(1)),
                      workers_s=seconds(0, worker_slots), helper_threads_s=seconds(1, every),
                      workers=workers, not_measured=not_measured)


def _nothing() -> None:
    return None


def _time_queue_pickling() -> Callable[[], None]:
    """Mark multiprocessing's queue pickling (``ForkingPickler.dumps``: a worker's feeder
    thread) and unpickling (``loads``: the consumer's main thread); returns the undo.

    Patched on the class, here, before the workers fork, so they inherit it; only this case
    process (a fresh one per case) is touched, and only while stages are measured.
    """
    saved: dict[str, Any] = {name: vars(ForkingPickler)[name] for name in ("dumps", "loads")}
    dumps, loads = ForkingPickler.dumps, ForkingPickler.loads

    def timed_dumps(obj: Any, protocol: int | None = None) -> Any:
        previous = STAGE_CLOCK.enter(PICKLE)
        try:
            return dumps(obj, protocol)
        finally:
            STAGE_CLOCK.leave(previous)

    def timed_loads(data: Any, *args: Any, **kwargs: Any) -> Any:
        previous = STAGE_CLOCK.enter(UNPICKLE)
        try:
            return loads(data, *args, **kwargs)
        finally:
            STAGE_CLOCK.leave(previous)

    ForkingPickler.dumps = staticmethod(timed_dumps)  # type: ignore[method-assign]
    ForkingPickler.loads = staticmethod(timed_loads)

    def restore() -> None:
        for name, descriptor in saved.items():
            setattr(ForkingPickler, name, descriptor)
    return restore
