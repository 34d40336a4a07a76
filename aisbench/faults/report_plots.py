"""The faults report's plots as data: pure functions from soak series and outcomes to
`PlotData` (drawn by aisbench.report.plots), or to a `PlotSkipped` saying why there is none.

- soak-rss / soak-fds: each worker's RSS (MiB) and open descriptors per epoch, one line per
  worker pid, one panel per soaked loader.
- fault-cost: epoch time under each fault over the same epoch without it, per dataset and
  worker count, one panel per fault.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from aisbench.faults.soak import FD_TOLERANCE, RSS_TOLERANCE_BYTES, SoakSeries, WorkerSample
from aisbench.report import Panel, PlotData, PlotOutcome, PlotSection, PlotSkipped, Series
from aisbench.results import HARNESS_ERROR, MIB, NOT_EXERCISED, SKIPPED, VIOLATION, FaultOutcome

# Colour by what the run did, so a slow violation (or a fault never felt) does not pass for a
# slow success.
OUTCOME_COLORS = {"completed": "#2E7D32", "typed error": "#E69F00", VIOLATION: "#C62828",
                  NOT_EXERCISED: "#7E57C2", HARNESS_ERROR: "#6D4C41"}


@dataclass(frozen=True)
class FaultPlots:
    """The drawn (or skipped) plots of the report, by the section they belong to."""

    cost: PlotSection = field(default_factory=PlotSection)
    soak: PlotSection = field(default_factory=PlotSection)


def soak_plots(soaks: Sequence[SoakSeries]) -> list[PlotOutcome]:
    return [soak_rss_plot(soaks), soak_fds_plot(soaks)]


def soak_rss_plot(soaks: Sequence[SoakSeries]) -> PlotOutcome:
    """RSS of each worker (MiB) at the end of each epoch."""
    return _soak_plot(soaks, "soak-rss", "Soak: worker resident memory per epoch",
                      "RSS (MiB)", lambda s: s.rss_bytes / MIB, 2 * RSS_TOLERANCE_BYTES / MIB)


def soak_fds_plot(soaks: Sequence[SoakSeries]) -> PlotOutcome:
    """Open file descriptors of each worker at the end of each epoch."""
    return _soak_plot(soaks, "soak-fds", "Soak: worker open file descriptors per epoch",
                      "open file descriptors", lambda s: float(s.open_fds), 4.0 * FD_TOLERANCE)


def _soak_plot(soaks: Sequence[SoakSeries], name: str, title: str, y_label: str,
               value: Callable[[WorkerSample], float], span: float) -> PlotOutcome:
    """``span``: the least range of the value axis - a multiple of the growth the soak allows,
    so allocator noise of a few hundred KiB does not look like a cliff."""
    if not soaks:
        return PlotSkipped(name, title, "no soak was run")
    sampled = [soak for soak in soaks if soak.samples]
    if not sampled:
        return PlotSkipped(name, title, "the soak series hold no samples")
    panels = tuple(
        Panel(kind="lines", title=soak.label, x_label="epoch", y_label=y_label,
              series=tuple(worker_series(soak.samples, value)),
              x_ticks=epoch_ticks(sorted({s.epoch for s in soak.samples})),
              value_min=None, value_span_min=span)  # growth, not the distance from 0
        for soak in sampled
    )
    caption = ("One line per DataLoader worker (persistent_workers=True); a line that keeps "
               "climbing after the first epoch is a leak.")
    return PlotData(name, title, panels, caption=caption)


def worker_series(samples: Sequence[WorkerSample],
                  value: Callable[[WorkerSample], float]) -> list[Series]:
    """One series per worker pid (ascending), x the epochs in order, y ``value`` of each."""
    by_pid: dict[int, list[WorkerSample]] = {}
    for sample in samples:
        by_pid.setdefault(sample.pid, []).append(sample)
    series = []
    for pid, worker in sorted(by_pid.items()):
        worker = sorted(worker, key=lambda s: s.epoch)
        series.append(Series(label=f"worker pid {pid}", x=tuple(float(s.epoch) for s in worker),
                             y=tuple(value(s) for s in worker)))
    return series


def epoch_ticks(epochs: Sequence[int], most: int = 12) -> tuple[tuple[float, str], ...]:
    """Whole-epoch ticks (no "0.25 epoch"), thinned to at most about ``most`` of them."""
    step = max(1, math.ceil(len(epochs) / most))
    return tuple((float(e), str(e)) for e in epochs[::step])


def fault_cost_plot(outcomes: Sequence[FaultOutcome]) -> PlotOutcome:
    """Bars of the seconds each fault added to the epoch (duration - baseline), per dataset and
    worker count, one panel per fault. Seconds, not a ratio: the clean epochs here take a
    tenth of a second, so a ratio would turn a fixed 1.5 s restart stall into "30x"."""
    name, title = "fault-cost", "Fault cost: seconds a fault added to the epoch"
    costed = [o for o in outcomes if o.added_s is not None and o.outcome != SKIPPED]
    if not costed:
        return PlotSkipped(name, title, "no fault run measured a baseline epoch to compare with")
    by_fault: dict[str, list[FaultOutcome]] = {}
    for o in costed:
        by_fault.setdefault(o.fault, []).append(o)
    panels = tuple(
        Panel(kind="bars", title=fault, x_label="dataset, workers",
              y_label="seconds over the clean epoch", series=tuple(cost_series(runs)),
              value_min=None, value_suffix=" s")
        for fault, runs in by_fault.items()
    )
    caption = ("Epoch time under the fault minus the same epoch without it, measured in the same "
               "run (the tables give both, and their ratio). A run that stopped with a typed "
               "error is timed to its error, so it can cost less than the clean epoch.")
    return PlotData(name, title, panels, caption=caption)


def cost_series(outcomes: Sequence[FaultOutcome]) -> list[Series]:
    """One series per kind of outcome (`outcome_kind`), each bar a "dataset, N workers"
    category with the seconds the fault added."""
    groups: dict[str, list[FaultOutcome]] = {}
    for o in outcomes:
        groups.setdefault(outcome_kind(o), []).append(o)
    return [
        Series(label=kind, x=tuple(f"{o.dataset}, {o.num_workers} workers" for o in runs),
               y=tuple(o.added_s or 0.0 for o in runs), color=OUTCOME_COLORS[kind])
        for kind, runs in groups.items()
    ]


def outcome_kind(o: FaultOutcome) -> str:
    """VIOLATION, NOT_EXERCISED, HARNESS_ERROR, "typed error" or "completed"."""
    if o.violated:
        return VIOLATION
    if o.not_exercised:
        return NOT_EXERCISED
    if o.harness_error:
        return HARNESS_ERROR
    return "typed error" if o.error_type is not None else "completed"
