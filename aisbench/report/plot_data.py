"""The plots of one run, as data: pure functions from a RunRecord to `PlotData`, or to a
`PlotSkipped` saying why the run cannot support that plot.

Means are over repeats (the warmup is never averaged in); intervals are 95% Student-t
confidence intervals of the mean. A case whose strategy is "aisloader" is the ceiling: drawn
as a reference, never as a line of its own.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from aisbench.report.case_data import (
    WORKERS_KEYS,
    axis_key,
    ceilings,
    emulated_accelerator,
    group_params,
    measured,
    numeric_values,
    strategy_colors,
    varying_keys,
)
from aisbench.report.formatting import format_bytes, format_param, params_label
from aisbench.report.plot_model import (
    Panel,
    PlotData,
    PlotOutcome,
    PlotSkipped,
    Reference,
    Series,
    XScale,
)
from aisbench.report.series import (
    bar_series,
    batch_waits,
    cdf_series,
    ceiling_references,
    sweep_series,
)
from aisbench.report.stage_table import (
    CONSUMER,
    THREADS,
    WORKERS,
    StageRow,
    stage_columns,
    stage_rows,
)
from aisbench.results import METRICS, CaseResult, RunRecord

THROUGHPUT_METRICS = ("samples_per_s", "mib_per_s")
SIZE_KEYS = ("object_size", "dataset.object_size", "samples_per_shard", "dataset.samples_per_shard")
MLPERF_UTILIZATION_TARGET = 0.90
CEILING_BAR_COLOR = "#BDBDBD"
CDF_MAX_PANELS = 9

_SIZE_AXIS_LABELS = {"object_size": "object size", "samples_per_shard": "samples per shard"}


def run_plots(run: RunRecord, prefix: str = "") -> list[PlotOutcome]:
    """Every plot of ``run`` (drawn or skipped with its reason); ``prefix`` starts file names."""
    builders: tuple[Callable[[RunRecord, str], PlotOutcome], ...] = (
        throughput_by_case,
        throughput_vs_workers,
        throughput_vs_size,
        latency_cdf,
        accel_utilization_vs_workers,
        time_to_first_batch,
        time_by_stage,
    )
    return [build(run, prefix) for build in builders]


def throughput_by_case(run: RunRecord, prefix: str = "") -> PlotOutcome:
    """Bars of samples/s and MiB/s per case, the aisloader ceiling as a reference line."""
    name, title = f"{prefix}throughput-by-case", f"{run.scenario}: throughput by case"
    cases = measured(run.cases)
    if not cases:
        return PlotSkipped(name, title, _nothing_measured(run))
    colors = strategy_colors(run.cases)
    panels = []
    for metric in THROUGHPUT_METRICS:
        bars = bar_series(cases, metric, colors)
        references = ceiling_references(run.cases, metric, exclude=())
        if len(references) > 1:
            # Several ceilings (e.g. one per size) read better as bars beside their cases.
            references = []
            bars += bar_series(ceilings(run.cases), metric, {}, ceiling_color=CEILING_BAR_COLOR)
        panels.append(
            Panel(
                kind="bars",
                title=METRICS[metric].description,
                x_label="case",
                y_label=f"{_metric_name(metric)} ({METRICS[metric].unit})",
                series=tuple(bars),
                references=tuple(references),
            )
        )
    return PlotData(name, title, tuple(panels), caption=_ci_note(cases) + _ceiling_note(run.cases))


def throughput_vs_workers(run: RunRecord, prefix: str = "") -> PlotOutcome:
    """samples/s and MiB/s against DataLoader num_workers, one line per strategy."""
    name = f"{prefix}throughput-vs-workers"
    title = f"{run.scenario}: throughput vs DataLoader workers"
    cases = measured(run.cases)
    axis = _numeric_axis(run, cases, WORKERS_KEYS, "num_workers")
    if isinstance(axis, str):
        return PlotSkipped(name, title, axis)
    key, xs = axis
    panels = _throughput_sweep(run, cases, key, x_label="DataLoader num_workers",
                               x_ticks=tuple((x, f"{x:g}") for x in xs), ceiling_lines=False)
    return PlotData(name, title, panels, caption=_ci_note(cases) + _ceiling_note(run.cases))


def throughput_vs_size(run: RunRecord, prefix: str = "") -> PlotOutcome:
    """samples/s and MiB/s against object size or samples per shard, one line per strategy;
    the ceiling, which changes with size, as a dashed line."""
    name = f"{prefix}throughput-vs-size"
    title = f"{run.scenario}: throughput vs size"
    cases = measured(run.cases)
    axis = _numeric_axis(run, cases, SIZE_KEYS, "object_size or samples_per_shard")
    if isinstance(axis, str):
        return PlotSkipped(name, title, axis)
    key, xs = axis
    label = key.rsplit(".", 1)[-1]
    in_bytes = label.endswith("size")
    title = f"{run.scenario}: throughput vs {_SIZE_AXIS_LABELS.get(label, label)}"
    ticks = tuple((x, format_bytes(x) if in_bytes else f"{x:g}") for x in xs)
    wide = xs[0] > 0 and xs[-1] / xs[0] >= 4
    panels = _throughput_sweep(
        run, cases, key, x_label=_SIZE_AXIS_LABELS.get(label, label) + (" (bytes)" if in_bytes
                                                                       else ""),
        x_ticks=ticks, x_scale="log2" if wide else "linear", ceiling_lines=True)
    return PlotData(name, title, panels, caption=_ci_note(cases) + _ceiling_note(run.cases))


def _throughput_sweep(run: RunRecord, cases: Sequence[CaseResult], key: str, *, x_label: str,
                      x_ticks: tuple[tuple[float, str], ...], ceiling_lines: bool,
                      x_scale: XScale = "linear") -> tuple[Panel, ...]:
    """One line panel per throughput metric against parameter ``key``, a line per strategy.
    The ceiling: its own dashed line where it varies with ``key`` (``ceiling_lines``), else
    horizontal references."""
    colors = strategy_colors(run.cases)
    ceiling_cases = [c for c in ceilings(run.cases) if key in c.params]

    def panel(metric: str) -> Panel:
        series = sweep_series(cases, key, metric, colors)
        references: tuple[Reference, ...] = ()
        if ceiling_lines:
            series += sweep_series(ceiling_cases, key, metric, colors, ceiling=True)
        else:
            references = tuple(ceiling_references(run.cases, metric, exclude=(key,)))
        return Panel(kind="lines", title=METRICS[metric].description, x_label=x_label,
                     y_label=f"{_metric_name(metric)} ({METRICS[metric].unit})",
                     series=tuple(series), references=references, x_scale=x_scale,
                     x_ticks=x_ticks)

    return tuple(panel(metric) for metric in THROUGHPUT_METRICS)


def latency_cdf(run: RunRecord, prefix: str = "") -> PlotOutcome:
    """Cumulative distribution of the per-batch wait, one line per strategy, one panel per
    combination of the other parameters (repeats pooled, warmup left out)."""
    name, title = f"{prefix}latency-cdf", f"{run.scenario}: per-batch latency (CDF)"
    cases = [c for c in measured(run.cases) if batch_waits(c)]
    if not cases:
        return PlotSkipped(name, title, "no loader case recorded per-batch latencies")
    colors = strategy_colors(run.cases)
    keys = varying_keys(cases)
    groups: dict[str, list[CaseResult]] = {}
    for case in cases:
        groups.setdefault(params_label(group_params(case, keys)), []).append(case)
    shown = list(groups.items())[:CDF_MAX_PANELS]
    latencies = [v for c in cases for m in c.repeats for v in m.batch_latencies_s]
    panels = tuple(
        Panel(
            kind="cdf",
            title=group or "all cases",
            x_label="wait for a batch (ms)",
            y_label="fraction of batches",
            series=tuple(cdf_series(c, colors[c.strategy]) for c in group_cases),
            # Log only when the waits span a decade: narrower ranges would show one tick.
            x_scale="log10" if min(latencies) > 0 and max(latencies) >= 10 * min(latencies)
            else "linear",
        )
        for group, group_cases in shown
    )
    caption = "Each line pools every repeat's batches; further right means slower batches."
    if len(groups) > len(shown):
        caption += f" Showing the first {len(shown)} of {len(groups)} parameter combinations."
    return PlotData(name, title, panels, caption=caption)


def accel_utilization_vs_workers(run: RunRecord, prefix: str = "") -> PlotOutcome:
    """Emulated accelerator utilisation (%) against num_workers, with MLPerf Storage's 90% bar."""
    name = f"{prefix}accel-utilization-vs-workers"
    title = f"{run.scenario}: accelerator utilisation vs DataLoader workers"
    cases = measured(run.cases)
    if cases and not any(emulated_accelerator(c) for c in cases):
        return PlotSkipped(
            name, title, "no case emulated an accelerator (accelerator.compute_ms_per_batch is 0)"
        )
    axis = _numeric_axis(run, cases, WORKERS_KEYS, "num_workers")
    if isinstance(axis, str):
        return PlotSkipped(name, title, axis)
    key, xs = axis
    target = MLPERF_UTILIZATION_TARGET * 100
    panel = Panel(
        kind="lines",
        title="share of time the emulated accelerator computed",
        x_label="DataLoader num_workers",
        y_label="accelerator utilisation (%)",
        series=tuple(sweep_series(cases, key, "accel_utilization", strategy_colors(run.cases),
                                   scale=100.0)),
        references=(Reference("MLPerf Storage target", target, color="#D55E00"),),
        x_ticks=tuple((x, f"{x:g}") for x in xs),
        value_suffix="%",
    )
    caption = (
        _ci_note(cases) + "MLPerf Storage counts a storage system as keeping up when the "
        f"accelerator is busy at least {target:.0f}% of the time."
    )
    return PlotData(name, title, (panel,), caption=caption)


def time_to_first_batch(run: RunRecord, prefix: str = "") -> PlotOutcome:
    """Bars of the time from creating the iterator to the first batch, per case."""
    name, title = f"{prefix}time-to-first-batch", f"{run.scenario}: time to first batch"
    cases = [c for c in measured(run.cases) if c.values("time_to_first_batch_s")]
    if not cases:
        return PlotSkipped(name, title, "no loader case recorded a time to first batch")
    panel = Panel(
        kind="bars",
        title="from creating the iterator to the first batch (worker start-up included)",
        x_label="case",
        y_label="time to first batch (s)",
        series=tuple(bar_series(cases, "time_to_first_batch_s", strategy_colors(run.cases))),
    )
    return PlotData(name, title, (panel,), caption=_ci_note(cases))


# One color per stage, the same in every plot: network blues, parsing and CPU work warm,
# hand-over purple, the consumer's own work green, what no stage holds grey.
STAGE_COLORS = {
    "listing": "#9ECAE1", "first_byte": "#4292C6", "receive": "#08519C",
    "tar_parse": "#FD8D3C", "transform": "#E6550D", "collate": "#A63603",
    "pickle": "#9E9AC8", "unpickle": "#6A51A3", "worker_start": "#DADAEB",
    "compute": "#31A354", "harness": "#000000", "outside": "#BDBDBD",
}


# What the legend says where a stage's name alone would puzzle a reader.
STAGE_LABELS = {"outside": "in no stage (waiting; the DataLoader's own code)"}


def time_by_stage(run: RunRecord, prefix: str = "") -> PlotOutcome:
    """Where the time goes: a stacked bar per case, microseconds per sample by stage; the
    consumer in one panel, the DataLoader workers (summed) in another."""
    name, title = f"{prefix}time-by-stage", f"{run.scenario}: where the time goes, per sample"
    rows = stage_rows(run.cases)
    if not rows:
        reason = ("no case measured its stages (tool cases have none; runs before result "
                  "format 3 did not record them)") if measured(run.cases) else _nothing_measured(
                      run)
        return PlotSkipped(name, title, reason)
    titles = {CONSUMER: "training process: wall time",
              WORKERS: "DataLoader workers, summed",
              THREADS: "other threads (overlap both)"}
    panels = [_stage_panel(title, timeline_rows) for timeline, title in titles.items()
              if (timeline_rows := [r for r in rows if r.timeline == timeline])]
    missing = sorted({f"{r.strategy} ({', '.join(r.not_measured)})"
                      for r in rows if r.not_measured})
    caption = ("Microseconds per sample, mean over repeats. The consumer's stages add up to "
               "its wall time per sample; the workers' to worker-seconds per sample; other "
               "threads overlap both. 'outside' is time in no marked stage (the DataLoader's "
               "own work, waiting).")
    if missing:
        caption += (" Not measured, their time inside 'outside' (the loader's client marks no "
                    "such stage): " + "; ".join(missing) + ".")
    return PlotData(name, title, tuple(panels), caption=caption)


def _stage_panel(title: str, rows: Sequence[StageRow]) -> Panel:
    series = tuple(
        Series(label=STAGE_LABELS.get(stage, stage), x=tuple(r.label for r in rows),
               y=tuple(r.us_per_sample.get(stage, 0.0) for r in rows),
               color=STAGE_COLORS.get(stage, "#636363"))
        for stage in stage_columns(rows))
    return Panel(kind="stacked", title=title, x_label="case", y_label="µs per sample",
                 series=series)


def _ci_note(cases: Sequence[CaseResult]) -> str:
    """How to read the intervals, with the repeat counts (2 repeats make wide intervals)."""
    counts = sorted({len(c.repeats) for c in cases})
    if not counts:
        repeats = "0"
    else:
        repeats = str(counts[0]) if len(counts) == 1 else f"{counts[0]} to {counts[-1]}"
    return (
        f"Means over {repeats} repeats per case (warmup excluded); whiskers show the 95% "
        "confidence interval of each mean. "
    )


def _numeric_axis(
    run: RunRecord, cases: Sequence[CaseResult], keys: Sequence[str], what: str
) -> tuple[str, list[float]] | str:
    """(params key, sorted distinct values) of a numeric sweep axis, or why there is none."""
    if not cases:
        return _nothing_measured(run)
    key = axis_key(cases, keys)
    if key is None:
        found = sorted({k for c in run.cases for k in c.params})
        return f"the run does not vary {what} (its parameters: {', '.join(found) or 'none'})"
    values = numeric_values(cases, key)
    if values is None:
        return f"{key} is not a number in every case, so it cannot be an axis"
    if len(values) < 2:
        return f"{key} takes only one value ({format_param(key, values[0])}) among measured cases"
    return key, values


def _nothing_measured(run: RunRecord) -> str:
    counts = {s: sum(c.status == s for c in run.cases) for s in ("ok", "skipped", "failed")}
    return (
        "no loader case measured anything ("
        + ", ".join(f"{n} {s}" for s, n in counts.items())
        + ")"
    )


def _ceiling_note(cases: Sequence[CaseResult]) -> str:
    if not ceilings(cases):
        return "No aisloader ceiling was measured in this run."
    return "The aisloader ceiling (dashed, or grey bars) is what the cluster serves a Go client."


def _metric_name(metric: str) -> str:
    return {"samples_per_s": "throughput", "mib_per_s": "throughput"}.get(
        metric, metric.replace("_", " ")
    )
