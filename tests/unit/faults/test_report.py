"""The faults report in Markdown shows only what ran, and says when the rule was broken."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

from aisbench.faults.outcome import FaultOutcome, write_outcome
from aisbench.faults.report import faults_markdown, main
from aisbench.faults.report_content import report_content
from aisbench.faults.soak import SoakSeries
from tests.unit.faults.sample_fault_runs import (
    NETEM_MISSING,
    meta,
    outcome,
    skipped,
    two_worker_soak,
    typed_error,
)


def _markdown(outcomes: list[FaultOutcome], soaks: list[SoakSeries] | None = None) -> str:
    return faults_markdown(report_content(None, outcomes, soaks or []))


def test_report_has_one_row_per_outcome_under_its_fault() -> None:
    text = _markdown([outcome(baseline_s=0.25)])
    assert "The 1 fault run kept the rule" in text
    assert "## target SIGKILL" in text
    assert ("| AISIterDataset | 0 | completed exactly once | 48/48 | 0 | 0 | 1 | 0.50 | 0.25 "
            "| 2.00x |  |  |") in text


def test_report_leads_with_violations() -> None:
    text = _markdown([outcome(), outcome("VIOLATION: gap", dataset="B", retries=None)])
    assert "**1 of 2 runs VIOLATED the rule" in text
    assert "- VIOLATION: target SIGKILL / B / 0 workers: VIOLATION: gap" in text
    assert "| n/a |" in text


def test_report_lists_skipped_runs_with_their_reason() -> None:
    text = _markdown([outcome(), skipped()])
    assert "**1 run skipped, counted neither as passes nor as violations:**" in text
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
    text = faults_markdown(report_content(meta(finished=None), [outcome()], []))
    assert text.startswith("# Faults report: faults-smoke — run r1")
    assert "- finished: did not finish" in text


def test_cli_renders_test_output_directories(tmp_path: Path) -> None:
    write_outcome(tmp_path / "faults", outcome())
    soak = two_worker_soak()
    (tmp_path / "soak").mkdir()
    (tmp_path / "soak" / "map.json").write_text(json.dumps(
        {"label": soak.label, "seconds": soak.seconds,
         "samples": [asdict(s) for s in soak.samples],
         "trends": [asdict(t) for t in soak.trends]}))
    out = tmp_path / "faults.md"
    assert main(["--faults", str(tmp_path / "faults"), "--soak", str(tmp_path / "soak"),
                 "--out", str(out)]) == 0
    text = out.read_text()
    assert "The 1 fault run kept the rule" in text
    assert "| map, 2 workers |" in text
