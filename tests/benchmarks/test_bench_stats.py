"""How long the statistics take: the gate must stay cheap next to the runs it judges."""

import numpy as np
import pytest

from aisbench.analysis.compare import compare_runs
from aisbench.analysis.stats import bootstrap_ratio_ci, mean_ci, welch_p_value
from aisbench.results.schema import Measurement
from tests.unit.analysis.synthetic import noisy, run

pytestmark = pytest.mark.benchmark

BASE = noisy(1000, 0.03, 5, seed=1)
CURRENT = noisy(950, 0.03, 5, seed=2)


def test_bench_bootstrap_ratio_ci_ten_thousand_resamples(benchmark):
    low, high = benchmark(bootstrap_ratio_ci, BASE, CURRENT)
    assert low < high


def test_bench_welch_p_value(benchmark):
    assert 0.0 <= benchmark(welch_p_value, BASE, CURRENT) <= 1.0


def test_bench_mean_ci(benchmark):
    assert benchmark(mean_ci, BASE).n == 5


def test_bench_compare_fifty_cases(benchmark):
    base = run("b", {f"case{i}": noisy(1000, 0.03, 5, seed=i) for i in range(50)})
    current = run("c", {f"case{i}": noisy(1000, 0.03, 5, seed=100 + i) for i in range(50)})
    assert len(benchmark(compare_runs, base, current).cases) == 50


def test_bench_p99_of_a_hundred_thousand_batch_latencies(benchmark):
    latencies = tuple(float(v) for v in np.random.default_rng(3).exponential(0.01, 100_000))
    measurement = Measurement(
        duration_s=10.0, samples=1, bytes=1, batches=100_000, batch_latencies_s=latencies
    )
    assert benchmark(lambda: measurement.latency_p99_s) is not None
