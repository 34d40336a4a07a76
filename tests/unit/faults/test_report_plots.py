"""The faults report's plots carry exactly the numbers they were made from."""

from __future__ import annotations

from aisbench.faults.report_plots import (
    OUTCOME_COLORS,
    epoch_ticks,
    fault_cost_plot,
    soak_fds_plot,
    soak_rss_plot,
)
from aisbench.report.plot_model import PlotData, PlotSkipped, plot_to_dict
from aisbench.results import NOT_EXERCISED
from tests.unit.faults.sample_fault_runs import (
    not_exercised,
    outcome,
    skipped,
    two_worker_soak,
    typed_error,
)


def test_soak_rss_is_one_line_per_worker_in_mib_by_epoch() -> None:
    plot = soak_rss_plot([two_worker_soak()])
    assert isinstance(plot, PlotData)
    panel, = plot_to_dict(plot)["panels"]
    assert panel["title"] == "map, 2 workers"
    assert [(s["label"], s["x"], s["y"]) for s in panel["series"]] == [
        ("worker pid 11", [0.0, 1.0, 2.0], [100.0, 101.0, 102.5]),
        ("worker pid 12", [0.0, 1.0, 2.0], [200.0, 200.0, 200.0]),
    ]


def test_soak_fds_is_one_line_per_worker_by_epoch() -> None:
    plot = soak_fds_plot([two_worker_soak()])
    assert isinstance(plot, PlotData)
    assert [s.y for s in plot.panels[0].series] == [(10.0, 11.0, 12.0), (8.0, 8.0, 8.0)]


def test_each_soaked_loader_gets_its_own_panel() -> None:
    plot = soak_rss_plot([two_worker_soak("map"), two_worker_soak("iterable")])
    assert isinstance(plot, PlotData)
    assert [p.title for p in plot.panels] == ["map", "iterable"]


def test_soak_plots_are_skipped_without_a_soak() -> None:
    plot = soak_rss_plot([])
    assert isinstance(plot, PlotSkipped)
    assert plot.reason == "no soak was run"


def test_fault_cost_is_the_seconds_added_per_dataset_and_workers_grouped_by_fault() -> None:
    plot = fault_cost_plot([
        outcome(duration_s=1.5, baseline_s=0.5),
        typed_error(num_workers=2, duration_s=0.25, baseline_s=0.5),
        outcome(fault="freeze", duration_s=2.0, baseline_s=0.5),
        outcome(fault="freeze", dataset="no baseline"),
    ])
    assert isinstance(plot, PlotData)
    sigkill, freeze = plot_to_dict(plot)["panels"]
    assert [(s["label"], s["x"], s["y"]) for s in sigkill["series"]] == [
        ("completed", ["AISIterDataset, 0 workers"], [1.0]),
        ("typed error", ["AISIterDataset, 2 workers"], [-0.25]),  # stopped early: cheaper
    ]
    assert freeze["series"][0]["y"] == [1.5]
    assert sigkill["y_label"] == "seconds over the clean epoch"


def test_fault_cost_is_skipped_when_no_run_had_a_baseline() -> None:
    plot = fault_cost_plot([outcome(), skipped(baseline_s=1.0)])
    assert isinstance(plot, PlotSkipped)
    assert "baseline" in plot.reason


def test_epoch_ticks_are_whole_epochs_thinned_when_many() -> None:
    assert epoch_ticks([0, 1, 2]) == ((0.0, "0"), (1.0, "1"), (2.0, "2"))
    assert [label for _, label in epoch_ticks(list(range(30)), most=10)] == \
        [str(e) for e in range(0, 30, 3)]


def test_a_fault_never_felt_is_its_own_colour_in_the_cost_plot() -> None:
    plot = fault_cost_plot([
        outcome(fault="f", duration_s=1.0, baseline_s=1.0),
        not_exercised(fault="f", dataset="B", duration_s=1.0, baseline_s=1.0),
    ])
    assert isinstance(plot, PlotData)
    series = {s.label: s for s in plot.panels[0].series}
    assert series[NOT_EXERCISED].x == ("B, 0 workers",)
    assert series[NOT_EXERCISED].color == OUTCOME_COLORS[NOT_EXERCISED]
    assert len(set(OUTCOME_COLORS.values())) == len(OUTCOME_COLORS)
