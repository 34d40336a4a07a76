"""The journal keeps a run as it goes: store and JSON agree after every case, and how the run
ended is recorded (a resumed run that finishes loses its earlier stop)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from aisbench.results import ResultStore, read_run_json
from aisbench.runner.journal import INTERRUPTED, RunJournal
from tests.unit.results.samples import PROVENANCE, RUN_ID, sample_fault_record, sample_record


def test_each_case_is_in_the_store_and_the_json_the_moment_it_is_recorded(
        tmp_path: Path) -> None:
    json_path = tmp_path / "runs" / f"{RUN_ID}.json"
    with ResultStore(tmp_path / "results.sqlite") as store:
        journal = RunJournal.begin(store, RUN_ID, "smoke", PROVENANCE, json_path,
                                   description="two cases")
        assert read_run_json(json_path).cases == ()
        first, second = sample_record().cases
        journal.record(first)
        assert read_run_json(json_path).cases == (first,) == store.load_run(RUN_ID).cases
        journal.record(second)
        record = journal.finish()
    assert record.cases == (first, second)
    assert record.description == "two cases" and record.stopped is None
    assert record.finished_at is not None
    assert read_run_json(json_path) == record


def test_a_stop_is_recorded_and_a_resumed_run_that_finishes_clears_it(tmp_path: Path) -> None:
    json_path = tmp_path / f"{RUN_ID}.json"
    with ResultStore(tmp_path / "results.sqlite") as store:
        journal = RunJournal.begin(store, RUN_ID, "smoke", PROVENANCE, json_path)
        journal.record(sample_record().cases[0])
        stopped = journal.finish(INTERRUPTED)
        assert (stopped.stopped, stopped.finished_at) == (INTERRUPTED, None)
        assert read_run_json(json_path).stopped == INTERRUPTED
        resumed = RunJournal.begin(store, RUN_ID, "smoke", PROVENANCE, json_path)
        assert resumed.finished_case_ids() == {sample_record().cases[0].case_id}
        finished = resumed.finish()
    assert finished.stopped is None and finished.finished_at is not None


def test_what_the_run_learns_later_reaches_store_and_json(tmp_path: Path) -> None:
    json_path = tmp_path / f"{RUN_ID}.json"
    record = sample_fault_record()
    with ResultStore(tmp_path / "results.sqlite") as store:
        journal = RunJournal.begin(store, RUN_ID, record.scenario, PROVENANCE, json_path,
                                   settings=record.settings)
        later = dataclasses.replace(PROVENANCE, aisnode_version="5.0.v1.5.0")
        journal.update_provenance(later)
        for case in record.cases:
            journal.record(case)
    kept = read_run_json(json_path)
    assert kept.provenance == later
    assert kept.verdicts == record.verdicts and dict(kept.settings) == dict(record.settings)
