"""The data behind each plot of a run, checked against numbers worked out by hand.

95% Student-t intervals: for three repeats t(0.975, 2) = 4.302653, so values 90/100/110
(sd 10) give 100 ± 4.302653 * 10 / sqrt(3) = 100 ± 24.8414.
"""

from __future__ import annotations

import pytest

from aisbench.report.case_data import CEILING_COLOR
from aisbench.report.plot_data import (
    accel_utilization_vs_workers,
    latency_cdf,
    run_plots,
    throughput_by_case,
    throughput_vs_size,
    throughput_vs_workers,
    time_to_first_batch,
)
from aisbench.report.plot_model import Panel, PlotData, PlotSkipped, Series
from aisbench.report.series import CDF_MAX_POINTS
from aisbench.results.schema import RunRecord
from tests.unit.report.sample_runs import (
    case,
    measurement,
    provenance,
    sizes_run,
    strategies_run,
    workers_run,
)

HALF_WIDTH_SD10_N3 = 4.302653 * 10 / 3**0.5  # 24.8414


def drawn(outcome: PlotData | PlotSkipped) -> PlotData:
    assert isinstance(outcome, PlotData), f"expected a plot, got skipped: {outcome}"
    return outcome


def series(panel: Panel, label: str) -> Series:
    return next(s for s in panel.series if s.label == label)


def test_workers_plot_has_one_line_per_strategy_with_the_mean_at_each_worker_count():
    panel = drawn(throughput_vs_workers(workers_run())).panels[0]

    assert [s.label for s in panel.series] == ["aisref-map", "aisref-iter"]
    assert series(panel, "aisref-map").x == (0.0, 2.0, 4.0)
    assert series(panel, "aisref-map").y == pytest.approx((100, 200, 300))
    assert series(panel, "aisref-iter").y == pytest.approx((150, 250, 350))


def test_workers_plot_error_bars_are_the_95_percent_t_interval_of_the_mean():
    map_line = series(drawn(throughput_vs_workers(workers_run())).panels[0], "aisref-map")

    assert map_line.y_low[0] == pytest.approx(100 - HALF_WIDTH_SD10_N3, abs=1e-3)
    assert map_line.y_high[0] == pytest.approx(100 + HALF_WIDTH_SD10_N3, abs=1e-3)
    # 280/300/320: sd 20, twice as wide.
    assert map_line.y_high[2] == pytest.approx(300 + 2 * HALF_WIDTH_SD10_N3, abs=1e-3)


def test_a_single_repeat_has_no_interval_and_identical_repeats_a_zero_width_one():
    iter_line = series(drawn(throughput_vs_workers(workers_run())).panels[0], "aisref-iter")

    assert (iter_line.y_low[0], iter_line.y_high[0]) == (150, 150)  # 150, 150, 150
    assert (iter_line.y_low[2], iter_line.y_high[2]) == (None, None)  # one repeat: 350


def test_workers_plot_second_panel_is_mib_per_s_from_the_same_repeats():
    plot = drawn(throughput_vs_workers(workers_run()))

    assert [p.y_label for p in plot.panels] == [
        "throughput (samples/s)",
        "throughput (MiB/s)",
    ]
    # 16 KiB samples: MiB/s = samples/s / 64.
    assert series(plot.panels[1], "aisref-map").y == pytest.approx((100 / 64, 200 / 64, 300 / 64))


def test_the_aisloader_ceiling_is_a_reference_line_not_a_strategy_line():
    panel = drawn(throughput_vs_workers(workers_run())).panels[0]

    assert all("aisloader" not in s.label for s in panel.series)
    (ceiling,) = panel.references
    # Pooled over the three num_workers cases: 1000/1100/1200 x 3, sd 86.60, t(0.975, 8) 2.306.
    half = 2.306004 * (7500**0.5) / 3
    assert ceiling.label == "aisloader ceiling"
    assert ceiling.value == pytest.approx(1100)
    assert (ceiling.low, ceiling.high) == pytest.approx((1100 - half, 1100 + half), abs=1e-3)
    assert ceiling.color == CEILING_COLOR


def test_skipped_and_failed_cases_are_not_plotted():
    labels = {s.label for p in drawn(throughput_by_case(workers_run())).panels for s in p.series}

    assert labels == {"aisref-map", "aisref-iter"}


def test_the_warmup_is_never_averaged_in():
    # Every sample case has a warmup of 1 sample/s; a mean of exactly 100 shows it was left out.
    panel = drawn(throughput_by_case(workers_run())).panels[0]

    assert series(panel, "aisref-map").y[0] == pytest.approx(100)


def test_workers_plot_is_skipped_with_the_reason_when_the_run_has_no_workers_axis():
    outcome = throughput_vs_workers(strategies_run())

    assert isinstance(outcome, PlotSkipped)
    assert "does not vary num_workers" in outcome.reason
    assert "strategy" in outcome.reason


def test_workers_plot_is_skipped_when_num_workers_takes_one_value():
    run = workers_run()
    only_two = RunRecord(run.run_id, run.scenario, run.provenance,
                         tuple(c for c in run.cases if c.params["num_workers"] == 2))

    outcome = throughput_vs_workers(only_two)

    assert isinstance(outcome, PlotSkipped)
    assert "only one value (2)" in outcome.reason


def test_every_plot_is_skipped_when_nothing_was_measured():
    run = workers_run()
    failed = RunRecord(run.run_id, run.scenario, run.provenance,
                       tuple(c for c in run.cases if c.status != "ok"))

    outcomes = run_plots(failed)

    assert all(isinstance(o, PlotSkipped) for o in outcomes)
    assert "1 skipped, 1 failed" in outcomes[0].reason  # type: ignore[union-attr]


def test_size_plot_puts_samples_per_shard_on_a_log2_axis_with_the_ceiling_as_a_dashed_line():
    plot = drawn(throughput_vs_size(sizes_run()))
    panel = plot.panels[0]

    assert plot.title == "shard-sizes-demo: throughput vs samples per shard"
    assert panel.x_scale == "log2"
    assert panel.x_ticks == ((16.0, "16"), (64.0, "64"), (256.0, "256"))
    assert series(panel, "aisref-shards").y == pytest.approx((400, 500, 600))
    ceiling = series(panel, "aisloader ceiling")
    assert ceiling.style == "ceiling"
    assert ceiling.y == pytest.approx((900, 1000, 1100))


def test_size_plot_labels_object_sizes_in_binary_units():
    run_id, scenario = "20261123T203000-eeeeee", "object-sizes"
    cases = tuple(
        case(run_id, scenario, "aisref-map", {"object_size": size},
             [measurement(100, sample_bytes=size), measurement(110, sample_bytes=size)])
        for size in (4096, 16384, 65536)
    )
    panel = drawn(throughput_vs_size(RunRecord(run_id, scenario, provenance(), cases))).panels[1]

    assert panel.x_label == "object size (bytes)"
    assert [label for _, label in panel.x_ticks] == ["4KiB", "16KiB", "64KiB"]
    assert series(panel, "aisref-map").y == pytest.approx(
        tuple(105 * size / 2**20 for size in (4096, 16384, 65536))
    )


def test_latency_cdf_has_a_panel_per_worker_count_and_a_line_per_strategy():
    plot = drawn(latency_cdf(workers_run()))

    assert [p.title for p in plot.panels] == ["num_workers=0", "num_workers=2", "num_workers=4"]
    assert [s.label for s in plot.panels[0].series] == ["aisref-map", "aisref-iter"]


def test_latency_cdf_pools_the_repeats_and_rises_to_one_in_milliseconds():
    map_line = drawn(latency_cdf(workers_run())).panels[0].series[0]
    waits = sorted(v * 1e3 for c in workers_run().cases[:1] for m in c.repeats
                   for v in m.batch_latencies_s)

    assert len(map_line.x) == 150  # 3 repeats x 50 batches
    assert map_line.x == pytest.approx(tuple(waits))
    assert map_line.y[0] == pytest.approx(1 / 150)
    assert map_line.y[-1] == 1.0


def test_latency_cdf_thins_long_series_but_keeps_both_ends():
    run_id = "20261123T204000-ffffff"
    waits = [i / 1000 for i in range(1, 2001)]
    one = case(run_id, "long", "aisref-iter", {"strategy": "aisref-iter"},
               [measurement(100, latencies=waits)])

    line = drawn(latency_cdf(RunRecord(run_id, "long", provenance(), (one,)))).panels[0].series[0]

    assert len(line.x) == CDF_MAX_POINTS
    assert (line.x[0], line.y[0]) == pytest.approx((1.0, 1 / 2000))
    assert (line.x[-1], line.y[-1]) == pytest.approx((2000.0, 1.0))


def test_accelerator_utilisation_is_in_percent_with_the_mlperf_90_percent_line():
    panel = drawn(accel_utilization_vs_workers(workers_run())).panels[0]

    # busy samples/400 of each 1 s window: 100 samples/s -> 25%.
    assert series(panel, "aisref-map").y == pytest.approx((25, 50, 75))
    (target,) = panel.references
    assert target.value == 90
    assert "MLPerf" in target.label


def test_accelerator_plot_is_skipped_when_no_accelerator_was_emulated():
    outcome = accel_utilization_vs_workers(workers_run(accel=False))

    assert isinstance(outcome, PlotSkipped)
    assert "compute_ms_per_batch" in outcome.reason


def test_time_to_first_batch_has_a_bar_per_loader_case_grouped_by_strategy():
    panel = drawn(time_to_first_batch(workers_run())).panels[0]

    assert panel.categories == (
        "strategy=aisref-map, num_workers=0",
        "strategy=aisref-map, num_workers=2",
        "strategy=aisref-map, num_workers=4",
        "strategy=aisref-iter, num_workers=0",
        "strategy=aisref-iter, num_workers=2",
        "strategy=aisref-iter, num_workers=4",
    )
    assert series(panel, "aisref-map").y == pytest.approx((0.2, 0.4, 0.6))


def test_each_strategy_keeps_its_colour_across_the_plots_of_a_run():
    run = workers_run()
    colours = [
        {s.label: s.color for s in drawn(build(run)).panels[0].series}
        for build in (throughput_by_case, throughput_vs_workers, accel_utilization_vs_workers)
    ]

    assert colours[0] == colours[1] == colours[2]
    assert colours[0]["aisref-map"] != colours[0]["aisref-iter"]


def test_every_plot_title_names_the_scenario():
    for outcome in run_plots(workers_run(), prefix="w-"):
        assert outcome.title.startswith("workers-demo: ")
        assert outcome.name.startswith("w-")
