"""The harness under a fault: ``aisbench run`` SIGKILLed after its first case, then resumed.

Nothing measured may be lost: every case that finished before the kill stays in the SQLite
history byte for byte, and ``--resume`` runs only the cases that had not finished.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from aisbench.faults.judge import outcome_text
from aisbench.faults.kinds import BenchFault, BenchSite, NoSettings, Step
from aisbench.results import COMPLETED, FaultOutcome, ResultStore

FAULT = "runner SIGKILL after its first case, then --resume"
N_CASES = 2  # each case is a fresh process (~8 s here): kill after the first, resume the second
TINY_SCENARIO = """\
name: faults-runner-kill
description: two tiny cases, for the runner-kill fault
cluster: {backend: external}
dataset: {kind: objects, count: 64, object_size: 1KiB, seed: 11}
loader: {num_workers: 0, batch_size: 8}
run: {duration_s: 0.5, warmup_s: 0, repeats: 1}
matrix:
  strategy: [aisref-map, aisref-iter]
"""


@dataclass(frozen=True)
class RunnerKillObservation:
    """The stored cases (case_id -> (seq, result JSON)) before and after the resume.

    Attributes:
        killed: whether the runner died of our SIGKILL (not of its own accord first).
        resume_output: what ``--resume`` printed (stdout, then stderr).
    """

    killed: bool
    before: dict[str, tuple[int, str]]
    after: dict[str, tuple[int, str]]
    run_ids: tuple[str, ...]
    resume_returncode: int
    resume_output: str
    duration_s: float


def stored_cases(db: Path) -> dict[str, tuple[int, str]]:
    """case_id -> (seq, stored result JSON), read as another process would."""
    if not db.exists():
        return {}
    with contextlib.closing(sqlite3.connect(db, timeout=5.0)) as conn:
        try:
            rows = conn.execute("SELECT case_id, seq, result FROM cases").fetchall()
        except sqlite3.OperationalError:  # schema not created yet
            return {}
    return {case_id: (seq, result) for case_id, seq, result in rows}


def _run_argv(scenario: Path, reports: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "aisbench.cli", "run", str(scenario), "--reports",
            str(reports), "--no-report", "--quiet", *extra]


def kill_runner_then_resume(endpoint: str, work_dir: Path,
                            timeout_s: float = 150.0) -> RunnerKillObservation:
    """Run the tiny two-case scenario on ``endpoint``, SIGKILL the runner once its first case
    is stored, then ``--resume`` it; return what the history held before and after."""
    work_dir.mkdir(parents=True, exist_ok=True)
    scenario = work_dir / "faults-runner-kill.yaml"
    scenario.write_text(TINY_SCENARIO)
    reports = work_dir / "reports"
    db = reports / "results.sqlite"
    env = {**os.environ, "AIS_ENDPOINT": endpoint}
    started = time.monotonic()
    with (work_dir / "runner.log").open("wb") as log:  # a file: an unread pipe could fill up
        runner = subprocess.Popen(_run_argv(scenario, reports), env=env, stdout=log,
                                  stderr=subprocess.STDOUT, start_new_session=True)
        try:
            deadline = time.monotonic() + timeout_s
            while not stored_cases(db) and runner.poll() is None and time.monotonic() < deadline:
                time.sleep(0.2)
            killed = runner.poll() is None
            if killed:
                os.kill(runner.pid, signal.SIGKILL)
            runner.wait(timeout=10)
        finally:
            # The runner's own session: its case process would otherwise run on as an orphan.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(runner.pid, signal.SIGKILL)
    before = stored_cases(db)
    with ResultStore(db) as store:
        run_ids = tuple(r.run_id for r in store.list_runs())
    resumed = subprocess.run(_run_argv(scenario, reports, "--resume", run_ids[0]) if run_ids
                             else _run_argv(scenario, reports), env=env, capture_output=True,
                             text=True, timeout=timeout_s, check=False)
    with ResultStore(db) as store:
        run_ids = tuple(r.run_id for r in store.list_runs())
    return RunnerKillObservation(killed, before, stored_cases(db), run_ids, resumed.returncode,
                                 resumed.stdout + resumed.stderr, time.monotonic() - started)


def judge_runner_kill(observation: RunnerKillObservation) -> FaultOutcome:
    """Cases are the samples here: each finished case stored exactly once, none re-run."""
    before, after = observation.before, observation.after
    rerun = sum(1 for case_id, row in before.items() if after.get(case_id) != row)
    problems = []
    if not observation.killed:
        problems.append("the runner ended before the kill: nothing was tested")
    if not 1 <= len(before) < N_CASES:
        problems.append(f"{len(before)} of {N_CASES} cases stored at the kill")
    if rerun:
        problems.append(f"{rerun} finished cases re-run or changed by the resume")
    if len(after) != N_CASES or sorted(seq for seq, _ in after.values()) != list(range(N_CASES)):
        problems.append(f"{len(after)} of {N_CASES} cases stored after the resume")
    if len(observation.run_ids) != 1:
        problems.append(f"{len(observation.run_ids)} runs in the history, expected 1")
    if observation.resume_returncode != 0:
        problems.append(f"--resume exited {observation.resume_returncode}")
    intact = "intact after the resume" if not rerun else f"{rerun} of them CHANGED by the resume"
    return FaultOutcome(
        fault=FAULT, dataset=f"aisbench run ({N_CASES} cases)", num_workers=0,
        outcome=outcome_text(problems, COMPLETED), expected=N_CASES, seen=len(after),
        duplicates=rerun, missing=N_CASES - len(after),
        duration_s=round(observation.duration_s, 3),
        notes=f"{len(before)} of {N_CASES} cases stored at the kill, {intact}; samples here "
              "are cases")


# --- as the scenario names it (see kinds.py) -----------------------------------------------


def _runner_kill_steps(_settings: NoSettings, site: BenchSite) -> Iterator[Step]:
    yield Step("runner kill", lambda: judge_runner_kill(
        kill_runner_then_resume(site.bench.endpoint, site.state_root / "runner-kill")))


RUNNER_KILL = BenchFault("runner_kill", NoSettings, "{} (no settings)", _runner_kill_steps)
