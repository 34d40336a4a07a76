"""The ``faults`` scenario end to end, through the CLI: its own cluster, every fault, and a
report that shows each fault, its effect and that nothing was lost.

A smaller copy of scenarios/faults.yaml (two datasets, 2 workers, a short soak) keeps it near
two minutes; the per-dataset, per-worker-count coverage is in test_faults_nodes.py.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from aisbench.faults.soak import SOAK_SERIES
from aisbench.results import (
    COMPLETED,
    SKIPPED,
    TYPED_ERROR,
    TYPED_ERROR_OBJECT,
    ResultStore,
    read_run_json,
)

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]

SCENARIO = """\
kind: faults
name: faults-ci
description: every fault, on two datasets
datasets: [AISMapDataset, AISMultiShardStream]
num_workers: [2]
faults:
  target_kill_restart: {restart_after_s: 1.0}
  target_kill:
  target_freeze:
  kill_while_streaming:
  slow_link: {delay_ms: 10, drop_every: 3}
  netem:
  corrupt_shard: {corruptions: [truncated]}
  runner_kill:
soak: {seconds: 4, datasets: [AISShardReader], num_workers: 2}
"""
FAULTS = (
    "none (baseline)",
    "target SIGKILL, restarted after 1 s",
    "target SIGKILL, down until the epoch ends",
    "slow link: 10 ms per chunk, every 3rd request dropped (first hop)",
    "target SIGSTOP, then SIGCONT",
    "target SIGKILL while an object streams",
    "truncated shard between two good ones",
    "runner SIGKILL after its first case, then --resume",
    "soak: persistent workers across epochs",
    "netem: 20 ms delay, 2 % loss (every hop)",
)
ALLOWED = (COMPLETED, TYPED_ERROR, TYPED_ERROR_OBJECT, SKIPPED)


@pytest.mark.timeout(420)
def test_faults_scenario_reports_every_fault_its_effect_and_that_nothing_was_lost(
    tmp_path: Path,
) -> None:
    scenario = tmp_path / "faults-ci.yaml"
    scenario.write_text(SCENARIO)
    reports = tmp_path / "reports"
    proc = subprocess.run([sys.executable, "-m", "aisbench.cli", "run", str(scenario),
                           "--reports", str(reports)], capture_output=True, text=True,
                          timeout=400, check=False)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-3000:]
    (root,) = reports.glob("faults-ci-*")
    (run_json,) = (reports / "runs").glob("*.json")
    record = read_run_json(run_json)
    with ResultStore(reports / "results.sqlite") as store:
        assert store.load_run(record.run_id) == record  # the one store holds the same run
    assert root.name == f"faults-ci-{record.run_id}"
    outcomes = record.verdicts

    assert {o.fault for o in outcomes} == set(FAULTS), output[-3000:]
    for o in outcomes:
        assert o.outcome in ALLOWED, o
        assert o.duplicates == 0, o
        if o.outcome == COMPLETED:
            assert o.missing == 0 and o.seen == o.expected, o
    epoch_faults = [o for o in outcomes if o.fault in FAULTS[1:4]]
    assert len(epoch_faults) == 6  # 3 faults x 2 datasets x 1 worker count
    assert all(o.baseline_s is not None and o.baseline_s > 0 for o in epoch_faults)
    assert record.finished_at is not None and record.stopped is None
    assert record.provenance.aisnode_version and record.provenance.git_sha
    assert [c.status for c in record.cases if c.verdict and c.verdict.failed] == []

    (soak,) = [c.extra[SOAK_SERIES] for c in record.cases if SOAK_SERIES in c.extra]
    assert {s["pid"] for s in soak["samples"]} and len(soak["trends"]) == 2

    html = (root / "index.html").read_text()
    markdown = (root / "faults.md").read_text()
    assert f"All {sum(o.outcome != SKIPPED for o in outcomes)} fault runs kept the rule" in html
    for fault in FAULTS:
        assert fault in markdown
    assert "Specified qdisc kind is unknown" in markdown or "netem" in markdown
    for plot in ("fault-cost", "soak-rss", "soak-fds"):
        sidecar = json.loads((root / "plots" / f"{plot}.json").read_text())
        assert sidecar, plot
        assert (root / "plots" / f"{plot}.png").stat().st_size > 0
    assert f"report: {root / 'index.html'}" in proc.stdout


INTERRUPTED = """\
kind: faults
name: faults-sigterm
datasets: [AISMapDataset, AISIterDataset]
num_workers: [0]
faults: {target_kill_restart: {}}
"""


@pytest.mark.timeout(240)
def test_a_faults_run_stopped_by_sigterm_keeps_what_ran_stops_its_cluster_and_says_so(
    tmp_path: Path,
) -> None:
    scenario = tmp_path / "faults-sigterm.yaml"
    scenario.write_text(INTERRUPTED)
    reports = tmp_path / "reports"
    home = tmp_path / "home"
    (home / "bin").mkdir(parents=True)
    for binary in (REPO / ".ais" / "bin").iterdir():  # the built aisnode, in a home of its own
        (home / "bin" / binary.name).symlink_to(binary)
    env = {**os.environ, "AISBENCH_HOME": str(home)}
    with (tmp_path / "run.log").open("wb") as log:
        suite = subprocess.Popen([sys.executable, "-m", "aisbench.cli", "run", str(scenario),
                                  "--reports", str(reports)], env=env, stdout=log,
                                 stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 180
        while not _cases_kept(reports):
            assert suite.poll() is None and time.monotonic() < deadline, \
                (tmp_path / "run.log").read_text()[-2000:]
            time.sleep(0.2)
        suite.send_signal(signal.SIGTERM)
        code = suite.wait(timeout=120)
    output = (tmp_path / "run.log").read_text()
    assert code == 1, output[-2000:]
    (root,) = reports.glob("faults-sigterm-*")
    (run_json,) = (reports / "runs").glob("*.json")
    record = read_run_json(run_json)
    assert record.stopped == "interrupted (SIGINT or SIGTERM)"
    assert record.finished_at is None
    kept = record.verdicts
    assert kept and all(not o.failed for o in kept)  # what ran before the signal stands
    assert "did not finish" in (root / "index.html").read_text()
    assert not list((home / "state").glob("faults-*"))  # its cluster stopped and removed
    leftover = subprocess.run(["pgrep", "-f", str(home / "state")], capture_output=True,
                              text=True, check=False)
    assert leftover.stdout.strip() == "", leftover.stdout


def _cases_kept(reports: Path) -> int:
    """Cases the run's JSON holds so far (0 before it exists; it is replaced atomically)."""
    runs = list((reports / "runs").glob("*.json"))
    return len(read_run_json(runs[0]).cases) if runs else 0
