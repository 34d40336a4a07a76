"""Resource series of persistent DataLoader workers across epochs, and whether they grow.

Leaks in a loader show up as RSS or open file descriptors that climb epoch after epoch in
workers that live for the whole run (``persistent_workers=True``). `sample_workers` takes one
sample per worker; `growth` compares the start of a series with its end using medians of
thirds, so a single noisy epoch (a GC pause, a page-cache blip) does not decide the verdict.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, fields
from typing import Any

import psutil

from aisbench.errors import InvalidValue
from aisbench.faults.judge import EpochTally, outcome_text, tally
from aisbench.results import COMPLETED, NOT_EXERCISED, FaultOutcome, RunRecord


@dataclass(frozen=True)
class WorkerSample:
    """One worker at the end of one epoch: resident memory (bytes) and open descriptors."""

    epoch: int
    pid: int
    rss_bytes: int
    open_fds: int


def worker_processes(parent_pid: int | None = None) -> list[psutil.Process]:
    """The DataLoader workers of ``parent_pid`` (default: this process).

    Workers are forks of the parent, so they share its command line; other children (e.g.
    aisnode started by a test fixture) do not.
    """
    parent = psutil.Process(parent_pid)
    own = parent.cmdline()
    workers = []
    for child in parent.children(recursive=False):
        try:
            if child.cmdline() == own:
                workers.append(child)
        except psutil.Error:
            continue
    return workers


def sample_workers(epoch: int, parent_pid: int | None = None,
                   exclude: frozenset[int] = frozenset()) -> list[WorkerSample]:
    """RSS and open fds of every worker of ``parent_pid`` now, except the ``exclude`` pids
    (workers of other loaders that were already there)."""
    samples = []
    for worker in worker_processes(parent_pid):
        if worker.pid in exclude:
            continue
        try:
            with worker.oneshot():
                samples.append(WorkerSample(epoch, worker.pid, worker.memory_info().rss,
                                            worker.num_fds()))
        except psutil.Error:
            continue
    return samples


def growth(series: Sequence[float]) -> float:
    """Median of the last third minus median of the first third (0 for under 3 points)."""
    if len(series) < 3:
        return 0.0
    third = len(series) // 3
    return statistics.median(series[-third:]) - statistics.median(series[:third])


@dataclass(frozen=True)
class WorkerTrend:
    """One worker's series, and how much it grew from the first to the last third."""

    pid: int
    epochs: int
    rss_growth_bytes: float
    fd_growth: float
    rss_first_bytes: int
    rss_last_bytes: int


def trends(samples: Sequence[WorkerSample], skip_epochs: int = 1) -> list[WorkerTrend]:
    """Per-worker trends, leaving out the first ``skip_epochs`` (warm-up: caches, pools)."""
    by_pid: dict[int, list[WorkerSample]] = {}
    for sample in samples:
        if sample.epoch >= skip_epochs:
            by_pid.setdefault(sample.pid, []).append(sample)
    out = []
    for pid, series in sorted(by_pid.items()):
        series.sort(key=lambda s: s.epoch)
        out.append(WorkerTrend(
            pid=pid, epochs=len(series),
            rss_growth_bytes=growth([s.rss_bytes for s in series]),
            fd_growth=growth([s.open_fds for s in series]),
            rss_first_bytes=series[0].rss_bytes, rss_last_bytes=series[-1].rss_bytes,
        ))
    return out


SOAK_SERIES = "soak_series"  # the key of a soak case's series in its result's ``extra``


def series_to_dict(label: str, samples: Sequence[WorkerSample],
                   worker_trends: Sequence[WorkerTrend], seconds: float) -> dict[str, Any]:
    """The soak as JSON values: every sample (for plotting RSS/fds per worker per epoch) and
    the trends; `series_from_dict` reads it back."""
    return {
        "label": label,
        "seconds": round(seconds, 1),
        "samples": [asdict(s) for s in samples],
        "trends": [asdict(t) for t in worker_trends],
    }


@dataclass(frozen=True)
class SoakSeries:
    """One soak as `series_to_dict` gave it: a loader's label, its wall time (seconds), every
    sample and the per-worker trends."""

    label: str
    seconds: float
    samples: tuple[WorkerSample, ...]
    trends: tuple[WorkerTrend, ...]


def series_from_dict(raw: dict[str, Any], source: str = "soak series") -> SoakSeries:
    """A `SoakSeries` from its JSON form; anything else is an InvalidValue naming ``source``."""
    try:
        return SoakSeries(
            label=str(raw["label"]),
            seconds=float(raw["seconds"]),
            samples=tuple(WorkerSample(**_known(WorkerSample, s)) for s in raw.get("samples", [])),
            trends=tuple(WorkerTrend(**_known(WorkerTrend, t)) for t in raw.get("trends", [])),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as err:
        raise InvalidValue(f"{source}: not a soak series ({type(err).__name__}: {err}); "
                           "expected keys label, seconds, samples, trends") from err


def _known(cls: type, raw: dict[str, Any]) -> dict[str, Any]:
    names = {f.name for f in fields(cls)}
    return {k: v for k, v in raw.items() if k in names}


@dataclass(frozen=True)
class SoakResult:
    """A soak: every worker sample, the epochs run, and each epoch that was not exactly once.

    Attributes:
        bad_epochs: ``(epoch, tally)`` for each epoch with a sample missing, repeated or foreign.
    """

    samples: tuple[WorkerSample, ...]
    epochs: int
    seconds: float
    worker_pids: frozenset[int]
    bad_epochs: tuple[tuple[int, EpochTally], ...]


def soak_epochs(make_loader: Callable[[], Iterable[Sequence[str]]], expected: Sequence[str],
                seconds: float, max_epochs: int) -> SoakResult:
    """Run epochs of a loader of sample ids (batches) with persistent workers for ``seconds``
    (at most ``max_epochs``), tallying each epoch against ``expected`` and sampling the
    workers after it; the loader (and so its workers) is gone on return. Workers already
    running (of other loaders, winding down) are never counted as its own."""
    others = frozenset(w.pid for w in worker_processes())
    gc.collect()  # garbage from earlier loaders must not be inherited by the forked workers
    loader = make_loader()
    samples: list[WorkerSample] = []
    bad: list[tuple[int, EpochTally]] = []
    started = time.monotonic()
    epoch = 0
    while epoch < max_epochs and time.monotonic() - started < seconds:
        counts = tally(expected, (sample for batch in loader for sample in batch))
        if not counts.exactly_once:
            bad.append((epoch, counts))
        samples.extend(sample_workers(epoch, exclude=others))
        epoch += 1
    elapsed = time.monotonic() - started
    del loader  # persistent workers end with their loader
    gc.collect()
    return SoakResult(tuple(samples), epoch, elapsed, frozenset(s.pid for s in samples),
                      tuple(bad))


# Growth allowed from the first third of the epochs to the last (medians): allocator noise and
# late-filled caches, far below what a per-epoch leak adds up to over tens of epochs.
RSS_TOLERANCE_BYTES = 16 * 2**20
FD_TOLERANCE = 2
MIN_EPOCHS = 6  # fewer cannot show a trend


def soak_problems(result: SoakResult, worker_trends: Sequence[WorkerTrend],
                  workers: int) -> list[str]:
    """What the loader did wrong in a soak, in words; empty when it kept every rule."""
    problems = [f"epoch {epoch}: {t.missing} missing, {t.duplicates} duplicates, "
                f"{t.unexpected} unexpected" for epoch, t in result.bad_epochs[:3]]
    if len(result.worker_pids) != workers:
        problems.append(f"{len(result.worker_pids)} worker pids for {workers} persistent "
                        "workers: they were replaced")
    for t in worker_trends:
        if t.rss_growth_bytes > RSS_TOLERANCE_BYTES:
            problems.append(f"worker {t.pid} RSS grew {t.rss_growth_bytes / 2**20:.1f} MiB")
        if t.fd_growth > FD_TOLERANCE:
            problems.append(f"worker {t.pid} open fds grew by {t.fd_growth:g}")
    return problems


def soak_outcome(label: str, workers: int, expected_per_epoch: int, result: SoakResult,
                 worker_trends: Sequence[WorkerTrend]) -> FaultOutcome:
    """The soak as a report row: epochs are its samples; too few epochs prove nothing."""
    problems = soak_problems(result, worker_trends, workers)
    outcome = outcome_text(problems, COMPLETED)
    if not problems and result.epochs < MIN_EPOCHS:
        outcome = f"{NOT_EXERCISED}: only {result.epochs} epochs, too few to see a trend"
    growth = ", ".join(f"pid {t.pid}: RSS {t.rss_growth_bytes / 2**20:+.2f} MiB, "
                       f"fds {t.fd_growth:+g}" for t in worker_trends)
    return FaultOutcome(
        fault="soak: persistent workers across epochs", dataset=label, num_workers=workers,
        outcome=outcome, expected=result.epochs,
        seen=result.epochs - len(result.bad_epochs), duplicates=0,
        missing=len(result.bad_epochs), duration_s=round(result.seconds, 3),
        notes=f"samples here are epochs of {expected_per_epoch} samples, each checked exactly "
              f"once; growth from the first third of the epochs to the last (medians): "
              f"{growth or 'no worker sampled'}")


@dataclass(frozen=True)
class SoakReadout:
    """The soak series of a run that could be read, and a line for each that could not."""

    series: tuple[SoakSeries, ...] = ()
    problems: tuple[str, ...] = ()


def soak_readout(record: RunRecord) -> SoakReadout:
    """Every soak series kept beside the run's outcomes, in run order; one that cannot be read
    is set aside with why (the report says so), never fatal."""
    series: list[SoakSeries] = []
    problems: list[str] = []
    for case in record.cases:
        if SOAK_SERIES in case.extra:
            try:
                series.append(series_from_dict(case.extra[SOAK_SERIES], case.case_id))
            except InvalidValue as err:
                problems.append(f"soak series unreadable: {err}")
    return SoakReadout(tuple(series), tuple(problems))
