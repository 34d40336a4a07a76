"""A faults run directory reads back whatever the suite left in it, old or half written."""

from __future__ import annotations

import json
from dataclasses import asdict, replace
from pathlib import Path

from aisbench.faults.report_content import report_content
from aisbench.faults.run_dir import FaultRunDir, is_fault_run_dir
from aisbench.runner.provenance import collect_provenance
from tests.unit.faults.sample_fault_runs import meta, outcome, run_dir, two_worker_soak


def test_why_a_run_stopped_early_round_trips(tmp_path: Path) -> None:
    directory = FaultRunDir(tmp_path)
    directory.write_meta(meta(stopped="interrupted (SIGTERM)"))
    assert directory.read_meta().stopped == "interrupted (SIGTERM)"


def test_provenance_round_trips_and_reaches_the_report_facts(tmp_path: Path) -> None:
    provenance = collect_provenance(cluster="local: 1 proxy, 2 targets", aisnode_version="5.0",
                                    scenario_hash="ab" * 32)
    directory = FaultRunDir(tmp_path)
    directory.write_meta(replace(meta(), provenance=provenance))
    read = directory.read_meta()
    assert read.provenance == provenance
    facts = dict(report_content(read, [], [], ()).facts)
    assert f"git {provenance.git_sha}" in facts["code"]
    assert provenance.python_version in facts["software"]


def test_a_run_json_written_before_stopped_existed_still_reads(tmp_path: Path) -> None:
    old = asdict(meta())
    del old["stopped"], old["provenance"]
    (tmp_path / "run.json").write_text(json.dumps(old))
    assert FaultRunDir(tmp_path).read_meta() == meta()


def test_a_directory_with_run_json_or_outcomes_is_a_faults_run(tmp_path: Path) -> None:
    assert not is_fault_run_dir(tmp_path)
    assert not is_fault_run_dir(tmp_path / "absent")
    FaultRunDir(tmp_path / "only-outcomes").record(outcome())
    assert is_fault_run_dir(tmp_path / "only-outcomes")
    assert is_fault_run_dir(run_dir(tmp_path / "full", []).root)


def test_unreadable_soak_series_are_set_aside_with_why(tmp_path: Path) -> None:
    directory = run_dir(tmp_path, [], [two_worker_soak()])
    (directory.soak_dir / "half.json").write_text('{"label": "x", "sec')
    (directory.soak_dir / "wrong.json").write_text('{"samples": []}')
    readout = directory.read_soaks()
    assert [s.label for s in readout.series] == ["map, 2 workers"]
    half, wrong = readout.unreadable
    assert half.name == "soak/half.json" and half.why.startswith("not valid JSON (")
    assert wrong.name == "soak/wrong.json"
    assert wrong.why.startswith("not a soak series (KeyError: 'label')")


def test_no_soak_directory_reads_as_no_series(tmp_path: Path) -> None:
    readout = run_dir(tmp_path, [outcome()]).read_soaks()
    assert readout.series == () and readout.unreadable == ()
