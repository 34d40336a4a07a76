"""Plots as data: what a figure shows, decided by pure functions and drawn by `plots.py`.

Every drawn plot also writes this data as a JSON sidecar (`plot_to_dict`), so tests and people
can check the numbers behind a picture. Values are in the units the axis labels state.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

PanelKind: TypeAlias = Literal["lines", "bars", "cdf", "stacked"]
XScale: TypeAlias = Literal["linear", "log2", "log10"]
SeriesStyle: TypeAlias = Literal["line", "ceiling"]


@dataclass(frozen=True, slots=True)
class Series:
    """One line (or one set of bars) of a panel.

    x: numbers, or category labels for bar panels; y: the means; y_low / y_high: the confidence
    interval of each mean, None where there is none (one repeat). style "ceiling" draws the
    aisloader reference dashed.
    """

    label: str
    x: tuple[float | str, ...]
    y: tuple[float, ...]
    y_low: tuple[float | None, ...] = ()
    y_high: tuple[float | None, ...] = ()
    color: str = ""
    style: SeriesStyle = "line"

    def __post_init__(self) -> None:
        for name in ("x", "y_low", "y_high"):
            values = getattr(self, name)
            if values and len(values) != len(self.y):
                raise ValueError(f"series {self.label!r}: {name} has {len(values)} values, "
                                 f"y has {len(self.y)}")

    @property
    def has_intervals(self) -> bool:
        return any(v is not None for v in self.y_low)


@dataclass(frozen=True, slots=True)
class Reference:
    """A line across the panel at ``value`` on the value axis (e.g. the aisloader ceiling or the
    90% utilisation bar), with an optional shaded band low..high (its CI, or a threshold)."""

    label: str
    value: float
    low: float | None = None
    high: float | None = None
    color: str = "#222222"


@dataclass(frozen=True, slots=True)
class Panel:
    """One set of axes. kind "lines": y against numeric x with CI error bars; "bars":
    horizontal bars, one row per category (x), y the bar length; "cdf": steps of cumulative
    fraction (y) against value (x); "stacked": horizontal bars, one row per category (x), each
    series a segment laid after the previous series' (y its length). value_min: where the
    value axis starts (None: automatic);
    value_suffix: appended to value labels drawn on the figure (e.g. "%"); value_span_min: lines
    panels with an automatic axis show at least this range around the data, so noise far below
    what matters (e.g. a leak threshold) does not fill the plot like a cliff."""

    kind: PanelKind
    title: str
    x_label: str
    y_label: str
    series: tuple[Series, ...]
    references: tuple[Reference, ...] = ()
    x_scale: XScale = "linear"
    x_ticks: tuple[tuple[float, str], ...] = ()
    value_min: float | None = 0.0
    value_suffix: str = ""
    value_span_min: float = 0.0

    @property
    def categories(self) -> tuple[str, ...]:
        """Bar panels: every category in first-seen order across the series."""
        seen: list[str] = []
        for series in self.series:
            seen += [str(x) for x in series.x if str(x) not in seen]
        return tuple(seen)


@dataclass(frozen=True, slots=True)
class PlotData:
    """A figure: ``name`` is its file stem, ``title`` names the scenario and what is shown,
    ``caption`` says in a sentence how to read it."""

    name: str
    title: str
    panels: tuple[Panel, ...]
    caption: str = ""


@dataclass(frozen=True, slots=True)
class PlotSkipped:
    """A plot the data could not support, and why (shown on the page)."""

    name: str
    title: str
    reason: str


PlotOutcome: TypeAlias = PlotData | PlotSkipped


def plot_to_dict(plot: PlotData) -> dict[str, Any]:
    """The JSON sidecar of a plot: every plotted series with its x, y and interval."""
    return {
        "name": plot.name,
        "title": plot.title,
        "caption": plot.caption,
        "panels": [
            {
                "kind": p.kind,
                "title": p.title,
                "x_label": p.x_label,
                "y_label": p.y_label,
                "x_scale": p.x_scale,
                "series": [
                    {
                        "label": s.label,
                        "style": s.style,
                        "x": list(s.x),
                        "y": list(s.y),
                        "y_low": list(s.y_low),
                        "y_high": list(s.y_high),
                    }
                    for s in p.series
                ],
                "references": [
                    {"label": r.label, "value": r.value, "low": r.low, "high": r.high}
                    for r in p.references
                ],
            }
            for p in plot.panels
        ],
    }
