import dataclasses
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from aisbench.results.schema import CaseResult, RunRecord
from aisbench.results.store import ResultStore, StoreError
from tests.unit.results.samples import (
    PROVENANCE,
    RUN_ID,
    measurement,
    sample_fault_record,
    sample_record,
)


@pytest.fixture
def store(tmp_path):
    with ResultStore(tmp_path / "results.sqlite") as opened:
        yield opened


def ok_case(run_id: str, case_id: str, samples: int = 2000) -> CaseResult:
    return CaseResult(
        run_id=run_id,
        case_id=case_id,
        scenario="smoke",
        strategy="aisref-map",
        params={},
        repeats=(measurement(samples), measurement(samples)),
    )


def stored(store: ResultStore, record: RunRecord) -> None:
    store.begin_run(record.run_id, record.scenario, record.provenance)
    for case in record.cases:
        store.add_case(case)


def test_a_stored_run_loads_back_equal(store):
    stored(store, sample_record())
    assert store.load_run(RUN_ID) == sample_record()


def test_a_fault_run_with_its_meta_loads_back_equal(store):
    record = sample_fault_record()
    store.begin_run(record.run_id, record.scenario, record.provenance,
                    description=record.description, settings=record.settings)
    for case in record.cases:
        store.add_case(case)
    store.end_run(record.run_id, finished_at=record.finished_at, stopped=None)
    assert store.load_run(RUN_ID) == record


def test_a_run_records_its_later_provenance_and_how_it_ended(store):
    store.begin_run(RUN_ID, "smoke", PROVENANCE)
    later = dataclasses.replace(PROVENANCE, aisnode_version="5.0.v1.5.0")
    store.set_provenance(RUN_ID, later)
    store.end_run(RUN_ID, finished_at=None, stopped="interrupted (SIGINT or SIGTERM)")
    loaded = store.load_run(RUN_ID)
    assert loaded.provenance == later
    assert (loaded.stopped, loaded.finished_at) == ("interrupted (SIGINT or SIGTERM)", None)
    store.end_run(RUN_ID, finished_at="2026-11-25T23:00:00+00:00", stopped=None)  # resumed
    loaded = store.load_run(RUN_ID)
    assert (loaded.stopped, loaded.finished_at) == (None, "2026-11-25T23:00:00+00:00")


@pytest.mark.parametrize("write", [
    lambda s: s.end_run(RUN_ID, finished_at=None, stopped="x"),
    lambda s: s.set_provenance(RUN_ID, PROVENANCE),
])
def test_ending_or_updating_a_run_never_begun_is_refused(store, write):
    with pytest.raises(StoreError, match="never begun"):
        write(store)


# The version 1 store, as aisbench wrote it before runs had a meta column.
_V1_SCHEMA = """
CREATE TABLE runs (run_id TEXT PRIMARY KEY, scenario TEXT NOT NULL, started_at TEXT NOT NULL,
                   git_sha TEXT, provenance TEXT NOT NULL);
CREATE TABLE cases (run_id TEXT NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
                    seq INTEGER NOT NULL, case_id TEXT NOT NULL, status TEXT NOT NULL,
                    result TEXT NOT NULL, PRIMARY KEY (run_id, case_id));
CREATE INDEX cases_by_case_id ON cases (case_id);
PRAGMA user_version=1;
"""


def test_a_version_1_store_is_migrated_and_keeps_its_runs(tmp_path):
    path = tmp_path / "results.sqlite"
    with ResultStore(path) as current:  # write the cases' JSON as the store keeps them
        stored(current, sample_record())
    rows = sqlite3.connect(path).execute(
        "SELECT run_id, scenario, started_at, git_sha, provenance FROM runs").fetchall()
    cases = sqlite3.connect(path).execute("SELECT * FROM cases").fetchall()
    old = tmp_path / "old.sqlite"
    db = sqlite3.connect(old)
    db.executescript(_V1_SCHEMA)
    db.executemany("INSERT INTO runs VALUES (?, ?, ?, ?, ?)", rows)
    db.executemany("INSERT INTO cases VALUES (?, ?, ?, ?, ?)", cases)
    db.commit()
    db.close()
    with ResultStore(old) as migrated:
        assert migrated.load_run(RUN_ID) == sample_record()
        migrated.end_run(RUN_ID, finished_at=None, stopped="interrupted")
        assert migrated.load_run(RUN_ID).stopped == "interrupted"
    assert sqlite3.connect(old).execute("PRAGMA user_version").fetchone()[0] == 2


def test_a_store_newer_than_this_aisbench_is_refused(tmp_path):
    path = tmp_path / "results.sqlite"
    db = sqlite3.connect(path)
    db.execute("PRAGMA user_version=3")
    db.close()
    with pytest.raises(StoreError, match="schema version 3, this aisbench reads up to 2"):
        ResultStore(path)


def test_a_case_is_visible_to_another_connection_as_soon_as_it_is_added(store):
    store.begin_run(RUN_ID, "smoke", PROVENANCE)
    store.add_case(ok_case(RUN_ID, "a"))
    with sqlite3.connect(store.path) as other:
        assert other.execute("SELECT case_id FROM cases").fetchall() == [("a",)]


def test_finished_cases_survive_a_sigkill(tmp_path):
    path = tmp_path / "results.sqlite"
    script = textwrap.dedent(f"""
        import os, signal
        from aisbench.results.store import ResultStore
        from tests.unit.results.test_store import ok_case
        from tests.unit.results.samples import PROVENANCE
        store = ResultStore({str(path)!r})
        store.begin_run("r1", "smoke", PROVENANCE)
        store.add_case(ok_case("r1", "finished"))
        os.kill(os.getpid(), signal.SIGKILL)
    """)
    repo_root = Path(__file__).resolve().parents[3]
    result = subprocess.run([sys.executable, "-c", script], cwd=repo_root, timeout=60)
    assert result.returncode == -signal.SIGKILL
    with ResultStore(path) as reopened:
        assert reopened.finished_case_ids("r1") == {"finished"}


def test_finished_case_ids_list_every_stored_status(store):
    stored(store, sample_record())
    assert store.finished_case_ids(RUN_ID) == {c.case_id for c in sample_record().cases}


def test_begin_run_again_resumes_the_same_run(store):
    store.begin_run(RUN_ID, "smoke", PROVENANCE)
    store.add_case(ok_case(RUN_ID, "a"))
    store.begin_run(RUN_ID, "smoke", PROVENANCE)
    assert store.finished_case_ids(RUN_ID) == {"a"}


def test_resuming_with_another_scenario_is_refused(store):
    store.begin_run(RUN_ID, "smoke", PROVENANCE)
    with pytest.raises(StoreError, match="belongs to scenario 'smoke'"):
        store.begin_run(RUN_ID, "workers", PROVENANCE)


def test_a_case_for_a_run_never_begun_is_refused(store):
    with pytest.raises(StoreError, match="begin_run"):
        store.add_case(ok_case("nope", "a"))


def test_a_rerun_case_replaces_the_old_result_in_place(store):
    store.begin_run(RUN_ID, "smoke", PROVENANCE)
    for case_id in ("a", "b"):
        store.add_case(ok_case(RUN_ID, case_id))
    store.add_case(ok_case(RUN_ID, "a", samples=4000))
    cases = store.load_run(RUN_ID).cases
    assert [c.case_id for c in cases] == ["a", "b"]
    assert cases[0].mean("samples_per_s") == 2000.0


def test_loading_an_unknown_run_names_it_and_what_there_is(store):
    with pytest.raises(StoreError, match=r"no run 'missing'.*holds no runs yet.*aisbench run"):
        store.load_run("missing")
    store.begin_run(RUN_ID, "smoke", PROVENANCE)
    with pytest.raises(StoreError, match=rf"no run 'missing'.*latest: {RUN_ID}"):
        store.load_run("missing")


def test_list_runs_is_oldest_first_with_case_counts(store):
    late = dataclasses.replace(PROVENANCE, started_at="2026-11-24T00:00:00+00:00")
    store.begin_run("20261124T000000-000000", "smoke", late)
    stored(store, sample_record())
    summaries = store.list_runs()
    assert [s.run_id for s in summaries] == [RUN_ID, "20261124T000000-000000"]
    assert (summaries[0].cases, summaries[0].failed) == (2, 0)


def test_list_runs_filters_by_scenario(store):
    stored(store, sample_record())
    assert store.list_runs("workers") == []


def test_latest_run_id_finds_the_baseline_before_a_run(store):
    for run_id in ("20261101T000000-aaaaaa", "20261102T000000-bbbbbb", "20261103T000000-cccccc"):
        started = f"{run_id[:4]}-{run_id[4:6]}-{run_id[6:8]}T00:00:00+00:00"
        store.begin_run(run_id, "smoke", dataclasses.replace(PROVENANCE, started_at=started))
    assert store.latest_run_id("smoke") == "20261103T000000-cccccc"
    assert store.latest_run_id("smoke", before="20261103T000000-cccccc") == "20261102T000000-bbbbbb"


def test_history_gives_the_mean_per_run_oldest_first(store):
    for day, samples in ((1, 2000), (2, 3000)):
        run_id = f"2026110{day}T000000-000000"
        provenance = dataclasses.replace(
            PROVENANCE, git_sha=f"sha{day}", started_at=f"2026-11-0{day}T00:00:00+00:00"
        )
        store.begin_run(run_id, "smoke", provenance)
        store.add_case(ok_case(run_id, "a", samples=samples))
    points = store.history("a", "smoke", "samples_per_s")
    assert [(p.git_sha, p.value) for p in points] == [("sha1", 1000.0), ("sha2", 1500.0)]


def test_history_leaves_out_cases_that_did_not_measure(store):
    stored(store, sample_record())
    assert store.history("strategy=aisref-map,etl=echo", "smoke", "samples_per_s") == []


def test_history_of_an_unknown_metric_is_refused(store):
    with pytest.raises(KeyError):
        store.history("a", "smoke", "speed")


def test_the_store_uses_write_ahead_logging(store):
    with sqlite3.connect(store.path) as other:
        assert other.execute("PRAGMA journal_mode").fetchone() == ("wal",)
