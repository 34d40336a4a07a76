"""Run one epoch, inject a fault part-way, and judge what the dataset delivered."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from aisbench.faults.outcome import (
    FaultOutcome,
    first_line,
    names_object_and_node,
    tally,
    verdict,
)
from aisref.client import AISError


@dataclass(frozen=True)
class EpochObservation:
    """What one epoch delivered before it ended or failed.

    Attributes:
        seen: sample ids in delivery order.
        error: what stopped the epoch early, if anything.
        duration_s: seconds from the first ``next()`` to the end or the error.
        injected: whether the fault was injected (False when the epoch ended first).
    """

    seen: tuple[str, ...]
    error: BaseException | None
    duration_s: float
    injected: bool


def observe_epoch(loader: Iterable[str], inject_after: int,
                  inject: Callable[[], None]) -> EpochObservation:
    """Iterate ``loader`` to its end; call ``inject()`` once ``inject_after`` samples arrived.

    An exception from the loader ends the epoch and is returned, not raised; one from
    ``inject`` itself propagates (the test's fault machinery failed, not the dataset).
    """
    seen: list[str] = []
    injected = False
    error: BaseException | None = None
    started = time.monotonic()
    iterator = iter(loader)
    try:
        while True:
            if not injected and len(seen) >= inject_after:
                inject()
                injected = True
            try:
                seen.append(next(iterator))
            except StopIteration:
                break
            except Exception as exc:  # the dataset's failure is the observation
                error = exc
                break
    finally:
        del iterator  # shuts DataLoader workers down before the caller heals the cluster
    return EpochObservation(tuple(seen), error, time.monotonic() - started, injected)


def judge(observation: EpochObservation, *, fault: str, dataset: str, num_workers: int,
          expected: Sequence[str], object_labels: Sequence[str], node_urls: Sequence[str],
          retries: int | None = None, notes: str = "") -> FaultOutcome:
    """The report row for one observed epoch (see outcome.verdict for the rule)."""
    counts = tally(expected, observation.seen)
    error = observation.error
    message = first_line(error) if error is not None else None
    named_object, named_node = (None, None)
    if error is not None:
        # Judge the whole text: a DataLoader worker's error carries the original below its
        # traceback, and the object may be named on another line than the node.
        named_object, named_node = names_object_and_node(str(error), object_labels, node_urls)
    outcome = verdict(counts, error, isinstance(error, AISError), named_object, named_node)
    if not observation.injected:
        notes = (notes + "; " if notes else "") + "epoch ended before the fault was injected"
    return FaultOutcome(
        fault=fault, dataset=dataset, num_workers=num_workers, outcome=outcome,
        expected=counts.expected, seen=counts.seen, duplicates=counts.duplicates,
        missing=counts.missing, duration_s=round(observation.duration_s, 3),
        error_type=type(error).__name__ if error is not None else None, error=message,
        retries=retries, notes=notes,
    )
