"""Runs with controlled timings: each repeat reads 10,000 samples in 10,000 / throughput seconds."""

from collections.abc import Mapping, Sequence

import numpy as np

from aisbench.results.schema import CaseResult, Measurement, RunRecord
from tests.unit.results.samples import PROVENANCE

SAMPLES = 10_000


def repeat(throughput: float, latency_s: float = 0.01) -> Measurement:
    return Measurement(
        duration_s=SAMPLES / throughput,
        samples=SAMPLES,
        bytes=SAMPLES * 1024,
        batches=100,
        batch_latencies_s=(latency_s,) * 100,
    )


def run(run_id: str, throughputs: Mapping[str, Sequence[float]]) -> RunRecord:
    cases = tuple(
        CaseResult(
            run_id=run_id,
            case_id=case_id,
            scenario="regression",
            strategy="aisref-iter",
            repeats=tuple(repeat(t) for t in values),
        )
        for case_id, values in throughputs.items()
    )
    return RunRecord(run_id=run_id, scenario="regression", provenance=PROVENANCE, cases=cases)


def noisy(mean: float, cv: float, n: int, seed: int) -> list[float]:
    """n throughputs around ``mean`` with coefficient of variation ``cv`` (normal noise)."""
    return list(np.random.default_rng(seed).normal(mean, mean * cv, n))
