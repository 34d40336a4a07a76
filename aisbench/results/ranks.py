"""A case run over torch.distributed ranks: each rank's own windows, the exactly-once check
across ranks, and how the ranks' windows add up to the case's.

Units as in schema.py: seconds, bytes, MiB = 2**20 bytes. Throughput of the whole case is the
sum over ranks over the *common* window: every rank starts its window at the same barrier and
the common window lasts until the last rank ends (the longest rank window), so a slow rank
lowers the total instead of being averaged away.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

from aisbench.results.schema import (
    Measurement,
    ResultFormatError,
    measurement_from_dict,
    measurement_to_dict,
)

MAX_LATENCIES_KEPT = 100_000  # batch waits an aggregate window keeps, as one window does


@dataclass(frozen=True, slots=True)
class RankResult:
    """One rank: its global ``rank``, the ``node`` it ran on (torchrun's group rank, 0-based)
    and its own warmup and repeats (the same windows as a single-process case)."""

    rank: int
    node: int
    warmup: Measurement | None = None
    repeats: tuple[Measurement, ...] = ()

    def mean(self, metric: str) -> float | None:
        """Mean of ``metric`` over this rank's repeats; None when no repeat defines it."""
        values = [v for v in (m.metric(metric) for m in self.repeats) if v is not None]
        return sum(values) / len(values) if values else None


@dataclass(frozen=True, slots=True)
class ExactlyOnce:
    """Did the ranks together read every sample once per epoch, apart from the padding?

    Checked over the full epochs every rank finished inside the measured windows, from the
    names of the samples each rank received (sums over those epochs):
    expected: samples in the dataset, per epoch; epochs_checked: full epochs checked;
    reads: samples the ranks received in them; padding: reads an equal split may add, as
    torch's DistributedSampler documents (``R * ceil(N / R) - N`` per epoch: the first samples
    read again); duplicates: reads beyond one per sample and that padding; missing: samples
    of the dataset no rank read; note: why nothing could be checked (empty when checked).
    """

    expected: int
    epochs_checked: int = 0
    reads: int = 0
    padding: int = 0
    duplicates: int = 0
    missing: int = 0
    note: str = ""

    @property
    def checked(self) -> bool:
        return self.epochs_checked > 0

    @property
    def holds(self) -> bool:
        """Checked, no duplicate beyond the padding and nothing missing."""
        return self.checked and self.duplicates == 0 and self.missing == 0

    @property
    def summary(self) -> str:
        """One line for tables, e.g. "exactly once (2 epochs, 3 padding)"."""
        if not self.checked:
            return f"not checked: {self.note}"
        counts = (f"{self.epochs_checked} epoch{'s' if self.epochs_checked != 1 else ''}, "
                  f"{self.duplicates} duplicates, {self.missing} missing, "
                  f"{self.padding} padding")
        return f"{'exactly once' if self.holds else 'VIOLATED'} ({counts})"


@dataclass(frozen=True, slots=True)
class DistributedRun:
    """A case's ranks: ``world_size`` ranks over ``nnodes`` nodes, each rank's result (in rank
    order) and the exactly-once check. The case's own repeats are `aggregate_window` of the
    ranks' repeats with the same index."""

    world_size: int
    nnodes: int
    ranks: tuple[RankResult, ...]
    exactly_once: ExactlyOnce

    def __post_init__(self) -> None:
        if len(self.ranks) != self.world_size:
            raise ResultFormatError(f"distributed: {len(self.ranks)} rank results for "
                                    f"world_size {self.world_size}")
        if not isinstance(self.ranks, tuple):
            object.__setattr__(self, "ranks", tuple(self.ranks))

    def rank_rates(self) -> dict[int, float]:
        """Mean samples/s of each rank over its repeats (ranks without repeats left out)."""
        rates = {r.rank: r.mean("samples_per_s") for r in self.ranks}
        return {rank: rate for rank, rate in rates.items() if rate is not None}

    @property
    def slowest_rank(self) -> int | None:
        """The rank with the lowest mean samples/s (the one a synchronous step waits for)."""
        rates = self.rank_rates()
        return min(rates, key=lambda rank: rates[rank]) if rates else None

    @property
    def spread(self) -> float | None:
        """max / min of the ranks' mean samples/s (1.0 = perfectly even); None when a rank
        delivered nothing or none has repeats."""
        rates = list(self.rank_rates().values())
        if not rates or min(rates) <= 0:
            return None
        return max(rates) / min(rates)


def aggregate_window(windows: Sequence[Measurement]) -> Measurement:
    """The ranks' windows of one repeat as one window of the whole case.

    Counts (samples, bytes, batches, requests, errors, retries), CPU and peak RSS add up;
    the duration is the common window (the longest rank window: all start at one barrier);
    time to first batch is the slowest rank's; accelerator busy time is scaled so that the
    case's accel utilisation is the mean of the ranks'; batch waits are every rank's, in rank
    order, up to the cap a single window keeps.
    """
    if not windows:
        raise ValueError("aggregate of no rank windows")
    duration = max(w.duration_s for w in windows)
    firsts = [w.time_to_first_batch_s for w in windows]
    mean_util = statistics.fmean(w.accel_utilization for w in windows)
    latencies = tuple(v for w in windows for v in w.batch_latencies_s)[:MAX_LATENCIES_KEPT]
    return Measurement(
        duration_s=duration,
        samples=sum(w.samples for w in windows),
        bytes=sum(w.bytes for w in windows),
        batches=sum(w.batches for w in windows),
        time_to_first_batch_s=None if None in firsts else max(f or 0.0 for f in firsts),
        batch_latencies_s=latencies,
        cpu_seconds=sum(w.cpu_seconds for w in windows),
        peak_rss_bytes=sum(w.peak_rss_bytes for w in windows),
        http_requests=sum(w.http_requests for w in windows),
        errors=sum(w.errors for w in windows),
        retries=sum(w.retries for w in windows),
        accel_busy_s=mean_util * duration,
    )


def aggregate_repeats(ranks: Sequence[RankResult]) -> tuple[Measurement, ...]:
    """One aggregate window per repeat index that every rank measured."""
    count = min((len(r.repeats) for r in ranks), default=0)
    return tuple(aggregate_window([r.repeats[i] for r in ranks]) for i in range(count))


def aggregate_warmup(ranks: Sequence[RankResult]) -> Measurement | None:
    warmups = [r.warmup for r in ranks]
    if not warmups or any(w is None for w in warmups):
        return None
    return aggregate_window([w for w in warmups if w is not None])


# --- JSON form -------------------------------------------------------------------------------


def distributed_to_dict(run: DistributedRun) -> dict[str, Any]:
    return {
        "world_size": run.world_size,
        "nnodes": run.nnodes,
        "ranks": [{"rank": r.rank, "node": r.node,
                   "warmup": None if r.warmup is None else measurement_to_dict(r.warmup),
                   "repeats": [measurement_to_dict(m) for m in r.repeats]}
                  for r in run.ranks],
        "exactly_once": {f.name: getattr(run.exactly_once, f.name)
                         for f in fields(ExactlyOnce)},
    }


def distributed_from_dict(data: Mapping[str, Any]) -> DistributedRun:
    _known("distributed", data, {"world_size", "nnodes", "ranks", "exactly_once"})
    ranks = []
    for raw in data["ranks"]:
        _known("distributed rank", raw, {"rank", "node", "warmup", "repeats"})
        warmup = raw.get("warmup")
        ranks.append(RankResult(
            rank=raw["rank"], node=raw["node"],
            warmup=None if warmup is None else measurement_from_dict(warmup),
            repeats=tuple(measurement_from_dict(m) for m in raw.get("repeats", ()))))
    check = data["exactly_once"]
    _known("exactly_once", check, {f.name for f in fields(ExactlyOnce)})
    try:
        return DistributedRun(world_size=data["world_size"], nnodes=data["nnodes"],
                              ranks=tuple(ranks), exactly_once=ExactlyOnce(**check))
    except (KeyError, TypeError) as err:
        raise ResultFormatError(f"distributed: {err}") from None


def _known(what: str, data: Mapping[str, Any], known: set[str]) -> None:
    unknown = set(data) - known
    if unknown:
        raise ResultFormatError(f"{what}: unknown keys {sorted(unknown)}; known: {sorted(known)}")
