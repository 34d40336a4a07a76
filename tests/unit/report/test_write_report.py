"""write_report: the files it writes, and what the page, summary and data say."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest

from aisbench.analysis.compare import compare_runs
from aisbench.analysis.tune import Recommendation
from aisbench.report import HistorySeries, ReportError, ReportFiles, write_report
from aisbench.report.plot_model import plot_to_dict
from aisbench.results.schema import run_from_dict
from aisbench.results.store import HistoryPoint
from tests.unit.report.sample_runs import sizes_run, strategies_run, workers_run

RECOMMENDATION = Recommendation(
    value=2,
    best_value=4,
    best_throughput=300.0,
    threshold=285.0,
    explanation="num_workers=2 is recommended: it is within 5% of the best.",
)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> ReportFiles:
    base = workers_run()
    current = workers_run("20261123T210000-dddddd", scale=0.85)
    history = HistorySeries(
        "workers-demo",
        "strategy=aisref-map,num_workers=2",
        "samples_per_s",
        tuple(
            HistoryPoint(f"2026112{i}T100000-aaaaaa", f"{i}" * 40, f"2026-11-2{i}", 200.0 - i)
            for i in range(3)
        ),
    )
    return write_report(
        [current, sizes_run()],
        tmp_path_factory.mktemp("report"),
        comparison=compare_runs(base, current, resamples=500),
        recommendation=RECOMMENDATION,
        history=history,
    )


def test_every_drawn_plot_has_a_png_an_svg_and_a_sidecar_of_its_data(report: ReportFiles):
    # workers run 5 (no size axis), sizes run 4 (no workers, no accelerator), comparison, history
    assert len(report.plots) == 5 + 4 + 1 + 1
    for drawn in report.plots:
        assert drawn.png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert "<svg" in drawn.svg.read_text()[:2000]
        assert json.loads(drawn.data.read_text()) == json.loads(
            json.dumps(plot_to_dict(drawn.plot))
        )


def test_the_report_lists_the_plots_the_data_could_not_support(report: ReportFiles):
    reasons = {p.name: p.reason for p in report.skipped_plots}

    assert "does not vary object_size" in reasons["workers-demo-throughput-vs-size"]
    assert "does not vary num_workers" in reasons["shard-sizes-demo-throughput-vs-workers"]


def test_the_page_embeds_every_plot_and_needs_nothing_from_the_network(report: ReportFiles):
    page = report.html.read_text()

    assert page.count('<img src="data:image/png;base64,') == len(report.plots)
    assert not re.search(r'(src|href)="(https?:)?//', page)
    assert "<script" not in page


def test_the_page_says_which_plots_were_not_drawn_and_why(report: ReportFiles):
    page = report.html.read_text()

    assert "Plots not drawn" in page
    assert "no case emulated an accelerator" in page


def test_the_page_shows_skipped_and_failed_cases_with_their_reasons(report: ReportFiles):
    page = report.html.read_text()

    assert "the aistore SDK is not installed" in page
    assert "ConnectionError: 127.0.0.1:1 refused" in page


def test_the_page_states_the_recommendation_provenance_and_comparison(report: ReportFiles):
    page = report.html.read_text()

    assert "num_workers=2 is recommended" in page
    assert "Test CPU @ 2.0GHz" in page
    assert "got slower, failed or went missing" in page


def test_the_page_tables_every_metric_of_every_case(report: ReportFiles):
    page = report.html.read_text()
    table = page[page.index('<table class="cases">'):]
    table = table[: table.index("</table>")]

    for metric in ("samples_per_s", "latency_p99_s", "peak_rss_bytes", "accel_utilization"):
        assert metric in table
    assert table.count("<tr>") == 1 + 11  # header + every case of the run


def test_markdown_summary_has_a_row_per_measured_case_and_names_what_did_not_run(
    report: ReportFiles,
):
    summary = report.markdown.read_text()

    assert summary.count("| `strategy=aisref-map,num_workers=") == 3
    assert "`strategy=requests-get,num_workers=2`: **failed**: ConnectionError" in summary
    assert "**Recommendation.** num_workers=2 is recommended" in summary
    assert "not drawn: workers-demo: throughput vs size" in summary


def test_cases_csv_has_each_case_with_mean_and_interval(report: ReportFiles):
    with report.csv.open() as file:
        rows = {row["case_id"]: row for row in csv.DictReader(file)}

    row = rows["strategy=aisref-map,num_workers=2"]
    assert float(row["samples_per_s.mean"]) == pytest.approx(170.0)
    assert float(row["samples_per_s.ci_low"]) < 170.0 < float(row["samples_per_s.ci_high"])
    assert row["param.num_workers"] == "2"
    assert rows["strategy=official-map,num_workers=2"]["status"] == "skipped"


def test_repeats_csv_has_every_window_with_the_warmup_marked(report: ReportFiles):
    with report.repeats_csv.open() as file:
        rows = [
            r
            for r in csv.DictReader(file)
            if r["case_id"] == "strategy=aisref-map,num_workers=0"
            and r["run_id"] == "20261123T210000-dddddd"
        ]

    assert [r["window"] for r in rows] == ["warmup", "0", "1", "2"]
    assert [r["warmup"] for r in rows] == ["True", "False", "False", "False"]


def test_report_json_holds_the_runs_as_stored(report: ReportFiles):
    document = json.loads(report.json.read_text())

    assert document["format"] == "aisbench-report"
    assert run_from_dict(document["runs"][1]) == sizes_run()
    assert document["recommendation"]["value"] == 2
    assert {p["png"] for p in document["plots"]} == {
        f"plots/{p.png.name}" for p in report.plots
    }


def test_a_report_needs_something_to_report(tmp_path: Path):
    with pytest.raises(ReportError, match="nothing to report"):
        write_report([], tmp_path)


def test_rewriting_a_report_replaces_plots_from_the_earlier_one(tmp_path: Path):
    write_report([workers_run()], tmp_path)

    files = write_report([strategies_run()], tmp_path)

    on_disk = {p.name for p in (tmp_path / "plots").iterdir()}
    assert on_disk == {p.name for p in files.plot_paths}
    assert not any(name.startswith("workers-demo") for name in on_disk)


def test_two_runs_of_one_scenario_get_separate_plot_files(tmp_path: Path):
    files = write_report([workers_run(), workers_run("20261123T220000-eeeeee")], tmp_path)

    names = [p.plot.name for p in files.plots]
    assert len(names) == len(set(names))
    assert any("20261123T220000-eeeeee" in name for name in names)
