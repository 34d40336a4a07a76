#!/usr/bin/env python3
"""Issue #12's throughput targets, as ratios from the runs of scenarios/targets*.yaml.

    .venv/bin/aisbench run targets --stop-cluster
    .venv/bin/aisbench run targets-large --stop-cluster
    .venv/bin/python scripts/targets.py <run id or run JSON>... [--plot targets.png]

Run each scenario several times (runs minutes apart drift here) and pass every run: each
target is then judged on the median of its per-run ratios, and every run's ratio is shown.
Each target is a ratio of two sides measured in the same run: "ours" is the best case (by the
target's metric, mean over the repeats) among the aisref strategies it names, "theirs" the
best among its own. A run id is looked up as ``<reports>/runs/<id>.json``. A target whose
scenario is not among the runs, or whose side has no measured case, is printed as not
measured - never as met. Exit status: 0 when every target is measured and met, 1 otherwise.
"""

from __future__ import annotations

import argparse
import sys
import textwrap
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


AISREF_OBJECT_READERS = ("aisref-map", "aisref-batch-iter", "aisref-iter", "aisref-map-tensors",
                         "aisref-iter-tensors")
SMALL = (("object_size", 16 * KIB),)
SMALL_NO_WORKERS = (*SMALL, ("num_workers", 0))
# GetBatch requests of the batch size (no loader.get_batch_size of their own).
SMALL_NO_WORKERS_BATCH_SIZED = (*SMALL_NO_WORKERS, ("get_batch_size", None))
LARGE_4_WORKERS = (("object_size", MIB), ("num_workers", 4))

TARGETS = (
    Target("map dataset, 16 KiB, batch 32, 0 workers: aisref-map / official-map",
           Side("targets", ("aisref-map",), SMALL_NO_WORKERS),
           Side("targets", ("official-map",), SMALL_NO_WORKERS), "samples_per_s", 5.0),
    Target("batch iter, 16 KiB, batch 32, 0 workers: aisref / official",
           Side("targets", ("aisref-batch-iter",), SMALL_NO_WORKERS_BATCH_SIZED),
           Side("targets", ("official-batch-iter",), SMALL_NO_WORKERS_BATCH_SIZED),
           "samples_per_s", 1.2),
    Target("1 MiB, 4 workers: best aisref / aisloader GET (MiB/s)",
           Side("targets", AISREF_OBJECT_READERS, LARGE_4_WORKERS),
           Side("targets", ("aisloader",), (("object_size", MIB),)), "mib_per_s", 0.7),
    Target("16 KiB: best aisref / aisloader GET (objects/s)",
           Side("targets", AISREF_OBJECT_READERS, SMALL),
           Side("targets", ("aisloader",), SMALL), "samples_per_s", 1.0),
    Target("one 256 MiB object: aisref range-parallel / one stream (bytes or tensors)",
           Side("targets-large", ("aisref-parallel-map", "aisref-parallel-map-tensors")),
           Side("targets-large", ("aisref-iter", "aisref-iter-tensors")), "mib_per_s", 2.0,
           note="range readers, their client and the cluster share 2 cores here"),
)


@dataclass(frozen=True)
class Best:
    """The best case of a side: its id and its mean of the target's metric."""

    case_id: str
    value: float


@dataclass(frozen=True)
class RunRatio:
    """A target in one run: each side's best case (None when not measured) and the ratio."""

    run_id: str
    ours: Best | None
    theirs: Best | None

    @property
    def ratio(self) -> float | None:
        if self.ours is None or self.theirs is None or self.theirs.value <= 0:
            return None
        return self.ours.value / self.theirs.value


@dataclass(frozen=True)
class TargetRow:
    """A target over the runs of its scenario: one ratio per run (both sides of a ratio come
    from the same run), judged on their median. ``ours``/``theirs`` are the median run's."""

    target: Target
    runs: tuple[RunRatio, ...]

    @property
    def measured(self) -> list[RunRatio]:
        """The runs with both sides measured, by ratio (lowest first)."""
        return sorted((run for run in self.runs if run.ratio is not None),
                      key=lambda run: run.ratio or 0.0)

    @property
    def median_run(self) -> RunRatio | None:
        """The run of the median ratio (the lower middle one of an even count)."""
        measured = self.measured
        return measured[(len(measured) - 1) // 2] if measured else None

    @property
    def ratio(self) -> float | None:
        median = self.median_run
        return None if median is None else median.ratio

    @property
    def ours(self) -> Best | None:
        median = self.median_run
        return None if median is None else median.ours

    @property
    def theirs(self) -> Best | None:
        median = self.median_run
        return None if median is None else median.theirs

    @property
    def met_in(self) -> int:
        """How many runs met the target on their own."""
        return sum(1 for run in self.measured if (run.ratio or 0.0) >= self.target.minimum)

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
    """Every target against ``records``: a ratio per run whose cases include a side (the two
    sides of a target share a scenario, so they are measured in the same run)."""
    rows = []
    for target in targets:
        runs = []
        for record in records:
            ours = best_case(target.ours, record.cases, target.metric)
            theirs = best_case(target.theirs, record.cases, target.metric)
            if ours is not None or theirs is not None:
                runs.append(RunRatio(record.run_id, ours, theirs))
        rows.append(TargetRow(target, tuple(runs)))
    return rows


def _side_cell(best: Best | None, metric: str) -> str:
    if best is None:
        return "not measured"
    unit = "MiB/s" if metric == "mib_per_s" else "samples/s"
    return f"{best.value:,.1f} {unit} ({best.case_id})"


def _ratios_cell(row: TargetRow) -> str:
    """Every run's ratio, lowest first, and how many met the target: e.g. "0.95, 1.01, 1.10
    (2/3 met)"."""
    measured = row.measured
    if len(measured) < 2:
        return "one run" if measured else "-"
    ratios = ", ".join(f"{run.ratio:.2f}" for run in measured)
    return f"{ratios} ({row.met_in}/{len(measured)} met)"


def targets_table(rows: Sequence[TargetRow]) -> str:
    """The rows as a Markdown table (sides and ratio of the median run)."""
    lines = ["| target | ours | theirs | ratio | every run | needed | verdict |",
             "| --- | --- | --- | ---: | --- | ---: | --- |"]
    for row in rows:
        ratio = "-" if row.ratio is None else f"{row.ratio:.2f}x"
        name = row.target.name + (f" ({row.target.note})" if row.target.note else "")
        lines.append("| " + " | ".join(md_cell(cell) for cell in (
            name, _side_cell(row.ours, row.target.metric),
            _side_cell(row.theirs, row.target.metric), ratio, _ratios_cell(row),
            f">= {row.target.minimum:g}x", row.verdict)) + " |")
    return "\n".join(lines)


def plot_targets(rows: Sequence[TargetRow], path: Path, title: str) -> None:
    """Each target's per-run ratios (dots), their median (bar) and the ratio needed (tick),
    on a log axis, as a PNG at ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 0.8 + 0.7 * len(rows)))
    for y, row in enumerate(reversed(rows)):
        ratios = [run.ratio for run in row.measured if run.ratio is not None]
        if not ratios:
            ax.text(1.0, y, "not measured", va="center")
            continue
        colour = "tab:green" if row.verdict == "met" else "tab:red"
        ax.barh(y, row.ratio or 0.0, color=colour, alpha=0.35, height=0.6)
        ax.plot(ratios, [y] * len(ratios), "o", color=colour, markersize=4)
        ax.plot([row.target.minimum] * 2, [y - 0.35, y + 0.35], color="black", linewidth=2)
    ax.set_yticks(range(len(rows)), [row.target.name for row in reversed(rows)], fontsize=8)
    ax.set_xscale("log")
    ax.axvline(1.0, color="grey", linewidth=0.5)
    ax.set_xlabel("ours / theirs (bar: median run, dots: every run, black tick: needed)")
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def run_json_path(run: str, reports: Path) -> Path:
    """A run JSON path as given, or ``<reports>/runs/<run id>.json``."""
    path = Path(run)
    return path if path.suffix == ".json" else reports / "runs" / f"{run}.json"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", help="run ids or run JSON files")
    parser.add_argument("--reports", type=Path, default=Path("reports"),
                        help="where run ids are looked up (default: reports)")
    parser.add_argument("--plot", type=Path, help="also draw the ratios as a PNG here")
    args = parser.parse_args(argv)
    records = [read_run_json(run_json_path(run, args.reports)) for run in args.runs]
    rows = target_rows(records)
    run_ids = ", ".join(record.run_id for record in records)
    print(f"runs: {run_ids}\n")
    print(targets_table(rows))
    if args.plot:
        title = "issue #12 targets, runs:\n" + "\n".join(textwrap.wrap(run_ids, 72))
        plot_targets(rows, args.plot, title)
        print(f"\nplot: {args.plot}")
    return 0 if all(row.verdict == "met" for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
