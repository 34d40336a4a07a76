"""The data behind the comparison and history plots."""

from __future__ import annotations

import pytest

from aisbench.analysis.compare import CaseComparison, Comparison
from aisbench.report.compare_plots import (
    VERDICT_COLORS,
    HistorySeries,
    comparison_ratios,
    history_trend,
)
from aisbench.report.plot_model import PlotData, PlotSkipped
from aisbench.results.store import HistoryPoint


def comparison(*cases: CaseComparison) -> Comparison:
    return Comparison(
        base_run_id="20261122T100000-aaaaaa",
        current_run_id="20261123T100000-bbbbbb",
        scenario="regression",
        metric="samples_per_s",
        unit="samples/s",
        higher_is_better=True,
        threshold=0.05,
        alpha=0.05,
        cases=cases,
    )


SLOWER = CaseComparison("strategy=a", "slower", 100.0, 80.0, 0.8, 0.75, 0.85, 0.001, 5, 5)
FASTER = CaseComparison("strategy=b", "faster", 100.0, 120.0, 1.2, 1.1, 1.3, 0.002, 5, 5)
SAME = CaseComparison("strategy=c", "unchanged", 100.0, 101.0, 1.01, 0.97, 1.05, 0.6, 5, 5)
FAILED = CaseComparison("strategy=d", "failed", 100.0, reason="boom")


def test_each_case_is_a_bar_of_its_percent_change_with_the_ratio_interval():
    plot = comparison_ratios(comparison(SLOWER, FASTER, SAME))
    assert isinstance(plot, PlotData)
    bars = {s.label: s for s in plot.panels[0].series}

    assert bars["slower"].x == ("strategy=a",)
    assert bars["slower"].y == pytest.approx((-20.0,))
    assert (bars["slower"].y_low, bars["slower"].y_high) == (
        pytest.approx((-25.0,)),
        pytest.approx((-15.0,)),
    )
    assert bars["faster"].y == pytest.approx((20.0,))
    assert bars["unchanged"].y == pytest.approx((1.0,))


def test_regressions_are_drawn_in_their_own_colour():
    plot = comparison_ratios(comparison(SLOWER, FASTER, SAME))
    assert isinstance(plot, PlotData)
    colours = {s.label: s.color for s in plot.panels[0].series}

    assert colours["slower"] == VERDICT_COLORS["slower"]
    assert len(set(colours.values())) == 3


def test_the_threshold_is_shaded_around_no_change():
    plot = comparison_ratios(comparison(SLOWER))
    assert isinstance(plot, PlotData)

    (reference,) = plot.panels[0].references
    assert (reference.value, reference.low, reference.high) == (0.0, -5.0, 5.0)


def test_cases_without_a_ratio_are_named_in_the_caption():
    plot = comparison_ratios(comparison(SLOWER, FAILED))
    assert isinstance(plot, PlotData)

    assert "strategy=d (failed)" in plot.caption
    assert "strategy=d" not in plot.panels[0].categories


def test_comparison_plot_is_skipped_when_no_case_has_a_ratio():
    outcome = comparison_ratios(comparison(FAILED))

    assert isinstance(outcome, PlotSkipped)
    assert "strategy=d: failed" in outcome.reason


def history(count: int, shas: list[str | None] | None = None) -> HistorySeries:
    shas = shas or [f"{i}" * 40 for i in range(count)]
    points = tuple(
        HistoryPoint(f"2026112{i}T100000-abcdef", shas[i], f"2026-11-2{i}T10:00:00+00:00",
                     100.0 + i)
        for i in range(count)
    )
    return HistorySeries("regression", "strategy=a", "samples_per_s", points)


def test_history_is_one_point_per_run_oldest_first_labelled_by_short_commit():
    plot = history_trend(history(3))
    assert isinstance(plot, PlotData)
    panel = plot.panels[0]

    assert panel.series[0].y == (100.0, 101.0, 102.0)
    assert [label for _, label in panel.x_ticks] == ["00000000", "11111111", "22222222"]
    assert panel.y_label == "samples_per_s (samples/s)"


def test_history_labels_a_run_without_commit_by_its_run_id():
    plot = history_trend(history(2, shas=[None, "f" * 40]))
    assert isinstance(plot, PlotData)

    assert [label for _, label in plot.panels[0].x_ticks] == ["20261120T100000-abcdef", "ffffffff"]


def test_history_of_one_run_is_skipped():
    outcome = history_trend(history(1))

    assert isinstance(outcome, PlotSkipped)
    assert "needs 2" in outcome.reason
