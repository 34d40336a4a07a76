#!/usr/bin/env python3
"""Issue #12's throughput targets, as ratios from the runs of scenarios/targets*.yaml.

    .venv/bin/aisbench run targets --stop-cluster
    .venv/bin/aisbench run targets-large --stop-cluster
    .venv/bin/python scripts/targets.py <run id or run JSON> <run id or run JSON>

Each target is a ratio of two sides measured in the same run: "ours" is the best case (by the
target's metric, mean over the repeats) among the aisref strategies it names, "theirs" the
best among its own. A run id is looked up as ``<reports>/runs/<id>.json``. A target whose
scenario is not among the runs, or whose side has no measured case, is printed as not
measured - never as met. Exit status: 0 when every target is measured and met, 1 otherwise.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from aisbench.md_table import md_cell
from aisbench.results import CaseResult, ParamValue, RunRecord, read_run_json

KIB, MIB = 1024, 2**20


@dataclass(frozen=True)
class Side:
    """One side of a ratio: the measured cases of ``scenario`` whose strategy is one of
    ``strategies`` and whose params include every ``params`` pair; the best of them counts."""

    scenario: str
    strategies: tuple[str, ...]
    params: tuple[tuple[str, ParamValue], ...] = ()

    def matches(self, case: CaseResult) -> bool:
        return (case.scenario == self.scenario and case.strategy in self.strategies
                and all(case.params.get(key) == value for key, value in self.params))


@dataclass(frozen=True)
class Target:
    """``ours / theirs`` of ``metric`` (higher is better) must be at least ``minimum``."""

    name: str
    ours: Side
    theirs: Side
    metric: str  # "samples_per_s" or "mib_per_s"
    minimum: float
    note: str = ""


AISREF_OBJECT_READERS = ("aisref-map", "aisref-batch-iter", "aisref-iter")
SMALL = (("object_size", 16 * KIB),)
SMALL_NO_WORKERS = (*SMALL, ("num_workers", 0))
LARGE_4_WORKERS = (("object_size", MIB), ("num_workers", 4))

TARGETS = (
    Target("map dataset, 16 KiB, batch 32, 0 workers: aisref-map / official-map",
           Side("targets", ("aisref-map",), SMALL_NO_WORKERS),
           Side("targets", ("official-map",), SMALL_NO_WORKERS), "samples_per_s", 5.0),
    Target("batch iter, 16 KiB, batch 32, 0 workers: aisref / official",
           Side("targets", ("aisref-batch-iter",), SMALL_NO_WORKERS),
           Side("targets", ("official-batch-iter",), SMALL_NO_WORKERS), "samples_per_s", 1.2),
    Target("1 MiB, 4 workers: best aisref / aisloader GET (MiB/s)",
           Side("targets", AISREF_OBJECT_READERS, LARGE_4_WORKERS),
           Side("targets", ("aisloader",), (("object_size", MIB),)), "mib_per_s", 0.7),
    Target("16 KiB: best aisref / aisloader GET (objects/s)",
           Side("targets", AISREF_OBJECT_READERS, SMALL),
           Side("targets", ("aisloader",), SMALL), "samples_per_s", 1.0),
    Target("one 256 MiB object: aisref-parallel-map / aisref-iter (one stream)",
           Side("targets-large", ("aisref-parallel-map",)),
           Side("targets-large", ("aisref-iter",)), "mib_per_s", 2.0,
           note="range readers, their client and the cluster share 2 cores here"),
)


@dataclass(frozen=True)
class Best:
    """The best case of a side: its id and its mean of the target's metric."""

    case_id: str
    value: float


@dataclass(frozen=True)
class TargetRow:
    """A target as measured: each side's best case (None when not measured) and the ratio."""

    target: Target
    ours: Best | None
    theirs: Best | None

    @property
    def ratio(self) -> float | None:
        if self.ours is None or self.theirs is None or self.theirs.value <= 0:
            return None
        return self.ours.value / self.theirs.value

    @property
    def verdict(self) -> str:
        if self.ratio is None:
            return "not measured"
        return "met" if self.ratio >= self.target.minimum else "MISSED"


def best_case(side: Side, cases: Sequence[CaseResult], metric: str) -> Best | None:
    """The matching ok case with the highest mean ``metric``, or None."""
    measured = [(case.mean(metric), case.case_id) for case in cases
                if case.status == "ok" and side.matches(case)]
    valued = [(value, case_id) for value, case_id in measured if value is not None]
    if not valued:
        return None
    value, case_id = max(valued)
    return Best(case_id, value)


def target_rows(records: Sequence[RunRecord],
                targets: Sequence[Target] = TARGETS) -> list[TargetRow]:
    """Every target against the cases of ``records`` (sides are matched by scenario name)."""
    cases = [case for record in records for case in record.cases]
    return [TargetRow(target, best_case(target.ours, cases, target.metric),
                      best_case(target.theirs, cases, target.metric)) for target in targets]


def _side_cell(best: Best | None, metric: str) -> str:
    if best is None:
        return "not measured"
    unit = "MiB/s" if metric == "mib_per_s" else "samples/s"
    return f"{best.value:,.1f} {unit} ({best.case_id})"


def targets_table(rows: Sequence[TargetRow]) -> str:
    """The rows as a Markdown table."""
    lines = ["| target | ours | theirs | ratio | needed | verdict |",
             "| --- | --- | --- | ---: | ---: | --- |"]
    for row in rows:
        ratio = "-" if row.ratio is None else f"{row.ratio:.2f}x"
        name = row.target.name + (f" ({row.target.note})" if row.target.note else "")
        lines.append("| " + " | ".join(md_cell(cell) for cell in (
            name, _side_cell(row.ours, row.target.metric),
            _side_cell(row.theirs, row.target.metric), ratio,
            f">= {row.target.minimum:g}x", row.verdict)) + " |")
    return "\n".join(lines)


def run_json_path(run: str, reports: Path) -> Path:
    """A run JSON path as given, or ``<reports>/runs/<run id>.json``."""
    path = Path(run)
    return path if path.suffix == ".json" else reports / "runs" / f"{run}.json"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", help="run ids or run JSON files")
    parser.add_argument("--reports", type=Path, default=Path("reports"),
                        help="where run ids are looked up (default: reports)")
    args = parser.parse_args(argv)
    records = [read_run_json(run_json_path(run, args.reports)) for run in args.runs]
    rows = target_rows(records)
    print(f"runs: {', '.join(record.run_id for record in records)}\n")
    print(targets_table(rows))
    return 0 if all(row.verdict == "met" for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
