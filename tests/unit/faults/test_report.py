"""The faults report in Markdown shows only what ran, and says when the rule was broken."""

from __future__ import annotations

from aisbench.faults.report import faults_markdown
from aisbench.faults.report_content import report_content
from aisbench.faults.soak import SoakSeries
from aisbench.results import FaultOutcome
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


def _markdown(outcomes: list[FaultOutcome], soaks: list[SoakSeries] | None = None) -> str:
    return faults_markdown(report_content(fault_record(outcomes), soaks or []))


def test_report_has_one_row_per_outcome_under_its_fault() -> None:
    text = _markdown([outcome(baseline_s=0.25)])
    assert "The 1 fault run kept the rule" in text
    assert "## target SIGKILL" in text
    assert ("| AISIterDataset | 0 | completed exactly once | 48/48 | 0 | 0 | 1 | 0.50 | 0.25 "
            "| 2.00x |  |  |") in text


def test_report_leads_with_violations() -> None:
    text = _markdown([outcome(), outcome("VIOLATION: gap", dataset="B", retries=None)])
    assert "**1 of 2 fault runs VIOLATED the rule" in text
    assert "- VIOLATION: target SIGKILL / B / 0 workers: VIOLATION: gap" in text
    assert "| n/a |" in text


def test_report_lists_skipped_runs_with_their_reason() -> None:
    text = _markdown([outcome(), skipped()])
    assert "**1 run skipped, counted neither as passes nor as failures:**" in text
    assert f"- **{NETEM_MISSING}**: netem loss / AISIterDataset / 0 workers" in text


def test_report_says_what_was_lost_per_fault() -> None:
    text = _markdown([outcome(), typed_error(num_workers=2)])
    assert "0 duplicates and 0 silent gaps in 2 runs; 1 stopped with a typed error" in text


def test_report_without_outcomes_says_so() -> None:
    assert "No fault outcomes found" in _markdown([])


def test_pipes_and_tags_in_errors_cannot_break_the_table() -> None:
    text = _markdown([typed_error(error="<script>alert(1)</script> a|b")])
    assert "<script>" not in text
    assert "&lt;script>alert(1)&lt;/script> a\\|b" in text


def test_soak_rows_show_growth_in_mib() -> None:
    text = _markdown([], [two_worker_soak()])
    assert "| map, 2 workers | 25 | 11 | 2 | 101.0 | 102.5 | 1.50 | 1 |" in text


def test_missing_soak_is_stated() -> None:
    assert "No soak was run" in _markdown([outcome()])


def test_run_meta_titles_the_report_and_a_partial_run_says_so() -> None:
    text = faults_markdown(report_content(fault_record([outcome()], finished=None), []))
    assert text.startswith("# Faults report: faults-smoke — run r1")
    assert "- finished: did not finish" in text


def test_each_kind_of_failure_is_listed_with_its_run() -> None:
    text = _markdown([outcome(), outcome("VIOLATION: gap", dataset="B"), not_exercised(),
                      harness_error()])
    assert "- VIOLATION: target SIGKILL / B / 0 workers: VIOLATION: gap" in text
    assert ("- NOT EXERCISED: target SIGKILL, restarted / AISIterDataset / 0 workers: "
            "NOT EXERCISED: no request reached the killed target") in text
    assert f"- HARNESS ERROR: HARNESS ERROR / step 3 / 0 workers: {HARNESS_ERROR_TEXT}" in text
    assert "kept the rule" not in text


def test_a_failed_run_has_its_outcome_in_bold_and_its_loss_line_too() -> None:
    text = _markdown([not_exercised()])
    assert "| **NOT EXERCISED: no request reached the killed target** |" in text
    assert "**0 duplicates and 0 silent gaps in 1 run; 1 NOT EXERCISED" in text


def test_a_run_stopped_early_says_why_before_the_verdict() -> None:
    text = faults_markdown(report_content(
        fault_record([outcome()], finished=None, stopped="interrupted (SIGTERM)"), []))
    stopped = text.index("**did not finish: interrupted (SIGTERM); this report shows the 1 "
                         "fault run recorded so far**")
    assert stopped < text.index("kept the rule")


def test_an_unreadable_soak_series_is_named_in_the_soak_section() -> None:
    content = report_content(fault_record([outcome()]), [],
                             ["soak series unreadable: 002-soak: not a soak series (x)"])
    text = faults_markdown(content)
    assert "- **soak series unreadable: 002-soak: not a soak series (x)**" in text
    assert "No soak was run" not in text
