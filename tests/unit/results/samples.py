"""Small, fully specified run records (the golden files are these records as JSON)."""

from dataclasses import replace

from aisbench.results.schema import (
    CaseResult,
    Measurement,
    Provenance,
    RunRecord,
    StageTimes,
    fault_case,
)
from aisbench.results.verdict import SKIPPED, TYPED_ERROR, VIOLATION, FaultOutcome

RUN_ID = "20261123T204512-ab12cd"

PROVENANCE = Provenance(
    git_sha="0123456789abcdef0123456789abcdef01234567",
    aisbench_version="0.1.0",
    aisnode_version="3.31",
    sdk_version="2.0.0",
    torch_version="2.15.0",
    python_version="3.11.7",
    platform="Linux-6.1-x86_64",
    cpu_model="Example CPU @ 2.00GHz",
    cpu_count=2,
    cluster="local: 1 proxy, 2 targets, 1 mountpath",
    scenario_hash="9a7abf4560921a85e3b47f924a8f9f6497de2c13b547943dafc8ce0ec2df13a8",
    started_at="2026-11-23T20:45:12+00:00",
)


# One repeat's stages (format version 3): two workers, a GetBatch loader's numbers.
STAGES = StageTimes(
    main_s={"outside": 1.25, "collate": 0.0, "unpickle": 0.125, "compute": 0.5, "harness": 0.125},
    workers_s={"outside": 1.5, "first_byte": 0.75, "receive": 1.0, "tar_parse": 0.5,
               "collate": 0.25},
    helper_threads_s={"pickle": 0.25},
    workers=2,
    not_measured=(),
)


def without_stages(record: RunRecord) -> RunRecord:
    """``record`` as a document older than version 3 reads: no measurement has stages."""
    def strip(case: CaseResult) -> CaseResult:
        return replace(case, repeats=tuple(replace(m, stages=None) for m in case.repeats))
    return replace(record, cases=tuple(strip(c) for c in record.cases))


def measurement(samples: int = 2000, duration_s: float = 2.0) -> Measurement:
    return Measurement(
        duration_s=duration_s,
        samples=samples,
        bytes=samples * 16384,
        batches=samples // 32,
        time_to_first_batch_s=0.25,
        batch_latencies_s=(0.01, 0.02, 0.03, 0.04, 0.1),
        cpu_seconds=3.0,
        peak_rss_bytes=500_000_000,
        http_requests=samples,
        errors=0,
        retries=1,
        accel_busy_s=0.5,
    )


def sample_record() -> RunRecord:
    ok = CaseResult(
        run_id=RUN_ID,
        case_id="strategy=aisref-map,num_workers=2",
        scenario="smoke",
        strategy="aisref-map",
        params={"strategy": "aisref-map", "num_workers": 2},
        status="ok",
        warmup=measurement(samples=500, duration_s=1.0),
        repeats=(replace(measurement(2000), stages=STAGES), measurement(2100)),
        extra={"note": "example"},
    )
    skipped = CaseResult(
        run_id=RUN_ID,
        case_id="strategy=aisref-map,etl=echo",
        scenario="smoke",
        strategy="aisref-map",
        params={"strategy": "aisref-map", "etl": "echo"},
        status="skipped",
        reason="the cluster has no ETL support (no Kubernetes)",
    )
    return RunRecord(run_id=RUN_ID, scenario="smoke", provenance=PROVENANCE, cases=(ok, skipped))


def sample_fault_record() -> RunRecord:
    """A fault run: one verdict per kind of status, the run's meta filled in."""
    kept = FaultOutcome(fault="target kill", dataset="aisref-map", num_workers=2,
                        outcome=TYPED_ERROR, expected=48, seen=20, duplicates=0, missing=28,
                        duration_s=1.5, error_type="AISConnectionError",
                        error="GET ais://faults/obj-0021 from target 127.0.0.1:9081 refused",
                        retries=3, baseline_s=0.5, step=2)
    skipped = FaultOutcome(fault="netem", dataset="listing", num_workers=0, outcome=SKIPPED,
                           expected=0, seen=0, duplicates=0, missing=0, duration_s=0.0,
                           notes="the kernel has no netem qdisc", step=3)
    broken = FaultOutcome(fault="slow link", dataset="aisref-iter", num_workers=0,
                          outcome=f"{VIOLATION}: silent gap or duplicate (1 missing, 0 "
                                  "duplicates, 0 unexpected)",
                          expected=48, seen=47, duplicates=0, missing=1, duration_s=2.0, step=4)
    soak_series = {"label": "aisref-map, 2 persistent workers", "seconds": 15.0,
                   "samples": [], "trends": []}
    return RunRecord(
        run_id=RUN_ID, scenario="faults", provenance=PROVENANCE,
        cases=(fault_case(RUN_ID, "faults", kept), fault_case(RUN_ID, "faults", skipped),
               fault_case(RUN_ID, "faults", broken, extra={"soak": soak_series})),
        description="every fault on a small cluster",
        settings={"num_workers": [0, 2], "slow_link": {"delay_s": 0.02, "drop_every": 3}},
        finished_at="2026-11-23T20:50:00+00:00", stopped=None)


def sample_distributed_case() -> CaseResult:
    """A case over 2 ranks on 1 node: each rank's windows, and the windows added up."""
    from aisbench.results.ranks import (
        DistributedRun,
        ExactlyOnce,
        RankResult,
        aggregate_repeats,
        aggregate_warmup,
    )

    ranks = (RankResult(rank=0, node=0, warmup=measurement(samples=250, duration_s=1.0),
                        repeats=(measurement(1000), measurement(1050))),
             RankResult(rank=1, node=0, warmup=measurement(samples=240, duration_s=1.0),
                        repeats=(measurement(900, duration_s=2.5), measurement(1000))))
    check = ExactlyOnce(expected=1001, epochs_checked=1, reads=1002, padding=1)
    return CaseResult(
        run_id=RUN_ID, case_id="ranks=2", scenario="ranks", strategy="aisref-iter",
        params={"ranks": 2}, status="ok", warmup=aggregate_warmup(ranks),
        repeats=aggregate_repeats(ranks),
        distributed=DistributedRun(world_size=2, nnodes=1, ranks=ranks, exactly_once=check))


def sample_record_v3() -> RunRecord:
    """`sample_record` with a distributed case: the version 3 golden file."""
    from dataclasses import replace

    record = sample_record()
    return replace(record, cases=(*record.cases, sample_distributed_case()))
