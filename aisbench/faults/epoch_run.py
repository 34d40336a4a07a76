"""Run one epoch, inject a fault part-way, and judge what the dataset delivered."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from aisbench.datagen import FaultData
from aisbench.faults.id_loaders import URL_CONFIGURED_KINDS, dataset_kind, id_loader
from aisbench.faults.judge import (
    error_fields,
    is_ordered_prefix,
    names_object_and_node,
    tally,
    verdict,
)
from aisbench.results import COMPLETED, NOT_EXERCISED, FaultOutcome
from aisref.client import AISError, RequestClient


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
                # Drop the traceback: its frames hold the DataLoader iterator, which a later
                # fork (persistent workers) would inherit and try to shut down from a child.
                error = exc.with_traceback(None)
                break
    finally:
        del iterator  # shuts DataLoader workers down before the caller heals the cluster
    return EpochObservation(tuple(seen), error, time.monotonic() - started, injected)


def judge(observation: EpochObservation, *, fault: str, dataset: str, num_workers: int,
          ids_by_label: Mapping[str, Sequence[str]], node_urls: Sequence[str],
          retries: int | None = None, notes: str = "", require_node: bool = True,
          suspects: Sequence[str] | None = None, ordered: bool = False,
          must_feel: bool = False) -> FaultOutcome:
    """The report row for one observed epoch (see outcome.verdict for the rule).

    Args:
        ids_by_label: each object or shard (``ais://bucket/name``) -> the ids it delivers, in
            the order the loader should deliver them.
        node_urls: the nodes an error may blame (the one the fault hit).
        require_node: False for bad data: the object must be named, no node is at fault.
        suspects: the objects an error may blame; default: those with an id not delivered
            (an error about an object already delivered explains nothing).
        ordered: hold the delivery to the expected order (see outcome.is_ordered_prefix).
        must_feel: a clean epoch with no retry is NOT EXERCISED: the fault was never felt.
    """
    expected = [i for ids in ids_by_label.values() for i in ids]
    counts = tally(expected, observation.seen)
    error = observation.error
    named_object, named_node = (None, None)
    if error is not None:
        delivered = set(observation.seen)
        blamable = (suspects if suspects is not None else
                    [label for label, ids in ids_by_label.items() if not set(ids) <= delivered])
        # Judge the whole text: a DataLoader worker's error carries the original below its
        # traceback, and the object may be named on another line than the node.
        named_object, named_node = names_object_and_node(str(error), blamable, node_urls)
    outcome = verdict(counts, error, isinstance(error, AISError), named_object, named_node,
                      require_node=require_node,
                      in_order=is_ordered_prefix(expected, observation.seen) if ordered else None)
    if outcome == COMPLETED and must_feel:
        unfelt = _not_felt(observation.injected, retries)
        if unfelt:
            outcome = f"{NOT_EXERCISED}: {unfelt}"
        elif retries is None:
            notes = join_notes(notes, "whether the fault was felt cannot be seen (no retry "
                                      "count)")
    error_type, message = error_fields(error)
    return FaultOutcome(
        fault=fault, dataset=dataset, num_workers=num_workers, outcome=outcome,
        expected=counts.expected, seen=counts.seen, duplicates=counts.duplicates,
        missing=counts.missing, duration_s=round(observation.duration_s, 3),
        error_type=error_type, error=message, retries=retries, notes=notes,
    )


def _not_felt(injected: bool, retries: int | None) -> str:
    if not injected:
        return "the epoch ended before the fault was injected"
    if retries == 0:
        return "no error and no retry: every read missed the fault (data already prefetched?)"
    return ""


# -- one epoch of a dataset on a FaultBench ----------------------------------------------------

BASELINE = "none (baseline)"
INJECT_AFTER = 8  # samples delivered before the fault: mid-epoch, with data still to come

ClientFactory = Callable[[str], RequestClient]


def patient(endpoint: str) -> RequestClient:
    """Rides out a restart (~1-2 s): up to 8 retries within 20 s of backoff."""
    return RequestClient(endpoint, timeout=(2.0, 10.0), retries=8, retry_budget=20.0)


def impatient(endpoint: str) -> RequestClient:
    """Gives up fast: 1 retry."""
    return RequestClient(endpoint, timeout=(2.0, 5.0), retries=1, retry_budget=2.0)


def run_epoch(data: FaultData, node_urls: Sequence[str], fault: str, kind: str, workers: int,
              make_client: ClientFactory, inject: Callable[[], None], *, notes: str = "",
              inject_after: int = INJECT_AFTER, require_node: bool = True,
              suspects: Sequence[str] | None = None, must_feel: bool = True) -> FaultOutcome:
    """One epoch of dataset ``kind`` over ``data``, ``inject()`` called after ``inject_after``
    samples, judged by `judge` (an error must name an object not delivered and one of
    ``node_urls``; a clean epoch that never retried did not feel the fault)."""
    loader = id_loader(kind, data, make_client(data.endpoint), workers)
    observation = observe_epoch(loader, inject_after, inject)
    if kind in URL_CONFIGURED_KINDS:
        notes = join_notes(notes, "takes a URL: Client defaults (3 retries)")
    return judge(observation, fault=fault, dataset=kind, num_workers=workers,
                 ids_by_label=data.ids_by_label(dataset_kind(kind).unit), node_urls=node_urls,
                 retries=loader.retries_made(), notes=notes, require_node=require_node,
                 suspects=suspects, ordered=workers == 0 or kind == "AISMapDataset",
                 must_feel=must_feel)


def baseline(data: FaultData, node_urls: Sequence[str], kind: str,
             workers: int) -> FaultOutcome:
    """The same epoch with no fault: the time the faults are compared with."""
    return run_epoch(data, node_urls, BASELINE, kind, workers, patient, lambda: None,
                     inject_after=0, must_feel=False)


def with_baseline(outcome: FaultOutcome, reference: FaultOutcome | None) -> FaultOutcome:
    """``outcome`` with ``baseline_s`` taken from a clean baseline epoch of the same loader."""
    if reference is None or reference.outcome != COMPLETED:
        return outcome
    return dataclasses.replace(outcome, baseline_s=reference.duration_s)


def join_notes(*parts: str) -> str:
    return "; ".join(p for p in parts if p)
