"""What an A/B measures per process, declared once: throughput and what each sample costs.

Throughput alone hides a change that burns more CPU on an idle machine and shows drift on a
busy one; the cost per sample is steadier and says where a slowdown went. Each metric here is
one declaration; the gate, the Markdown table and the JSON derive from it.
"""

from __future__ import annotations

from dataclasses import dataclass

from aisbench.results import CaseResult
from aisbench.runner import ServedTotals


@dataclass(frozen=True, slots=True)
class AbMetric:
    """One measured quantity: ``name`` (a key in `ProcessMeasurement.values`), ``unit``, which
    way is better, and ``gated``: whether a change fails the gate (else it is reported)."""

    name: str
    heading: str
    unit: str
    higher_is_better: bool
    gated: bool
    description: str


THROUGHPUT = AbMetric("samples_per_s", "throughput", "samples/s", True, True,
                      "samples delivered per second of the measured window")
CPU_PER_SAMPLE = AbMetric("cpu_s_per_sample", "CPU/sample", "s", False, True,
                          "user+system CPU seconds of the loader process and every DataLoader "
                          "worker, per sample delivered in the window")
REQUESTS_PER_SAMPLE = AbMetric("requests_per_sample", "GETs/sample", "requests", False, False,
                               "object GETs the targets served while the process ran, per "
                               "sample it delivered (warmup + window)")
BYTES_PER_SAMPLE = AbMetric("bytes_per_sample", "bytes/sample", "bytes", False, False,
                            "object bytes the targets sent while the process ran, per sample "
                            "it delivered (warmup + window)")
INSTRUCTIONS_PER_SAMPLE = AbMetric("instructions_per_sample", "instr/sample", "instructions",
                                   False, True,
                                   "instructions the loader's main process executed per sample "
                                   "(valgrind callgrind, num_workers=0, fixed sample count)")

WALL_METRICS: tuple[AbMetric, ...] = (THROUGHPUT, CPU_PER_SAMPLE, REQUESTS_PER_SAMPLE,
                                      BYTES_PER_SAMPLE)


def wall_values(result: CaseResult, served: ServedTotals) -> dict[str, float]:
    """The `WALL_METRICS` of one measurement process from its result (one window, after a
    warmup) and what the targets served meanwhile; empty when it delivered nothing."""
    if result.status != "ok" or not result.repeats:
        return {}
    window = result.repeats[0]
    delivered = window.samples + (result.warmup.samples if result.warmup else 0)
    if window.samples == 0 or delivered == 0:
        return {}
    values = {THROUGHPUT.name: window.samples / window.duration_s,
              CPU_PER_SAMPLE.name: window.cpu_seconds / window.samples}
    if served.gets > 0:
        values[REQUESTS_PER_SAMPLE.name] = served.gets / delivered
        values[BYTES_PER_SAMPLE.name] = served.bytes / delivered
    return values
