"""Resource series of persistent DataLoader workers across epochs, and whether they grow.

Leaks in a loader show up as RSS or open file descriptors that climb epoch after epoch in
workers that live for the whole run (``persistent_workers=True``). `sample_workers` takes one
sample per worker; `growth` compares the start of a series with its end using medians of
thirds, so a single noisy epoch (a GC pause, a page-cache blip) does not decide the verdict.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import psutil


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


def write_series(path: Path, label: str, samples: Sequence[WorkerSample],
                 worker_trends: Sequence[WorkerTrend], seconds: float) -> None:
    """The soak as JSON: every sample (for plotting RSS/fds per worker per epoch) and trends."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({
        "label": label,
        "seconds": round(seconds, 1),
        "samples": [asdict(s) for s in samples],
        "trends": [asdict(t) for t in worker_trends],
    }, indent=1) + "\n")
