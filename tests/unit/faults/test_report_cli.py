"""`aisbench report DIR` renders the faults report into a faults run directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from aisbench.cli import main
from aisbench.faults.run_dir import FaultRunDir
from tests.unit.faults.sample_fault_runs import meta, not_exercised, outcome, run_dir


def test_report_of_a_faults_run_directory_writes_the_page_into_it(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    directory = run_dir(tmp_path / "faults-r1", [outcome(), not_exercised()],
                        run_meta=meta(stopped="interrupted (SIGTERM)"))
    code = main(["report", str(directory.root), "--reports", str(tmp_path / "reports")])
    assert code == 0
    assert capsys.readouterr().out.strip() == f"report: {directory.root / 'index.html'}"
    page = (directory.root / "index.html").read_text()
    assert "did not finish: interrupted (SIGTERM)" in page
    assert "1 fault was never felt (NOT EXERCISED)" in page
    assert (directory.root / "faults.md").is_file()
    assert not (tmp_path / "reports").exists()  # nothing written anywhere else


def test_a_directory_with_only_outcomes_is_reported_too(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    FaultRunDir(tmp_path).record(outcome())
    assert main(["report", str(tmp_path), "--reports", str(tmp_path / "reports")]) == 0
    assert "The 1 fault run kept the rule" in (tmp_path / "index.html").read_text()
    assert capsys.readouterr().out.startswith("report: ")


def test_run_json_files_keep_their_meaning_beside_a_faults_directory(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    golden = Path(__file__).resolve().parents[1] / "results" / "golden" / "run_v1.json"
    directory = run_dir(tmp_path / "faults-r1", [outcome()])
    code = main(["report", str(directory.root), str(golden), "--reports", str(tmp_path),
                 "--out", str(tmp_path / "runs-report")])
    assert code == 0
    assert capsys.readouterr().out.splitlines() == [
        f"report: {directory.root / 'index.html'}",
        f"report: {tmp_path / 'runs-report' / 'index.html'}"]
