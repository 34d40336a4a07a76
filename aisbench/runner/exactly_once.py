"""Exactly-once across ranks: which samples each rank received, epoch by epoch, and the check
of all ranks' names together against the dataset (pure functions; the rank process records,
rank 0's gather brings the records together)."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from aisbench.results import ExactlyOnce
from aisbench.strategies import CountedBatch

NO_NAMES = ("the loader's samples carry no names (no str per sample in its batches), so "
            "which sample each rank got cannot be told")
NO_FULL_EPOCH = ("no epoch finished on every rank inside the measured windows; set run.epochs "
                 "or a run.duration_s longer than one epoch")


def batch_sample_names(payload: Any, samples: int) -> list[str] | None:
    """The names of a collated batch's ``samples`` samples, or None when it has none.

    Collated batches hold one list per sample field: the object name of ``(name, bytes)``,
    the sample key of ``(key, fields)``, webdataset's ``"__key__"``. The first list of
    ``samples`` strings found (``"__key__"`` first) is the names.
    """
    if isinstance(payload, Mapping):
        ordered = sorted(payload.items(), key=lambda item: item[0] != "__key__")
        for _, value in ordered:
            names = batch_sample_names(value, samples)
            if names is not None:
                return names
        return None
    if isinstance(payload, list | tuple):
        if len(payload) == samples and samples > 0 and all(isinstance(v, str) for v in payload):
            return list(payload)
        for value in payload:
            names = batch_sample_names(value, samples)
            if names is not None:
                return names
    return None


@dataclass
class EpochNames:
    """The names one rank received in one epoch (one pass of ``iter(loader)``)."""

    names: list[str] = field(default_factory=list)
    complete: bool = False  # the loader ended the epoch (not the window's deadline)
    named: bool = True  # every batch had names


@dataclass
class NameRecorder:
    """Wraps a loader: every ``iter()`` is an epoch whose sample names it records.

    ``windows[w][e]`` is epoch ``e`` of measured window ``w``; `new_window` starts the next.
    Names are picked from batches the loop already holds, so recording costs a list walk per
    batch; it lands in the batch's wait, and ``spent_s`` adds it up so the harness overhead
    can count it.
    """

    loader: Iterable[CountedBatch]
    windows: list[list[EpochNames]] = field(default_factory=list)
    spent_s: float = 0.0

    def new_window(self) -> None:
        self.windows.append([])

    def __iter__(self) -> Iterator[CountedBatch]:
        epoch = EpochNames()
        if not self.windows:
            self.new_window()
        self.windows[-1].append(epoch)
        for batch in self.loader:
            started = time.perf_counter()
            samples, _, payload = batch
            names = batch_sample_names(payload, samples) if samples else []
            if names is None:
                epoch.named = False
            else:
                epoch.names.extend(names)
            self.spent_s += time.perf_counter() - started
            yield batch
        epoch.complete = True


def equal_split_padding(expected: int, world_size: int) -> int:
    """Reads DistributedSampler-style equal shares add per epoch: ``R * ceil(N / R) - N``."""
    return world_size * -(-expected // world_size) - expected


def check_exactly_once(per_rank: Sequence[Sequence[Sequence[EpochNames]]],
                       expected: int) -> ExactlyOnce:
    """Check every (window, epoch) that all ranks finished with names.

    ``per_rank[r][w][e]``: rank r's epoch e of window w. Per epoch checked: duplicates are the
    reads beyond one per distinct name and the equal-split padding; missing are the dataset's
    samples (``expected``) no rank read.
    """
    world_size = len(per_rank)
    allowed_padding = equal_split_padding(expected, world_size)
    totals = Counter[str]()
    checked = 0
    named_everywhere = all(e.named for rank in per_rank for window in rank for e in window)
    windows = min((len(rank) for rank in per_rank), default=0)
    for w in range(windows):
        epochs = min(len(rank[w]) for rank in per_rank)
        for e in range(epochs):
            records = [rank[w][e] for rank in per_rank]
            if not all(r.complete and r.named for r in records):
                continue
            counts = Counter(name for r in records for name in r.names)
            reads = sum(counts.values())
            extra = reads - len(counts)
            padding = min(extra, allowed_padding)
            checked += 1
            totals["reads"] += reads
            totals["padding"] += padding
            totals["duplicates"] += extra - padding
            totals["missing"] += max(expected - len(counts), 0)
    if not checked:
        note = NO_FULL_EPOCH if named_everywhere else NO_NAMES
        return ExactlyOnce(expected=expected, note=note)
    return ExactlyOnce(expected=expected, epochs_checked=checked, reads=totals["reads"],
                       padding=totals["padding"], duplicates=totals["duplicates"],
                       missing=totals["missing"])
