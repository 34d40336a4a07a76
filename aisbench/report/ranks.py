"""The per-rank table of a case run over torch.distributed ranks, and its one-line summary:
total throughput over the common window, the slowest rank, the spread (max/min of the ranks'
samples/s) and the exactly-once check. Pure functions of the case; Markdown and HTML draw them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aisbench.report.formatting import METRIC_HEADINGS, format_metric_value
from aisbench.results import CaseResult, DistributedRun

RANK_METRICS = ("samples_per_s", "mib_per_s", "latency_p99_s", "cpu_util", "accel_utilization")
RANK_HEADINGS = ("rank", "node", *(METRIC_HEADINGS[m] for m in RANK_METRICS))
RANK_NUMERIC = tuple(METRIC_HEADINGS[m] for m in RANK_METRICS)


@dataclass(frozen=True)
class RanksTable:
    """What the report shows of one case over ranks."""

    case_id: str
    summary: str
    rows: tuple[tuple[str, ...], ...]  # cells under RANK_HEADINGS, in rank order


def ranks_summary(case: CaseResult, run: DistributedRun) -> str:
    """E.g. "2 ranks on 1 node: 1,234 samples/s, 19.3 MiB/s in all (common window); slowest
    rank 1; spread (max/min samples/s) 1.04; exactly once (2 epochs, ...)"."""
    total = ", ".join(f"{format_metric_value(m, case.mean(m))} {METRIC_HEADINGS[m]}"
                      for m in ("samples_per_s", "mib_per_s"))
    spread = "n/a" if run.spread is None else f"{run.spread:.2f}"
    slowest = "n/a" if run.slowest_rank is None else str(run.slowest_rank)
    nodes = f"{run.nnodes} node{'s' if run.nnodes != 1 else ''}"
    return (f"{run.world_size} ranks on {nodes}: {total} in all (sum over ranks over the "
            f"common window); slowest rank {slowest}; spread (max/min samples/s) {spread}; "
            f"{run.exactly_once.summary}")


def ranks_tables(cases: Sequence[CaseResult]) -> list[RanksTable]:
    """One table per case that ran over ranks, in run order."""
    tables = []
    for case in cases:
        run = case.distributed
        if run is None:
            continue
        rows = tuple((str(rank.rank), str(rank.node),
                      *(format_metric_value(m, rank.mean(m)) for m in RANK_METRICS))
                     for rank in run.ranks)
        tables.append(RanksTable(case.case_id, ranks_summary(case, run), rows))
    return tables
