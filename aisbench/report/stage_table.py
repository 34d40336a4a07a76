"""Where the time goes, as rows: each case's stages in microseconds per sample (pure).

Two timelines per case (results `StageTimes`): the consumer (the training process: its stages
add up to 1 / samples/s) and, with DataLoader workers, the workers summed (worker-seconds per
sample: num_workers / samples/s, less the time workers were not alive); and the time other
threads spent in stages (a read pool, the queues' pickling threads), which overlaps the two.
Means over the repeats that measured stages; the warmup is never in them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from aisbench.report.case_data import measured
from aisbench.results import CaseResult, Measurement

CONSUMER = "consumer"
WORKERS = "workers"
THREADS = "threads"
TIMELINE_NAMES = {CONSUMER: "consumer", WORKERS: "{workers} workers", THREADS: "other threads"}


@dataclass(frozen=True, slots=True)
class StageRow:
    """One timeline of one case: stage -> mean microseconds per sample over the repeats.

    timeline: "consumer", "workers" or "threads" (overlapping the other two); workers: the
    DataLoader's num_workers; not_measured: stages this loader cannot report (another
    client): their time is in "outside".
    """

    case_id: str
    strategy: str
    timeline: str
    workers: int
    us_per_sample: Mapping[str, float]
    not_measured: tuple[str, ...]

    @property
    def total_us(self) -> float:
        return sum(self.us_per_sample.values())

    @property
    def label(self) -> str:
        """The case as a plot row names it: case id, and the timeline for workers."""
        case = self.case_id.replace(",", ", ")
        if self.timeline == CONSUMER:
            return case
        return f"{case} [{TIMELINE_NAMES[self.timeline].format(workers=self.workers)}]"


def stage_rows(cases: Iterable[CaseResult]) -> list[StageRow]:
    """The consumer row of every measured case with stages, then its workers' row and its
    other threads' row, where they have any."""
    rows: list[StageRow] = []
    for case in measured(cases):
        timed = [m for m in case.repeats if m.stages is not None and m.samples > 0]
        if not timed:
            continue
        first = timed[0].stages
        assert first is not None
        rows.append(StageRow(case.case_id, case.strategy, CONSUMER, first.workers,
                             _mean_per_sample(timed, CONSUMER), first.not_measured))
        for timeline in (WORKERS, THREADS):
            stages = _mean_per_sample(timed, timeline)
            if stages:
                rows.append(StageRow(case.case_id, case.strategy, timeline, first.workers,
                                     stages, first.not_measured))
    return rows


def stage_columns(rows: Sequence[StageRow]) -> list[str]:
    """Every stage with time in some row, in the order the results list them."""
    columns: list[str] = []
    for row in rows:
        columns += [stage for stage in row.us_per_sample if stage not in columns]
    return columns


def format_us(value: float) -> str:
    """Microseconds with three significant digits: "0.52", "41.3", "1,250"."""
    if value >= 1000:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def stage_cells(row: StageRow, columns: Sequence[str]) -> list[str]:
    """A table row: case, timeline, each stage (µs/sample; "not measured" or "-"), total."""
    cells = [row.case_id, TIMELINE_NAMES[row.timeline].format(workers=row.workers)]
    for stage in columns:
        if stage in row.not_measured:
            cells.append("not measured")
        elif stage in row.us_per_sample:
            cells.append(format_us(row.us_per_sample[stage]))
        else:
            cells.append("-")
    return [*cells, format_us(row.total_us)]


def stage_headings(columns: Sequence[str]) -> list[str]:
    return ["case", "timeline", *columns, "total"]


STAGE_TABLE_NOTE = (
    "Microseconds per sample, mean over repeats. The consumer's stages add up to its wall time "
    "per sample (1 / samples/s); the workers' to worker-seconds per sample, summed over "
    "workers; other threads' (a read pool, the queues' pickling) overlap both. 'outside' is "
    "time in no marked stage: the DataLoader's own work, and waiting (for workers, or for the "
    "next index). 'not measured': the loader's client marks no such "
    "stage; its time is inside 'outside'.")


SETUP_HEADINGS = ("case", "setup s", "of which listing s")


def setup_cells(cases: Iterable[CaseResult]) -> list[list[str]]:
    """Each case's loader construction, once per case (``extra.setup_s``): its seconds and
    the listing's ("not measured" on another client)."""
    rows = []
    for case in measured(cases):
        setup_s = case.extra.get("setup_s")
        if not isinstance(setup_s, int | float):
            continue
        listing = "not measured" if "listing" in case.extra.get("setup_not_measured", ()) else (
            f"{case.extra.get('setup_stages_s', {}).get('listing', 0.0):.3f}")
        rows.append([case.case_id, f"{setup_s:.3f}", listing])
    return rows


def _mean_per_sample(repeats: Sequence[Measurement], timeline: str) -> dict[str, float]:
    """Stage -> mean over ``repeats`` of its seconds / samples, in microseconds."""
    sums: dict[str, float] = {}
    for m in repeats:
        assert m.stages is not None
        values = {CONSUMER: m.stages.main_s, WORKERS: m.stages.workers_s,
                  THREADS: m.stages.helper_threads_s}[timeline]
        for stage, seconds in values.items():
            sums[stage] = sums.get(stage, 0.0) + seconds / m.samples * 1e6
    return {stage: total / len(repeats) for stage, total in sums.items()}
