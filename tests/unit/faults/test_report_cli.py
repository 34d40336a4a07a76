"""`aisbench report` draws a fault run's report: a stored run by its id or JSON file, and an
old-layout faults run directory in place."""

from __future__ import annotations

from pathlib import Path

import pytest

from aisbench.cli import main
from aisbench.results import ResultStore, write_run_json
from tests.unit.faults.sample_fault_runs import (
    fault_record,
    legacy_meta,
    legacy_run_dir,
    not_exercised,
    outcome,
)

GOLDEN_V1 = Path(__file__).resolve().parents[1] / "results" / "golden" / "run_v1.json"


def test_a_stored_fault_run_is_reported_by_its_id(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    record = fault_record([outcome(), not_exercised()], finished=None,
                          stopped="interrupted (SIGINT or SIGTERM)")
    with ResultStore(tmp_path / "results.sqlite") as store:
        store.begin_run(record.run_id, record.scenario, record.provenance,
                        description=record.description, settings=record.settings)
        for case in record.cases:
            store.add_case(case)
        store.end_run(record.run_id, finished_at=None, stopped=record.stopped)
    assert main(["report", "r1", "--reports", str(tmp_path)]) == 0
    page_path = tmp_path / "faults-smoke-r1" / "index.html"
    assert capsys.readouterr().out.strip() == f"report: {page_path}"
    page = page_path.read_text()
    assert "did not finish: interrupted (SIGINT or SIGTERM)" in page
    assert "1 fault was never felt (NOT EXERCISED)" in page


def test_a_fault_run_json_file_is_reported_beside_a_measuring_run(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_run_json(fault_record([outcome()]), tmp_path / "r1.json")
    code = main(["report", str(tmp_path / "r1.json"), str(GOLDEN_V1), "--reports",
                 str(tmp_path)])
    assert code == 0
    assert capsys.readouterr().out.splitlines() == [
        f"report: {tmp_path / 'faults-smoke-r1' / 'index.html'}",
        f"report: {tmp_path / 'report-20261123T204512-ab12cd' / 'index.html'}"]
    assert "The 1 fault run kept the rule" in (
        tmp_path / "faults-smoke-r1" / "index.html").read_text()


def test_an_old_faults_run_directory_gets_its_page_in_place(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    directory = legacy_run_dir(tmp_path / "faults-r1", [outcome(), not_exercised()],
                               run_meta=legacy_meta(stopped="interrupted (SIGTERM)"))
    (directory / "outcomes" / "009-half.json").write_text('{"fault"')
    code = main(["report", str(directory), "--reports", str(tmp_path / "reports")])
    assert code == 0
    assert capsys.readouterr().out.strip() == f"report: {directory / 'index.html'}"
    page = (directory / "index.html").read_text()
    assert "did not finish: interrupted (SIGTERM)" in page
    assert "1 fault was never felt (NOT EXERCISED)" in page
    assert "outcomes/009-half.json: not valid JSON" in page
    assert (directory / "faults.md").is_file()
    assert not (tmp_path / "reports").exists()  # nothing written anywhere else
