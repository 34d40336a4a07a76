"""Drawing: a `PlotData` becomes a PNG, an SVG and a JSON sidecar of its numbers.

Uses matplotlib's object API on the Agg canvas (no pyplot, no global figure state, no display).
Everything the figure shows was decided by the pure functions in plot_data / compare_plots;
this module only decides how it looks.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter, NullLocator

from aisbench.report.plot_model import Panel, PlotData, Series, plot_to_dict

DPI = 120
FIGURE_WIDTH_IN = 12.0
LINE_PANEL_HEIGHT_IN = 4.4
CDF_COLUMNS = 3
DODGE_FRACTION = 0.012  # of the x range, between neighbouring series
_LINESTYLES = ("-", "--", "-.", ":")
_STYLE: dict[str, Any] = {
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "legend.fontsize": 10,
    "figure.titlesize": 14,
    "figure.titleweight": "bold",
    "axes.spines.top": False,
    "axes.spines.right": False,
}


@dataclass(frozen=True, slots=True)
class DrawnPlot:
    """A plot written to disk: its data and the paths of its PNG, SVG and JSON sidecar."""

    plot: PlotData
    png: Path
    svg: Path
    data: Path


def draw_plot(plot: PlotData, directory: Path) -> DrawnPlot:
    """Write ``plot`` as <name>.png, <name>.svg and <name>.json into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = DrawnPlot(
        plot,
        directory / f"{plot.name}.png",
        directory / f"{plot.name}.svg",
        directory / f"{plot.name}.json",
    )
    style: Any = {**_STYLE, "svg.hashsalt": plot.name}  # hashsalt: stable ids in the SVG
    with matplotlib.rc_context(style):
        figure = render_figure(plot)
        figure.savefig(paths.png, dpi=DPI, metadata={"Software": None})
        figure.savefig(paths.svg, format="svg", metadata={"Date": None})
    paths.data.write_text(json.dumps(plot_to_dict(plot), indent=2, allow_nan=False) + "\n")
    return paths


def render_figure(plot: PlotData) -> Figure:
    """The matplotlib Figure of ``plot`` (not saved)."""
    columns = _columns(plot.panels)
    rows = math.ceil(len(plot.panels) / columns)
    height = rows * max(_panel_height(p) for p in plot.panels) + 0.9
    figure = Figure(figsize=(FIGURE_WIDTH_IN, height), layout="constrained")
    FigureCanvasAgg(figure)  # the Agg canvas, whatever backend the process chose
    figure.suptitle(plot.title)
    axes_grid = figure.subplots(rows, columns, squeeze=False)
    for index, ax in enumerate(axes_grid.flat):
        if index >= len(plot.panels):
            ax.set_visible(False)
            continue
        panel = plot.panels[index]
        {"lines": _draw_lines, "bars": _draw_bars, "cdf": _draw_cdf,
         "stacked": _draw_stacked}[panel.kind](ax, panel)
        ax.set_title(panel.title)
        ax.grid(True, alpha=0.3)
        row_start = plot.panels[index - index % columns]
        if panel.kind == "bars" and index % columns and row_start.categories == panel.categories:
            ax.tick_params(axis="y", labelleft=False)  # the row's first panel names the cases
    _figure_legend(figure, axes_grid.flat)
    return figure


def _draw_lines(ax: Axes, panel: Panel) -> None:
    for index, series in enumerate(panel.series):
        ceiling = series.style == "ceiling"
        ax.errorbar(
            _dodged(panel, index, [float(x) for x in series.x]),
            series.y,
            yerr=_error_bars(series) if series.has_intervals else None,
            label=series.label,
            color=series.color or None,
            marker="s" if ceiling else "o",
            linestyle="--" if ceiling else "-",
            linewidth=1.5 if ceiling else 2.2,
            markersize=5 if ceiling else 6,
            capsize=4,
        )
    for ref in panel.references:
        if ref.low is not None and ref.high is not None:
            ax.axhspan(ref.low, ref.high, color=ref.color, alpha=0.08, linewidth=0)
        ax.axhline(ref.value, color=ref.color, linestyle="--", linewidth=1.5, label=ref.label)
        ax.annotate(
            f"{ref.label}: {_tick_number(ref.value, None)}{panel.value_suffix}",
            (1.0, ref.value),
            xycoords=("axes fraction", "data"),
            xytext=(-4, 3),
            textcoords="offset points",
            ha="right",
            va="bottom",
            fontsize=8,
            color=ref.color,
        )
    _x_axis(ax, panel)
    if panel.value_min is not None:
        ax.set_ylim(bottom=panel.value_min, top=_top_with_headroom(ax))
    else:
        ax.set_ylim(*_at_least(ax.get_ylim(), panel.value_span_min))
    ax.set_xlabel(panel.x_label)
    ax.set_ylabel(panel.y_label)
    ax.yaxis.set_major_formatter(FuncFormatter(_tick_number))


def _dodged(panel: Panel, index: int, xs: list[float]) -> list[float]:
    """Shift each series a little sideways so error bars at the same x do not hide each other
    (the JSON sidecar keeps the true x)."""
    every_x = [float(x) for s in panel.series for x in s.x]
    count = len(panel.series)
    if count < 2 or not every_x or not any(s.has_intervals for s in panel.series):
        return xs
    step = DODGE_FRACTION * (index - (count - 1) / 2)
    if panel.x_scale == "log2":
        span = math.log2(max(every_x) / min(every_x)) if min(every_x) > 0 else 0.0
        return [x * 2 ** (step * span) for x in xs]
    span = max(every_x) - min(every_x)
    return [x + step * span for x in xs]


def _draw_bars(ax: Axes, panel: Panel) -> None:
    categories = panel.categories
    position = {category: float(i) for i, category in enumerate(categories)}
    for series in panel.series:
        rows = [position[str(x)] for x in series.x]
        ax.barh(
            rows,
            series.y,
            height=0.62,
            xerr=_error_bars(series) if series.has_intervals else None,
            color=series.color or None,
            label=series.label,
            capsize=3,
            error_kw={"ecolor": "#333333", "elinewidth": 1},
        )
        for row, value, high, low in zip(
            rows, series.y, _or_y(series.y_high, series.y), _or_y(series.y_low, series.y),
            strict=True,
        ):
            end = high if value >= 0 else low
            ax.annotate(
                _tick_number(value, None) + panel.value_suffix,
                (end, row),
                xytext=(4 if value >= 0 else -4, 0),
                textcoords="offset points",
                ha="left" if value >= 0 else "right",
                va="center",
                fontsize=8,
                color="#333333",
            )
    for ref in panel.references:
        if ref.low is not None and ref.high is not None:
            ax.axvspan(ref.low, ref.high, color=ref.color, alpha=0.08, linewidth=0)
        ax.axvline(ref.value, color=ref.color, linestyle="--", linewidth=1.5, label=ref.label)
        if ref.value != 0:
            ax.annotate(
                f"{_tick_number(ref.value, None)}{panel.value_suffix}",
                (ref.value, 1.0),
                xycoords=("data", "axes fraction"),
                xytext=(3, -3),
                textcoords="offset points",
                ha="left",
                va="top",
                fontsize=8,
                color=ref.color,
            )
    ax.set_yticks(list(position.values()), [_wrap(c) for c in categories])
    ax.set_ylim(len(categories) - 0.5, -0.5)  # first case on top
    low, high = ax.get_xlim()
    span = high - low
    # Room for the value labels beyond the longest bar.
    ax.set_xlim(
        low if panel.value_min is None else panel.value_min,
        high + 0.12 * span,
    )
    if panel.value_min is None and low < 0:
        ax.set_xlim(low - 0.12 * span, high + 0.12 * span)
    ax.set_xlabel(panel.y_label)
    ax.xaxis.set_major_formatter(FuncFormatter(_tick_number))
    ax.grid(False, axis="y")


def _draw_stacked(ax: Axes, panel: Panel) -> None:
    categories = panel.categories
    position = {category: float(i) for i, category in enumerate(categories)}
    ends = dict.fromkeys(categories, 0.0)
    for series in panel.series:
        rows = [str(x) for x in series.x]
        ax.barh([position[r] for r in rows], series.y, left=[ends[r] for r in rows],
                height=0.62, color=series.color or None, label=series.label)
        for row, value in zip(rows, series.y, strict=True):
            ends[row] += value
    for category, end in ends.items():  # the row's total beyond its bar
        ax.annotate(_tick_number(end, None) + panel.value_suffix, (end, position[category]),
                    xytext=(4, 0), textcoords="offset points", ha="left", va="center",
                    fontsize=8, color="#333333")
    ax.set_yticks(list(position.values()), [_wrap(c) for c in categories])
    ax.set_ylim(len(categories) - 0.5, -0.5)  # first case on top
    high = max(ends.values(), default=1.0) or 1.0
    ax.set_xlim(0, high * 1.15)
    ax.set_xlabel(panel.y_label)
    ax.xaxis.set_major_formatter(FuncFormatter(_tick_number))
    ax.grid(False, axis="y")


def _draw_cdf(ax: Axes, panel: Panel) -> None:
    for index, series in enumerate(panel.series):
        xs = [float(x) for x in series.x]
        ax.step(
            xs[:1] + xs,
            [0.0, *series.y],  # an empirical CDF rises from 0 at the fastest batch
            where="post",
            label=series.label,
            color=series.color or None,
            linewidth=2,
            linestyle=_LINESTYLES[index % len(_LINESTYLES)],  # lines on top of each other show
        )
    for fraction, name in ((0.5, "p50"), (0.9, "p90"), (0.99, "p99")):
        ax.axhline(fraction, color="#999999", linestyle=":", linewidth=1)
        ax.annotate(
            name,
            (1.0, fraction),
            xycoords=("axes fraction", "data"),
            xytext=(2, 0),
            textcoords="offset points",
            va="center",
            fontsize=8,
            color="#666666",
        )
    if panel.x_scale == "log10":
        ax.set_xscale("log")
        # Plain numbers at 1-2-5 steps read better than 2x10^1 and do not collide.
        ax.xaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
        ax.xaxis.set_major_formatter(FuncFormatter(_tick_number))
        ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_ylim(0, 1.02)
    ax.set_xlabel(panel.x_label)
    ax.set_ylabel(panel.y_label)


def _x_axis(ax: Axes, panel: Panel) -> None:
    if panel.x_scale == "log2":
        ax.set_xscale("log", base=2)
    elif panel.x_scale == "log10":
        ax.set_xscale("log")
    if panel.x_ticks:
        ax.set_xticks([x for x, _ in panel.x_ticks], [label for _, label in panel.x_ticks])
        ax.xaxis.set_minor_locator(NullLocator())
        if len(panel.x_ticks) > 8 or max(len(label) for _, label in panel.x_ticks) > 10:
            for label in ax.get_xticklabels():
                label.set_rotation(30)
                label.set_horizontalalignment("right")


def _figure_legend(figure: Figure, axes: Any) -> None:
    """One legend for the whole figure, below the panels, each label once."""
    handles: dict[str, Any] = {}
    for ax in axes:
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            handles.setdefault(label, handle)
    if handles:
        figure.legend(
            list(handles.values()),
            list(handles),
            loc="outside lower center",
            ncols=min(len(handles), 4),
            frameon=False,
        )


def _error_bars(series: Series) -> list[list[float]]:
    """matplotlib's 2xN (below, above) error lengths from the CI bounds; 0 where unknown."""
    below = [0.0 if low is None else max(y - low, 0.0) for y, low in zip(series.y, series.y_low,
                                                                         strict=True)]
    above = [0.0 if high is None else max(high - y, 0.0) for y, high in zip(series.y,
                                                                            series.y_high,
                                                                            strict=True)]
    return [below, above]


def _or_y(bounds: Sequence[float | None], ys: Sequence[float]) -> list[float]:
    if not bounds:
        return list(ys)
    return [y if b is None else b for b, y in zip(bounds, ys, strict=True)]


def _top_with_headroom(ax: Axes) -> float:
    bottom, top = ax.get_ylim()
    return top + 0.05 * (top - bottom)


def _columns(panels: Sequence[Panel]) -> int:
    if len(panels) == 1:
        return 1
    if panels[0].kind == "cdf":
        return min(CDF_COLUMNS, len(panels))
    return 2


def _panel_height(panel: Panel) -> float:
    if panel.kind in ("bars", "stacked"):
        return max(2.6, 0.42 * len(panel.categories) + 1.6)
    if panel.kind == "cdf":
        return 3.6
    return LINE_PANEL_HEIGHT_IN


def _at_least(limits: tuple[float, float], span: float) -> tuple[float, float]:
    """``limits`` widened symmetrically to ``span`` when narrower."""
    low, high = limits
    missing = span - (high - low)
    return (low, high) if missing <= 0 else (low - missing / 2, high + missing / 2)


def _tick_number(value: float, _position: Any) -> str:
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.4g}"  # .3g would print 383.5 and 384 alike on a narrow axis


def _wrap(label: str, width: int = 28) -> str:
    """Break long case labels at ", " so bar labels stay narrow."""
    lines: list[str] = []
    for part in label.split(", "):
        if lines and len(lines[-1]) + len(part) + 2 <= width:
            lines[-1] += ", " + part
        else:
            lines.append(part)
    return "\n".join(lines)
