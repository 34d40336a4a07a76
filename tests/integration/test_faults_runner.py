"""The harness under faults: the runner SIGKILLed mid-suite keeps every finished case, and
``--resume`` completes the rest without re-running them (aisbench.faults.runner_fault, shared
with the ``faults`` scenario)."""

from __future__ import annotations

from pathlib import Path

import pytest

from aisbench.faults.runner_fault import N_CASES, judge_runner_kill, kill_runner_then_resume
from aisbench.results import COMPLETED
from aisbench.results.store import ResultStore
from tests.integration.fault_fixtures import record

pytestmark = pytest.mark.integration


@pytest.mark.timeout(240)
def test_runner_killed_mid_suite_keeps_finished_cases_and_resume_runs_only_the_rest(
    ais_endpoint: str, tmp_path: Path,
) -> None:
    seen = kill_runner_then_resume(ais_endpoint, tmp_path)
    assert seen.killed, (tmp_path / "runner.log").read_text()[-2000:]
    assert 1 <= len(seen.before) < N_CASES
    assert seen.resume_returncode == 0, seen.resume_output[-2000:]
    assert f"{len(seen.before)} of {N_CASES} cases already finished" in seen.resume_output
    assert len(seen.after) == N_CASES
    for case_id, row in seen.before.items():
        assert seen.after[case_id] == row  # same seq, byte-identical result: not re-run
    assert sorted(seq for seq, _ in seen.after.values()) == list(range(N_CASES))
    (run_id,) = seen.run_ids
    with ResultStore(tmp_path / "reports" / "results.sqlite") as store:
        assert all(case.status == "ok" for case in store.load_run(run_id).cases)
    assert record(judge_runner_kill(seen)).outcome == COMPLETED
