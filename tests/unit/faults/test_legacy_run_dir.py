"""Faults run directories older versions wrote still read, as the run they hold, whole or half
written."""

from __future__ import annotations

import json
from pathlib import Path

from aisbench.faults.legacy_run_dir import UNKNOWN, is_fault_run_dir, read_fault_run_dir
from aisbench.faults.soak import SOAK_SERIES, soak_readout
from aisbench.results.schema import provenance_to_dict
from aisbench.runner.provenance import collect_provenance
from tests.unit.faults.sample_fault_runs import (
    legacy_meta,
    legacy_run_dir,
    not_exercised,
    outcome,
    two_worker_soak,
    typed_error,
)


def test_a_directory_reads_as_the_run_it_holds(tmp_path: Path) -> None:
    directory = legacy_run_dir(tmp_path, [outcome(), typed_error(num_workers=2)],
                               [two_worker_soak()],
                               legacy_meta(finished=None, stopped="interrupted (SIGTERM)"))
    legacy = read_fault_run_dir(directory)
    record = legacy.record
    assert legacy.problems == ()
    assert (record.run_id, record.scenario, record.description) == (
        "r1", "faults-smoke", "kill and freeze")
    assert (record.finished_at, record.stopped) == (None, "interrupted (SIGTERM)")
    assert [(v.step, v.fault, v.num_workers) for v in record.verdicts] == [
        (1, "target SIGKILL", 0), (2, "target SIGKILL", 2),
        (3, "soak: persistent workers across epochs", 2)]
    assert [c.status for c in record.cases] == ["ok", "ok", "ok"]
    assert SOAK_SERIES in record.cases[2].extra
    assert [s.label for s in soak_readout(record).series] == ["map, 2 workers"]


def test_provenance_is_kept_when_recorded_and_unknown_when_not(tmp_path: Path) -> None:
    provenance = collect_provenance(cluster="local: 1 proxy, 2 targets", aisnode_version="5.0",
                                    scenario_hash="ab" * 32)
    meta = legacy_meta() | {"provenance": provenance_to_dict(provenance)}
    assert read_fault_run_dir(legacy_run_dir(tmp_path / "new", [outcome()], run_meta=meta)
                              ).record.provenance == provenance
    old = read_fault_run_dir(legacy_run_dir(tmp_path / "old", [outcome()])).record.provenance
    assert (old.aisnode_version, old.cluster, old.started_at) == (
        "3.31", "local: 1 proxy, 2 targets", "2026-11-23T20:00:00+00:00")
    assert (old.git_sha, old.aisbench_version) == (None, UNKNOWN)


def test_a_directory_with_only_outcomes_reads_as_an_unfinished_run(tmp_path: Path) -> None:
    directory = legacy_run_dir(tmp_path / "faults-tests", [not_exercised()])
    (directory / "run.json").unlink()
    record = read_fault_run_dir(directory).record
    assert (record.run_id, record.scenario, record.finished_at) == (
        "faults-tests", "faults-tests", None)
    assert [c.status for c in record.cases] == ["failed"]


def test_a_directory_with_run_json_or_outcomes_is_a_faults_run(tmp_path: Path) -> None:
    assert not is_fault_run_dir(tmp_path)
    assert not is_fault_run_dir(tmp_path / "absent")
    only_outcomes = legacy_run_dir(tmp_path / "only-outcomes", [outcome()])
    (only_outcomes / "run.json").unlink()
    assert is_fault_run_dir(only_outcomes)
    assert is_fault_run_dir(legacy_run_dir(tmp_path / "full", []))


def test_unreadable_files_are_set_aside_with_why(tmp_path: Path) -> None:
    directory = legacy_run_dir(tmp_path, [outcome()], [two_worker_soak()])
    (directory / "soak" / "half.json").write_text('{"label": "x", "sec')
    (directory / "outcomes" / "009-half.json").write_text('{"fault": "x"')
    (directory / "outcomes" / "010-wrong.json").write_text(json.dumps({"fault": "x"}))
    legacy = read_fault_run_dir(directory)
    assert len(legacy.record.cases) == 2  # the outcome and the soak that could be read
    half_outcome, wrong, half_soak = legacy.problems
    assert half_outcome.startswith("outcomes/009-half.json: not valid JSON (")
    assert wrong.startswith("outcomes/010-wrong.json: fault outcome: ")
    assert half_soak.startswith("soak/half.json: not valid JSON (")
