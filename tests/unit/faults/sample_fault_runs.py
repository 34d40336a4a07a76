"""Hand-made fault outcomes, soak series, fault runs and (old-layout) run directories with
numbers easy to check."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from aisbench.faults.soak import SOAK_SERIES, SoakSeries, WorkerSample, WorkerTrend, series_to_dict
from aisbench.results import (
    COMPLETED,
    HARNESS_ERROR,
    NOT_EXERCISED,
    SKIPPED,
    TYPED_ERROR,
    FaultOutcome,
    Provenance,
    RunRecord,
    fault_case,
    outcome_to_dict,
)

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


STARTED = "2026-11-23T20:00:00+00:00"
FINISHED = "2026-11-23T21:00:00+00:00"
PROVENANCE = Provenance(
    git_sha="0123456789abcdef0123456789abcdef01234567", aisbench_version="0.1.0",
    aisnode_version="5.0.v1.5.0", sdk_version="2.0.0", torch_version="2.15.0",
    python_version="3.11.7", platform="Linux-6.1-x86_64", cpu_model="Example CPU", cpu_count=2,
    cluster="local: 1 proxy, 2 targets", scenario_hash="ab" * 32, started_at=STARTED)


def soak_outcome_of(soak: SoakSeries) -> FaultOutcome:
    return FaultOutcome(fault="soak: persistent workers across epochs", dataset=soak.label,
                        num_workers=2, outcome=COMPLETED, expected=48, seen=48, duplicates=0,
                        missing=0, duration_s=soak.seconds)


def fault_record(outcomes: Sequence[FaultOutcome], soaks: Sequence[SoakSeries] = (), *,
                 finished: str | None = FINISHED, stopped: str | None = None) -> RunRecord:
    """A fault run as the suite stores it: a case per outcome (steps numbered in order), then a
    soak case per series with the series beside its outcome."""
    cases = [fault_case("r1", "faults-smoke", replace(o, step=o.step or i + 1))
             for i, o in enumerate(outcomes)]
    for soak in soaks:
        soak_case = replace(soak_outcome_of(soak), step=len(cases) + 1)
        cases.append(fault_case("r1", "faults-smoke", soak_case,
                                {SOAK_SERIES: series_to_dict(soak.label, soak.samples,
                                                             soak.trends, soak.seconds)}))
    return RunRecord(run_id="r1", scenario="faults-smoke", provenance=PROVENANCE,
                     cases=tuple(cases), description="kill and freeze",
                     settings={"epochs": 2}, finished_at=finished, stopped=stopped)


def legacy_meta(finished: str | None = FINISHED, stopped: str | None = None) -> dict[str, Any]:
    """run.json as the suite wrote it before fault runs were stored as runs."""
    return {"run_id": "r1", "scenario": "faults-smoke", "description": "kill and freeze",
            "started": STARTED, "cluster": "local: 1 proxy, 2 targets",
            "aisnode_version": "3.31", "finished": finished, "settings": {"epochs": 2},
            "stopped": stopped}


def legacy_run_dir(root: Path, outcomes: Sequence[FaultOutcome],
                   soaks: Sequence[SoakSeries] = (),
                   run_meta: dict[str, Any] | None = None) -> Path:
    """A faults run directory in the layout older versions wrote (no soak/ without soaks)."""
    (root / "outcomes").mkdir(parents=True, exist_ok=True)
    (root / "run.json").write_text(json.dumps(run_meta or legacy_meta()))
    for i, o in enumerate((*outcomes, *(soak_outcome_of(s) for s in soaks))):
        o = replace(o, step=o.step or i + 1)
        (root / "outcomes" / f"{o.case_id}.json").write_text(json.dumps(outcome_to_dict(o)))
    for soak in soaks:
        (root / "soak").mkdir(exist_ok=True)
        (root / "soak" / f"{soak.label.split(',')[0]}.json").write_text(json.dumps(
            series_to_dict(soak.label, soak.samples, soak.trends, soak.seconds)))
    return root
