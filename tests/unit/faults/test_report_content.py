"""What the faults report says: the verdict, skipped runs apart, and whether anything was lost."""

from __future__ import annotations

from aisbench.faults.report_content import (
    RULE,
    fault_sections,
    loss_line,
    outcome_row,
    report_content,
    verdict_of,
)
from aisbench.results import HARNESS_ERROR, NOT_EXERCISED, VIOLATION
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


def test_all_passing_runs_state_the_rule_they_kept() -> None:
    v = verdict_of([outcome(), typed_error(num_workers=2)])
    assert v.headline == (
        "All 2 fault runs kept the rule: every epoch completed with every sample exactly once, "
        "or stopped with a typed error naming the object and the node.")
    assert v.skipped_line == ""


def test_violations_lead_the_verdict_and_are_listed() -> None:
    bad = outcome("VIOLATION: silent gap or duplicate (3 missing, 0 duplicates, 0 unexpected)",
                  dataset="AISMapDataset", missing=3)
    v = verdict_of([outcome(), bad, skipped()])
    assert v.headline == f"1 of 2 fault runs VIOLATED the rule: {RULE}."
    assert v.violations == (bad,)


def test_skipped_runs_count_neither_as_passes_nor_violations_and_keep_their_reason() -> None:
    v = verdict_of([outcome(), skipped(), skipped(num_workers=2)])
    assert v.headline.startswith("The 1 fault run kept the rule")
    assert v.skipped_count == 2
    assert v.skipped == ((NETEM_MISSING, ("netem loss / AISIterDataset / 0 workers",
                                          "netem loss / AISIterDataset / 2 workers")),)


def test_a_run_of_only_skipped_faults_says_nothing_was_judged() -> None:
    assert verdict_of([skipped()]).headline == "No fault run was judged: all 1 were skipped."


def test_no_outcomes_at_all_says_so() -> None:
    assert verdict_of([]).headline.startswith("No fault outcomes found")


def test_loss_line_counts_typed_stops_as_not_delivered_not_lost() -> None:
    runs = [outcome(num_workers=w) for w in (0, 1, 2)] + [typed_error(num_workers=4)]
    assert loss_line(runs) == (
        "0 duplicates and 0 silent gaps in 4 runs; 1 stopped with a typed error (samples after "
        "the stop counted as not delivered, not lost silently).")


def test_missing_samples_without_an_error_are_silent_gaps() -> None:
    gap = outcome("VIOLATION: silent gap", missing=3, duplicates=2)
    section, = fault_sections([outcome(dataset="A"), gap])
    assert section.loss_line == "2 duplicates and 3 silent gaps in 2 runs; 1 VIOLATED the rule."
    assert not section.nothing_lost


def test_sections_group_outcomes_by_fault_in_order() -> None:
    sections = fault_sections([outcome(), typed_error(num_workers=2), skipped()])
    assert [(s.fault, len(s.rows)) for s in sections] == [("target SIGKILL", 2), ("netem loss", 1)]
    assert sections[1].loss_line == "1 run skipped; nothing to judge."


def test_row_shows_slowdown_only_with_a_baseline_and_na_retries() -> None:
    with_baseline = outcome_row(outcome(duration_s=1.0, baseline_s=0.5, retries=None))
    assert (with_baseline.baseline_s, with_baseline.slowdown, with_baseline.retries) == \
        ("0.50", "2.00x", "n/a")
    assert outcome_row(outcome()).slowdown == "-"


def test_long_errors_are_cut_to_one_line_with_an_ellipsis() -> None:
    row = outcome_row(typed_error(error="line one\nline two " + "x" * 500))
    assert row.error.startswith("ObjectNotFound: line one line two xxx")
    assert len(row.error) == 300 and row.error.endswith("…")


def test_a_run_without_finish_time_says_it_did_not_finish() -> None:
    content = report_content(fault_record([outcome()], finished=None), [])
    assert not content.finished
    assert dict(content.facts)["finished"].startswith("did not finish")
    assert "1 fault run recorded so far" in dict(content.facts)["finished"]


def test_title_names_scenario_and_run() -> None:
    content = report_content(fault_record([]), [])
    assert content.title == "Faults report: faults-smoke — run r1"
    assert dict(content.facts)["aisnode version"] == "5.0.v1.5.0"


def test_row_cells_line_up_with_their_headings() -> None:
    row = outcome_row(typed_error())
    assert dict(zip(row.HEADINGS, row.cells, strict=True))["error"].startswith("ObjectNotFound")
    soak_row = report_content(fault_record([]), [two_worker_soak()]).soak_rows[0]
    assert dict(zip(soak_row.HEADINGS, soak_row.cells, strict=True))["RSS last MiB"] == "102.5"


def test_a_fault_never_felt_is_a_failure_not_a_pass() -> None:
    v = verdict_of([outcome(), not_exercised()])
    assert v.headline == "1 fault was never felt (NOT EXERCISED): nothing proven."
    assert v.failed and v.violations == ()
    assert [kind for kind, _ in v.failures] == [NOT_EXERCISED]


def test_several_faults_never_felt_are_counted() -> None:
    v = verdict_of([not_exercised(), not_exercised(num_workers=2)])
    assert v.headline == "2 faults were never felt (NOT EXERCISED): nothing proven."


def test_a_harness_error_says_the_suite_stopped_and_is_not_judged() -> None:
    v = verdict_of([outcome(), harness_error()])
    assert v.headline == (f"The suite STOPPED on a harness error: {HARNESS_ERROR_TEXT} — faults "
                          "after it did not run.")
    assert v.judged == 1
    assert [kind for kind, _ in v.failures] == [HARNESS_ERROR]


def test_every_kind_of_failure_gets_its_own_sentence_violations_first() -> None:
    bad = outcome("VIOLATION: gap", dataset="B")
    v = verdict_of([outcome(), bad, bad, not_exercised(), harness_error(), skipped()])
    assert v.headline == (
        f"2 of 4 fault runs VIOLATED the rule: {RULE}. "
        "1 fault was never felt (NOT EXERCISED): nothing proven. "
        f"The suite STOPPED on a harness error: {HARNESS_ERROR_TEXT} — faults after it did not "
        "run.")
    assert [kind for kind, _ in v.failures] == [VIOLATION, VIOLATION, NOT_EXERCISED,
                                                HARNESS_ERROR]


def test_loss_line_counts_each_kind_of_failure_apart() -> None:
    runs = [outcome(), outcome("VIOLATION: gap", dataset="B", missing=2), not_exercised(),
            harness_error(), skipped()]
    assert loss_line(runs) == (
        "0 duplicates and 2 silent gaps in 3 runs; 1 VIOLATED the rule; 1 NOT EXERCISED (the "
        "fault was never felt: nothing proven); 1 HARNESS ERROR (unjudged: the suite stopped "
        "there); 1 skipped.")


def test_a_section_with_only_a_harness_error_judges_nothing_and_is_failed() -> None:
    section, = fault_sections([harness_error()])
    assert section.loss_line == ("Nothing judged; 1 HARNESS ERROR (unjudged: the suite stopped "
                                 "there).")
    assert section.failed and not section.judged


def test_a_section_whose_fault_was_never_felt_lost_nothing_but_failed() -> None:
    section, = fault_sections([not_exercised()])
    assert section.nothing_lost and section.failed


def test_rows_carry_their_kind_of_failure() -> None:
    row = outcome_row(not_exercised())
    assert (row.violated, row.not_exercised, row.harness_error, row.failed) == \
        (False, True, False, True)
    assert outcome_row(harness_error()).harness_error
    assert not outcome_row(typed_error()).failed


def test_a_run_stopped_early_says_why() -> None:
    content = report_content(fault_record([outcome(), harness_error()], finished=None,
                                          stopped="harness error"), [])
    assert not content.finished
    assert content.unfinished == ("did not finish: harness error; this report shows the 2 fault "
                                  "runs recorded so far")
    assert dict(content.facts)["finished"] == content.unfinished


def test_a_finished_run_has_no_unfinished_line() -> None:
    content = report_content(fault_record([outcome()]), [])
    assert content.finished and content.unfinished == ""
    assert dict(content.facts)["finished"] == "2026-11-23T21:00:00+00:00"
