"""A small, fully specified run record (the golden file is this record as JSON)."""

from aisbench.results.schema import CaseResult, Measurement, Provenance, RunRecord

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
        repeats=(measurement(2000), measurement(2100)),
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
