"""Hand-made RunRecords with known numbers, for the report's unit and browser tests.

Throughput is chosen so means and CIs are easy to check by hand: a case's repeats deliver
``samples`` over 1 s each, so samples/s = samples; bytes = samples * 16 KiB.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from aisbench.results.schema import CaseResult, Measurement, ParamValue, Provenance, RunRecord

SAMPLE_BYTES = 16 * 1024


def provenance(scenario_hash: str = "feedbeef") -> Provenance:
    return Provenance(
        git_sha="0123456789abcdef0123456789abcdef01234567",
        aisbench_version="0.1.0",
        aisnode_version="3.31",
        sdk_version="2.0.0",
        torch_version="2.15.0",
        python_version="3.11.2",
        platform="Linux-6.1-x86_64",
        cpu_model="Test CPU @ 2.0GHz",
        cpu_count=2,
        cluster="local: 1 proxy, 2 targets, 1 mountpath",
        scenario_hash=scenario_hash,
        started_at="2026-11-23T20:00:00+00:00",
    )


def measurement(
    samples: int,
    *,
    duration_s: float = 1.0,
    latencies: Sequence[float] = (0.01, 0.02, 0.03, 0.04),
    first_batch_s: float | None = 0.5,
    accel_busy_s: float = 0.0,
    sample_bytes: int = SAMPLE_BYTES,
) -> Measurement:
    return Measurement(
        duration_s=duration_s,
        samples=samples,
        bytes=samples * sample_bytes,
        batches=len(latencies),
        time_to_first_batch_s=first_batch_s,
        batch_latencies_s=tuple(latencies),
        cpu_seconds=0.8 * duration_s,
        peak_rss_bytes=300 * 2**20,
        http_requests=samples,
        accel_busy_s=accel_busy_s,
    )


def case(
    run_id: str,
    scenario: str,
    strategy: str,
    params: Mapping[str, ParamValue],
    repeats: Sequence[Measurement] = (),
    *,
    status: str = "ok",
    reason: str = "",
) -> CaseResult:
    case_id = ",".join(f"{k}={v}" for k, v in params.items()) or "default"
    return CaseResult(
        run_id=run_id,
        case_id=case_id,
        scenario=scenario,
        strategy=strategy,
        params=dict(params),
        status=status,  # type: ignore[arg-type]
        reason=reason,
        warmup=measurement(1) if repeats else None,  # never averaged in: 1 sample/s
        repeats=tuple(repeats),
    )


# samples/s of each repeat, by (strategy, num_workers): means 100/200/300 and 150/250/350.
WORKER_REPEATS: dict[tuple[str, int], tuple[int, ...]] = {
    ("aisref-map", 0): (90, 100, 110),
    ("aisref-map", 2): (190, 200, 210),
    ("aisref-map", 4): (280, 300, 320),
    ("aisref-iter", 0): (150, 150, 150),
    ("aisref-iter", 2): (240, 250, 260),
    ("aisref-iter", 4): (350,),
}
CEILING_REPEATS = (1000, 1100, 1200)


def workers_run(run_id: str = "20261123T200000-aaaaaa", *, accel: bool = True,
                scale: float = 1.0) -> RunRecord:
    """Two strategies x num_workers 0, 2, 4, the aisloader ceiling at each, one skipped and one
    failed case. With ``accel`` the accelerator is busy samples/400 of each second."""
    scenario = "workers-demo"
    cases = []
    for workers in (0, 2, 4):
        for strategy in ("aisref-map", "aisref-iter"):
            counts = WORKER_REPEATS[(strategy, workers)]
            repeats = [
                measurement(
                    round(n * scale),
                    latencies=_latencies(workers, strategy),
                    first_batch_s=0.2 + 0.1 * workers,
                    accel_busy_s=min(n * scale / 400, 1.0) if accel else 0.0,
                )
                for n in counts
            ]
            cases.append(case(run_id, scenario, strategy,
                              {"strategy": strategy, "num_workers": workers}, repeats))
        ceiling = [measurement(n, latencies=(), first_batch_s=None) for n in CEILING_REPEATS]
        cases.append(case(run_id, scenario, "aisloader",
                          {"strategy": "aisloader", "num_workers": workers}, ceiling))
    cases.append(case(run_id, scenario, "official-map", {"strategy": "official-map",
                                                         "num_workers": 2},
                      status="skipped", reason="the aistore SDK is not installed"))
    cases.append(case(run_id, scenario, "requests-get", {"strategy": "requests-get",
                                                         "num_workers": 2},
                      status="failed", reason="ConnectionError: 127.0.0.1:1 refused"))
    return RunRecord(run_id, scenario, provenance(), tuple(cases))


def sizes_run(run_id: str = "20261123T201000-bbbbbb") -> RunRecord:
    """samples_per_shard 16, 64, 256 x two shard strategies, plus the ceiling at each size."""
    scenario = "shard-sizes-demo"
    cases = []
    for index, per_shard in enumerate((16, 64, 256)):
        for strategy, base in (("aisref-shards", 400), ("aisref-multishard", 500)):
            counts = (base + 100 * index - 10, base + 100 * index, base + 100 * index + 10)
            cases.append(case(run_id, scenario, strategy,
                              {"samples_per_shard": per_shard, "strategy": strategy},
                              [measurement(n) for n in counts]))
        cases.append(case(run_id, scenario, "aisloader",
                          {"samples_per_shard": per_shard, "strategy": "aisloader"},
                          [measurement(900 + 100 * index, latencies=(), first_batch_s=None)]))
    return RunRecord(run_id, scenario, provenance("cafe"), tuple(cases))


def strategies_run(run_id: str = "20261123T202000-cccccc") -> RunRecord:
    """Strategies side by side, no numeric axis."""
    scenario = "strategies-demo"
    cases = [
        case(run_id, scenario, strategy, {"strategy": strategy},
             [measurement(n - 5), measurement(n), measurement(n + 5)])
        for strategy, n in (("aisref-map", 300), ("aisref-iter", 420), ("webdataset-http", 380))
    ]
    return RunRecord(run_id, scenario, provenance("beef"), tuple(cases))


def _latencies(workers: int, strategy: str) -> tuple[float, ...]:
    """A deterministic spread of batch waits that shrinks with more workers."""
    base = 0.040 / (1 + workers) * (1.0 if strategy == "aisref-map" else 0.8)
    return tuple(base * (0.5 + ((i * 37) % 50) / 25) for i in range(50))
