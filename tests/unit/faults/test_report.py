"""The faults report shows only what ran, and says when the rule was broken."""

from __future__ import annotations

from aisbench.faults.outcome import COMPLETED, FaultOutcome
from aisbench.faults.report import faults_markdown


def _outcome(outcome: str, retries: int | None = 1) -> FaultOutcome:
    return FaultOutcome(fault="target SIGKILL", dataset="AISIterDataset", num_workers=0,
                        outcome=outcome, expected=48, seen=48, duplicates=0, missing=0,
                        duration_s=0.5, retries=retries)


def test_report_has_one_row_per_outcome_with_counts() -> None:
    text = faults_markdown([_outcome(COMPLETED)], [])
    assert "All 1 runs kept the rule" in text
    assert "| target SIGKILL | AISIterDataset | 0 | completed exactly once | 48/48 | 0 | 0 | 1 |" \
        in text


def test_report_leads_with_violations() -> None:
    text = faults_markdown([_outcome(COMPLETED), _outcome("VIOLATION: gap", None)], [])
    assert "**1 of 2 runs broke the rule**" in text
    assert "| n/a |" in text


def test_report_without_outcomes_says_so() -> None:
    assert "No fault outcomes found" in faults_markdown([], [])


def test_soak_rows_show_growth_in_mib() -> None:
    soak = {"label": "map, 2 workers", "seconds": 25.0, "trends": [
        {"pid": 7, "epochs": 20, "rss_first_bytes": 2**30, "rss_last_bytes": 2**30,
         "rss_growth_bytes": 2**20, "fd_growth": 0}]}
    assert "| map, 2 workers | 25.0 | 7 | 20 | 1024.0 | 1024.0 | 1.00 | 0 |" in \
        faults_markdown([], [soak])
