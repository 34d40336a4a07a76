"""`aisbench ab` as CI runs it, on the real cluster: HEAD against itself passes, against a
committed slowdown fails, against a broken client names the version; bad refs and Ctrl-C.

The versions are HEAD and commits made on top of it with git plumbing (no branch moves); the
thresholds are wide so these small runs decide reliably on a busy machine - the gate's real
false-alarm rate and power are measured by scripts/gate_detection.py, not here.
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

from aisbench.ab.injected_slowdown import iterations_for, patched_commit, slowed_commit
from aisbench.ab.versions import resolve_commit

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
SCENARIO = """\
name: ab-test
cluster: {backend: local}
dataset: {kind: objects, count: 300, object_size: 4KiB, seed: 5512}
loader: {num_workers: 0, batch_size: 16}
run: {duration_s: 1, warmup_s: 0.5, repeats: 1}
matrix:
  strategy: [aisref-map]
"""
WIDE = ["--threshold", "0.5", "--cpu-threshold", "0.5", "--blocks", "6", "--max-blocks", "6"]


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ab") / "ab-test.yaml"
    path.write_text(SCENARIO)
    return path


def ab(*args: str, endpoint: str, reports: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "AIS_ENDPOINT": endpoint}
    return subprocess.run([sys.executable, "-m", "aisbench.cli", "ab", *args, "--reports",
                           str(reports)], capture_output=True, text=True, timeout=600, cwd=REPO,
                          env=env)


def only_run(reports: Path) -> Path:
    (directory,) = (reports / "ab").iterdir()
    return directory


def test_head_against_itself_passes(ais_endpoint, scenario, tmp_path):
    proc = ab(str(scenario), "--base", "HEAD", "--current", "HEAD", *WIDE,
              endpoint=ais_endpoint, reports=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Gate: passes" in proc.stdout
    directory = only_run(tmp_path)
    lines = (directory / "measurements.jsonl").read_text().splitlines()
    assert len(lines) == 12 and all(json.loads(line)["ok"] for line in lines)
    summary = json.loads((directory / "ab.json").read_text())
    assert summary["verdicts"][0]["verdict"] == "unchanged"
    assert summary["versions"]["base"]["commit"] == resolve_commit(REPO, "HEAD")
    assert (directory / "summary.md").read_text() in proc.stdout


def test_a_committed_slowdown_in_the_request_path_fails_the_gate(ais_endpoint, scenario,
                                                                  tmp_path):
    slowed = slowed_commit(REPO, resolve_commit(REPO, "HEAD"), iterations_for(0.01))
    proc = ab(str(scenario), "--base", "HEAD", "--current", slowed, *WIDE,
              endpoint=ais_endpoint, reports=tmp_path)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Gate: fails" in proc.stdout and "**slower**" in proc.stdout


def test_a_case_failing_in_the_current_version_only_is_named_and_fails(ais_endpoint, scenario,
                                                                       tmp_path):
    broken = patched_commit(REPO, resolve_commit(REPO, "HEAD"),
                            'raise RuntimeError("injected failure")', "test: broken client")
    proc = ab(str(scenario), "--base", "HEAD", "--current", broken, *WIDE,
              endpoint=ais_endpoint, reports=tmp_path)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "fails in the current version only" in proc.stdout
    assert "injected failure" in proc.stdout


def test_an_unknown_ref_exits_2_naming_it(scenario, tmp_path):
    proc = ab(str(scenario), "--base", "no-such-ref-42", endpoint="http://127.0.0.1:1",
              reports=tmp_path)
    assert proc.returncode == 2
    assert "unknown git ref 'no-such-ref-42'" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_ctrl_c_keeps_finished_blocks_and_prints_the_verdict_so_far(ais_endpoint, scenario,
                                                                    tmp_path):
    env = {**os.environ, "AIS_ENDPOINT": ais_endpoint}
    worktrees_before = ab_worktrees()
    proc = subprocess.Popen([sys.executable, "-m", "aisbench.cli", "ab", str(scenario),
                             "--base", "HEAD", "--current", "HEAD", *WIDE, "--reports",
                             str(tmp_path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, cwd=REPO, env=env, preexec_fn=_ctrl_c_as_at_a_terminal)
    deadline = time.monotonic() + 300
    jsonl = None
    while time.monotonic() < deadline and proc.poll() is None:
        found = list((tmp_path / "ab").glob("*/measurements.jsonl"))
        if found and len(found[0].read_text().splitlines()) >= 3:
            jsonl = found[0]
            break
        time.sleep(0.2)
    assert jsonl is not None, "no measurement finished in time"
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, out + err
    assert "**Interrupted**" in out
    kept = len(jsonl.read_text().splitlines())
    assert kept >= 3
    summary = json.loads((jsonl.parent / "ab.json").read_text())
    assert summary["interrupted"] is True
    assert ab_worktrees() <= worktrees_before  # the checked-out versions are removed


def _ctrl_c_as_at_a_terminal() -> None:
    """A suite started in the background (`make test &`, some CI runners) inherits SIGINT
    ignored, and Python then never turns it into KeyboardInterrupt: give the child the default
    disposition a person at a terminal has."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def ab_worktrees() -> set[str]:
    listing = subprocess.run(["git", "-C", str(REPO), "worktree", "list", "--porcelain"],
                             capture_output=True, text=True, check=True).stdout
    return {line for line in listing.splitlines() if "aisbench-ab-" in line}
