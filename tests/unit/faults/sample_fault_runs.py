"""Hand-made fault outcomes, soak series and run directories with numbers easy to check."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from aisbench.faults.outcome import (
    COMPLETED,
    HARNESS_ERROR,
    NOT_EXERCISED,
    SKIPPED,
    TYPED_ERROR,
    FaultOutcome,
)
from aisbench.faults.run_dir import FaultRunDir, FaultRunMeta
from aisbench.faults.soak import SoakSeries, WorkerSample, WorkerTrend, write_series

MIB = 2**20
NETEM_MISSING = "tc netem is not available on this kernel"


def outcome(outcome: str = COMPLETED, **changes: Any) -> FaultOutcome:
    base = FaultOutcome(fault="target SIGKILL", dataset="AISIterDataset", num_workers=0,
                        outcome=outcome, expected=48, seen=48, duplicates=0, missing=0,
                        duration_s=0.5, retries=1)
    return replace(base, **changes)


def typed_error(**changes: Any) -> FaultOutcome:
    fields = {"seen": 18, "missing": 30, "error_type": "ObjectNotFound",
              "error": "ais://b/o-7 on node 127.0.0.1:51081: gone", **changes}
    return outcome(TYPED_ERROR, **fields)


def skipped(**changes: Any) -> FaultOutcome:
    fields = {"fault": "netem loss", "seen": 0, "duration_s": 0.0, "notes": NETEM_MISSING,
              **changes}
    return outcome(SKIPPED, **fields)


def not_exercised(**changes: Any) -> FaultOutcome:
    fields = {"fault": "target SIGKILL, restarted",
              "notes": "every object was prefetched before the kill", **changes}
    return outcome(f"{NOT_EXERCISED}: no request reached the killed target", **fields)


def harness_error(**changes: Any) -> FaultOutcome:
    """As the suite records a step that raised: the fault unjudged, the suite stopped."""
    fields = {"fault": HARNESS_ERROR, "dataset": "step 3", "expected": 0, "seen": 0,
              "retries": None, "duration_s": 0.0, "step": 3,
              "notes": "the suite stopped here; the results before it stand", **changes}
    return outcome(HARNESS_ERROR_TEXT, **fields)


HARNESS_ERROR_TEXT = f"{HARNESS_ERROR}: NodeNotReady: target t1 did not restart in 30 s"


def two_worker_soak(label: str = "map, 2 workers") -> SoakSeries:
    """pid 11 grows 100 -> 101 -> 102.5 MiB and 10 -> 11 -> 12 fds; pid 12 stays at 200 MiB,
    8 fds. Samples are out of order on purpose."""
    rss = {11: (100.0, 101.0, 102.5), 12: (200.0, 200.0, 200.0)}
    fds = {11: (10, 11, 12), 12: (8, 8, 8)}
    samples = [WorkerSample(epoch, pid, int(rss[pid][epoch] * MIB), fds[pid][epoch])
               for epoch in (2, 0, 1) for pid in (12, 11)]
    trends = (WorkerTrend(11, 2, 1.5 * MIB, 1.0, 101 * MIB, int(102.5 * MIB)),
              WorkerTrend(12, 2, 0.0, 0.0, 200 * MIB, 200 * MIB))
    return SoakSeries(label, 25.0, tuple(samples), trends)


def meta(finished: str | None = "2026-11-23T21:00:00+00:00",
         stopped: str | None = None) -> FaultRunMeta:
    return FaultRunMeta(run_id="r1", scenario="faults-smoke", description="kill and freeze",
                        started="2026-11-23T20:00:00+00:00", cluster="local: 1 proxy, 2 targets",
                        aisnode_version="3.31", finished=finished, settings={"epochs": 2},
                        stopped=stopped)


def run_dir(root: Path, outcomes: Sequence[FaultOutcome], soaks: Sequence[SoakSeries] = (),
            run_meta: FaultRunMeta | None = None) -> FaultRunDir:
    """A faults run directory as the suite writes it (no soak/ when ``soaks`` is empty)."""
    directory = FaultRunDir(root)
    directory.write_meta(run_meta or meta())
    for o in outcomes:
        directory.record(o)
    for soak in soaks:
        write_series(directory.soak_dir / f"{soak.label.split(',')[0]}.json", soak.label,
                     soak.samples, soak.trends, soak.seconds)
    return directory
