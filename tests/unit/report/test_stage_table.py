"""Where the time goes in the report: the stage rows, the stage table and the stacked bars."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from aisbench.report.content import PlotSection, ReportContent, RunSection
from aisbench.report.html import render_html
from aisbench.report.markdown import render_markdown
from aisbench.report.plot_data import STAGE_LABELS, run_plots, time_by_stage
from aisbench.report.plot_model import PlotData, PlotSkipped
from aisbench.report.plots import draw_plot
from aisbench.report.stage_table import setup_cells, stage_cells, stage_columns, stage_rows
from aisbench.results import StageTimes
from tests.unit.report.sample_runs import workers_run
from tests.unit.results.samples import sample_record

CASE = "strategy=aisref-map,num_workers=2"


def test_a_case_has_a_consumer_a_workers_and_a_threads_row_in_us_per_sample():
    consumer, workers, threads = stage_rows(sample_record().cases)
    # the sample's one repeat with stages: 2000 samples in 2.0 s, two workers
    assert (consumer.case_id, consumer.timeline, workers.timeline) == (CASE, "consumer",
                                                                        "workers")
    assert consumer.us_per_sample["outside"] == pytest.approx(625.0)
    assert consumer.us_per_sample["compute"] == pytest.approx(250.0)
    assert consumer.total_us == pytest.approx(1000.0)  # = 1 / samples/s
    assert workers.us_per_sample["receive"] == pytest.approx(500.0)
    assert workers.total_us == pytest.approx(2000.0)  # = 2 workers / samples/s
    assert dict(threads.us_per_sample) == {"pickle": pytest.approx(125.0)}  # overlapping
    assert threads.label == f"{CASE.replace(',', ', ')} [other threads]"


def test_repeats_with_stages_are_averaged_per_sample():
    record = sample_record()
    case = record.cases[0]
    first = case.repeats[0]
    assert first.stages is not None
    doubled = replace(first.stages, main_s={k: 2 * v for k, v in first.stages.main_s.items()})
    case = replace(case, repeats=(first, replace(first, stages=doubled)))
    consumer = stage_rows([case])[0]
    assert consumer.us_per_sample["outside"] == pytest.approx((625.0 + 1250.0) / 2)


def test_stage_cells_say_not_measured_and_leave_absent_stages_blank():
    case = sample_record().cases[0]
    first = case.repeats[0]
    assert first.stages is not None
    sdk = replace(first.stages, not_measured=("receive",))
    rows = stage_rows([replace(case, repeats=(replace(first, stages=sdk),))])
    columns = stage_columns(rows)
    cells = stage_cells(rows[0], columns)
    assert cells[:2] == [CASE, "consumer"]
    assert cells[2 + columns.index("receive")] == "not measured"
    assert cells[2 + columns.index("first_byte")] == "-"  # a worker stage, not the consumer's
    assert cells[-1] == "1,000"


def test_time_by_stage_stacks_each_case_consumer_and_workers():
    plot = time_by_stage(sample_record())
    assert isinstance(plot, PlotData)
    consumer, workers, threads = plot.panels
    assert consumer.kind == workers.kind == threads.kind == "stacked"
    assert sum(s.y[0] for s in consumer.series) == pytest.approx(1000.0)
    assert sum(s.y[0] for s in workers.series) == pytest.approx(2000.0)
    assert workers.categories == (f"{CASE.replace(',', ', ')} [2 workers]",)
    assert [s.label for s in consumer.series][:2] == [STAGE_LABELS["outside"], "collate"]


def test_time_by_stage_names_what_a_loader_does_not_measure():
    case = sample_record().cases[0]
    stages = StageTimes(main_s={"outside": 1.0, "collate": 1.0},
                        not_measured=("listing", "first_byte"))
    run = replace(sample_record(), cases=(
        replace(case, repeats=(replace(case.repeats[0], stages=stages),)),))
    plot = time_by_stage(run)
    assert isinstance(plot, PlotData)
    assert "aisref-map (listing, first_byte)" in plot.caption


def test_time_by_stage_is_skipped_with_why_when_no_case_measured_stages():
    outcome = time_by_stage(workers_run())
    assert isinstance(outcome, PlotSkipped)
    assert "format 3" in outcome.reason
    assert any(o.name == "time-by-stage" for o in run_plots(workers_run()))


def test_the_stacked_plot_draws_to_files(tmp_path: Path):
    plot = time_by_stage(sample_record())
    assert isinstance(plot, PlotData)
    drawn = draw_plot(plot, tmp_path)
    assert drawn.png.stat().st_size > 0 and drawn.svg.stat().st_size > 0


def test_setup_cells_give_the_construction_and_its_listing_once_per_case():
    case = sample_record().cases[0]
    timed = replace(case, extra={"setup_s": 0.25, "setup_stages_s": {"listing": 0.125},
                                 "setup_not_measured": []})
    sdk = replace(case, case_id="sdk", extra={"setup_s": 0.5, "setup_stages_s": {},
                                              "setup_not_measured": ["listing"]})
    assert setup_cells([timed, sdk]) == [[CASE, "0.250", "0.125"],
                                         ["sdk", "0.500", "not measured"]]
    assert setup_cells(sample_record().cases) == []  # runs before setup was recorded


def test_markdown_and_html_have_the_stage_table(tmp_path: Path):
    record = sample_record()
    first = replace(record.cases[0], extra={"setup_s": 0.25, "setup_stages_s": {"listing": 0.1}})
    record = replace(record, cases=(first, *record.cases[1:]))
    section = RunSection(record, rows=(), plots=PlotSection())
    content = ReportContent(title="t", generated_at="2026-11-26T00:00:00+00:00",
                            runs=(section,))
    markdown = render_markdown(content)
    assert "**Where the time goes** (µs per sample)" in markdown
    assert f"| {CASE} | consumer |" in markdown and f"| {CASE} | 2 workers |" in markdown
    assert f"| {CASE} | other threads |" in markdown
    assert f"| {CASE} | 0.250 | 0.100 |" in markdown
    html = render_html(content, tmp_path)
    assert 'id="stages"' in html and "<td class=\"num\">1,000</td>" in html
    assert "Loader setup, once per case" in html
