"""The faults report on disk: one self-contained page, its Markdown twin and the plot files."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from aisbench.faults.report_html import write_faults_report
from aisbench.faults.soak import SOAK_SERIES
from aisbench.results import SKIPPED
from tests.unit.faults.sample_fault_runs import (
    HARNESS_ERROR_TEXT,
    NETEM_MISSING,
    fault_record,
    harness_error,
    not_exercised,
    outcome,
    skipped,
    two_worker_soak,
    typed_error,
)


def test_writes_page_markdown_and_every_plot_file(tmp_path: Path) -> None:
    directory = fault_record([outcome(baseline_s=0.25), typed_error(num_workers=2)],
                        [two_worker_soak()])
    files = write_faults_report(directory, tmp_path)
    assert files.html == tmp_path / "index.html"
    assert files.markdown == tmp_path / "faults.md"
    assert sorted(p.plot.name for p in files.plots) == ["fault-cost", "soak-fds", "soak-rss"]
    assert files.skipped_plots == ()
    assert all(path.is_file() for path in files.paths)
    assert len(files.paths) == 2 + 3 * 3


def test_page_is_self_contained(tmp_path: Path) -> None:
    files = write_faults_report(fault_record([outcome(baseline_s=0.25)],
                                        [two_worker_soak()]), tmp_path)
    page = files.html.read_text()
    assert page.count('<img src="data:image/png;base64,') == 3
    assert "<script" not in page
    assert 'src="http' not in page and "<link" not in page


def test_soak_rss_sidecar_holds_the_plotted_mib(tmp_path: Path) -> None:
    write_faults_report(fault_record([outcome()], [two_worker_soak()]), tmp_path)
    sidecar = json.loads((tmp_path / "plots" / "soak-rss.json").read_text())
    assert [(s["label"], s["x"], s["y"]) for s in sidecar["panels"][0]["series"]] == [
        ("worker pid 11", [0, 1, 2], [100.0, 101.0, 102.5]),
        ("worker pid 12", [0, 1, 2], [200.0, 200.0, 200.0]),
    ]


def test_verdict_banner_comes_first_and_states_the_rule(tmp_path: Path) -> None:
    page = write_faults_report(fault_record([outcome()]), tmp_path).html.read_text()
    banner = page.index('id="verdict"')
    assert banner < page.index("<h2")
    assert "The 1 fault run kept the rule: every epoch completed with every sample exactly " \
        "once, or stopped with a typed error naming the object and the node." in page


def test_violations_are_named_in_the_banner(tmp_path: Path) -> None:
    bad = outcome("VIOLATION: error does not name the node", dataset="AISMapDataset")
    page = write_faults_report(fault_record([outcome(), bad]), tmp_path).html.read_text()
    assert "1 of 2 fault runs VIOLATED the rule" in page
    assert "target SIGKILL / AISMapDataset / 0 workers: <strong>VIOLATION: error does not " \
        "name the node</strong>" in page
    assert 'class="callout verdict warn"' in page


def test_skipped_runs_show_their_reason_and_are_not_counted(tmp_path: Path) -> None:
    page = write_faults_report(fault_record([outcome(), skipped()]), tmp_path).html.read_text()
    assert "The 1 fault run kept the rule" in page
    assert f"<strong>{NETEM_MISSING}</strong>: netem loss / AISIterDataset / 0 workers" in page
    assert f"<td>{SKIPPED}</td>" in page


def test_partial_run_renders_and_says_it_did_not_finish(tmp_path: Path) -> None:
    record = fault_record([outcome()], finished=None)
    page = write_faults_report(record, tmp_path).html.read_text()
    assert "faults-smoke" in page and "r1" in page and "local: 1 proxy, 2 targets" in page
    assert "did not finish" in page


def test_errors_are_escaped_in_page_and_markdown(tmp_path: Path) -> None:
    files = write_faults_report(fault_record([
        typed_error(error="<script>alert(1)</script> a|b")]), tmp_path)
    page = files.html.read_text()
    assert "<script>" not in page
    assert "ObjectNotFound: &lt;script&gt;alert(1)&lt;/script&gt; a|b" in page
    assert "a\\|b" in files.markdown.read_text()


def test_without_a_soak_the_page_says_none_was_run_and_plots_say_why(tmp_path: Path) -> None:
    files = write_faults_report(fault_record([outcome()]), tmp_path)
    page = files.html.read_text()
    assert "No soak was run in this faults run" in page
    assert {(p.name, p.reason) for p in files.skipped_plots} >= {
        ("soak-rss", "no soak was run"), ("soak-fds", "no soak was run")}
    assert "Plots not drawn" in page
    assert "no fault run measured a baseline epoch" in page


def test_nothing_lost_line_is_on_the_page(tmp_path: Path) -> None:
    page = write_faults_report(fault_record([outcome(), typed_error(num_workers=2)]), tmp_path
                               ).html.read_text()
    assert "0 duplicates and 0 silent gaps in 2 runs; 1 stopped with a typed error" in page


def test_each_kind_of_failure_has_its_own_row_style(tmp_path: Path) -> None:
    page = write_faults_report(fault_record([
        outcome(), outcome("VIOLATION: gap", dataset="B"), not_exercised(), harness_error(),
    ]), tmp_path).html.read_text()
    assert page.count('<tr class="violation">') == 1
    assert page.count('<tr class="not-exercised">') == 1
    assert page.count('<tr class="harness-error">') == 1
    assert "tr.not-exercised td" in page and "tr.harness-error td" in page


def test_banner_names_runs_never_felt_and_the_harness_error(tmp_path: Path) -> None:
    page = write_faults_report(fault_record([outcome(), not_exercised(), harness_error()]), tmp_path
                               ).html.read_text()
    assert 'class="callout verdict warn"' in page
    assert "1 fault was never felt (NOT EXERCISED): nothing proven." in page
    assert "The suite STOPPED on a harness error: HARNESS ERROR: NodeNotReady" in page
    assert (f"HARNESS ERROR / step 3 / 0 workers: <strong>{HARNESS_ERROR_TEXT}</strong>"
            in page)
    assert "kept the rule" not in page


def test_a_section_whose_fault_was_never_felt_is_not_shown_as_kept(tmp_path: Path) -> None:
    page = write_faults_report(fault_record([not_exercised()]), tmp_path).html.read_text()
    assert '<p class="unproven">0 duplicates and 0 silent gaps in 1 run; 1 NOT EXERCISED' in page
    assert '<p class="kept">' not in page


def test_a_run_stopped_early_says_so_above_the_verdict(tmp_path: Path) -> None:
    record = fault_record([outcome(), harness_error()], finished=None, stopped="harness error")
    page = write_faults_report(record, tmp_path).html.read_text()
    stopped = page.index('id="stopped"')
    assert stopped < page.index('id="verdict"')
    assert "did not finish: harness error; this report shows the 2 fault runs recorded so far" \
        in page


def test_an_unreadable_soak_series_is_named_and_the_rest_still_renders(tmp_path: Path) -> None:
    record = fault_record([outcome()], [two_worker_soak()])
    broken = fault_record([], [two_worker_soak("iter, 2 workers")]).cases[0]
    broken = replace(broken, case_id="009-soak-iter", extra={SOAK_SERIES: {"label": "iter"}})
    files = write_faults_report(replace(record, cases=(*record.cases, broken)), tmp_path)
    page = files.html.read_text()
    assert ("soak series unreadable: 009-soak-iter: not a soak series (KeyError: "
            in page)
    assert "<td>map, 2 workers</td>" in page
    assert "soak series unreadable: 009-soak-iter" in files.markdown.read_text()


def test_only_unreadable_soak_series_do_not_claim_no_soak_ran(tmp_path: Path) -> None:
    record = fault_record([outcome()], [two_worker_soak()])
    soak = replace(record.cases[-1], extra={SOAK_SERIES: []})
    page = write_faults_report(replace(record, cases=(record.cases[0], soak)),
                               tmp_path).html.read_text()
    assert f"soak series unreadable: {soak.case_id}: not a soak series" in page
    assert "No soak was run" not in page
