"""The harness under faults: the runner SIGKILLed mid-suite keeps every finished case, and
``--resume`` completes the rest without re-running them."""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from aisbench.results.store import ResultStore

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
SCENARIO = """\
name: faults-runner-kill
description: two tiny cases, for the runner-kill fault test
cluster: {backend: external}
dataset: {kind: objects, count: 64, object_size: 1KiB, seed: 11}
loader: {num_workers: 0, batch_size: 8}
run: {duration_s: 0.5, warmup_s: 0, repeats: 1}
matrix:
  strategy: [aisref-map, aisref-iter]
"""
N_CASES = 2  # each case is a fresh process (~8 s here): kill after the first, resume the second


def _rows(db: Path) -> dict[str, tuple[int, str]]:
    """case_id -> (seq, stored result JSON), read as another process would."""
    if not db.exists():
        return {}
    with sqlite3.connect(db, timeout=5.0) as conn:
        try:
            rows = conn.execute("SELECT case_id, seq, result FROM cases").fetchall()
        except sqlite3.OperationalError:  # schema not created yet
            return {}
    return {case_id: (seq, result) for case_id, seq, result in rows}


def _run_argv(scenario: Path, reports: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "aisbench.cli", "run", str(scenario), "--reports",
            str(reports), "--no-report", "--quiet", *extra]


@pytest.mark.timeout(240)
def test_runner_killed_mid_suite_keeps_finished_cases_and_resume_runs_only_the_rest(
    ais_endpoint: str, tmp_path: Path,
) -> None:
    scenario = tmp_path / "faults-runner-kill.yaml"
    scenario.write_text(SCENARIO)
    reports = tmp_path / "reports"
    db = reports / "results.sqlite"
    env = {**os.environ, "AIS_ENDPOINT": ais_endpoint}
    log = (tmp_path / "runner.log").open("wb")  # a file: a pipe nobody reads could fill up
    runner = subprocess.Popen(_run_argv(scenario, reports), cwd=REPO, env=env, stdout=log,
                              stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 150
        while not _rows(db) and runner.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        assert runner.poll() is None, (tmp_path / "runner.log").read_text()[-2000:]
        os.kill(runner.pid, signal.SIGKILL)
        runner.wait(timeout=10)
    finally:
        # The runner's own session: its case process would otherwise run on as an orphan.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(runner.pid, signal.SIGKILL)
        log.close()
    assert runner.returncode == -signal.SIGKILL

    before = _rows(db)
    assert 1 <= len(before) < N_CASES
    with ResultStore(db) as store:
        (run,) = store.list_runs()
        for case in store.load_run(run.run_id).cases:
            assert case.status == "ok", case.reason  # intact, not half-written

    resumed = subprocess.run(_run_argv(scenario, reports, "--resume", run.run_id), cwd=REPO,
                             env=env, capture_output=True, text=True, timeout=180, check=False)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert f"{len(before)} of {N_CASES} cases already finished" in resumed.stdout

    after = _rows(db)
    assert len(after) == N_CASES
    for case_id, row in before.items():
        assert after[case_id] == row  # same seq, byte-identical result: not re-run
    assert sorted(seq for seq, _ in after.values()) == list(range(N_CASES))
    with ResultStore(db) as store:
        assert [r.run_id for r in store.list_runs()] == [run.run_id]
        assert all(case.status == "ok" for case in store.load_run(run.run_id).cases)
