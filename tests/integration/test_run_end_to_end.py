"""`aisbench run`, `compare` and `--resume` as a user types them, on the real cluster.

The scenario names the local backend, but AIS_ENDPOINT points the run at the session's
cluster, so the run never starts or stops one.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from aisbench.scenario.dataset import DatasetSpec, SizeRange
from aisref.client import Client

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
SEED = 7_310_043  # this module's own dataset bucket
SCENARIO = f"""\
name: e2e-test
description: two strategies, with and without workers
cluster: {{backend: local}}
dataset: {{kind: objects, count: 200, object_size: 4KiB, seed: {SEED}}}
loader: {{batch_size: 16}}
run: {{duration_s: 1, warmup_s: 0.5, repeats: 2}}
matrix:
  strategy: [aisref-map, aisref-iter]
  loader.num_workers: [0, 2]
"""
DATASET = DatasetSpec(kind="objects", count=200, seed=SEED, object_size=SizeRange(4096, 4096))


def aisbench(*args: str, endpoint: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "AIS_ENDPOINT": endpoint}
    return subprocess.run([sys.executable, "-m", "aisbench.cli", *args], capture_output=True,
                          text=True, timeout=400, cwd=REPO, env=env)


@dataclass(frozen=True)
class FinishedRun:
    scenario: Path
    reports: Path
    json_path: Path
    run: dict[str, Any]
    proc: subprocess.CompletedProcess[str]


@pytest.fixture(scope="module")
def finished_run(ais_endpoint: str, tmp_path_factory: pytest.TempPathFactory
                 ) -> Iterator[FinishedRun]:
    tmp = tmp_path_factory.mktemp("e2e")
    scenario = tmp / "e2e-test.yaml"
    scenario.write_text(SCENARIO)
    reports = tmp / "reports"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AIS_ENDPOINT", ais_endpoint)
        proc = aisbench("run", str(scenario), "--reports", str(reports), "--no-report",
                        "--quiet", endpoint=ais_endpoint)
        json_files = sorted((reports / "runs").glob("*.json")) if proc.returncode == 0 else []
        assert len(json_files) == 1, proc.stdout + proc.stderr
        run = json.loads(json_files[0].read_text())
        yield FinishedRun(scenario, reports, json_files[0], run, proc)
    Client(ais_endpoint).bucket(DATASET.bucket_name).delete(missing_ok=True)


def cases(run: FinishedRun) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = run.run["cases"]
    return found


def test_run_exits_0(finished_run: FinishedRun) -> None:
    assert finished_run.proc.returncode == 0, finished_run.proc.stderr


def test_the_run_json_records_how_the_run_ended(finished_run: FinishedRun) -> None:
    run = finished_run.run
    assert (run["version"], run["description"]) == (3, "two strategies, with and without workers")
    assert run["finished_at"] and run["stopped"] is None


def test_every_window_of_the_fresh_case_processes_says_where_its_time_went(
        finished_run: FinishedRun) -> None:
    for case in cases(finished_run):
        workers = case["params"]["num_workers"]
        for window in [case["warmup"], *case["repeats"]]:
            stages = window["stages"]
            assert stages["workers"] == workers and stages["not_measured"] == []
            consumer = sum(stages["main_s"].values())
            assert abs(consumer - window["duration_s"]) <= 0.05 * window["duration_s"]
            assert ("receive" in stages["workers_s"]) == (workers > 0), case["case_id"]


def test_run_reads_the_scenarios_dataset_bucket(finished_run: FinishedRun) -> None:
    assert f"dataset {DATASET.bucket_name}: 200 objects" in finished_run.proc.stdout


def test_run_json_has_the_four_cases_all_ok(finished_run: FinishedRun) -> None:
    assert [c["case_id"] for c in cases(finished_run)] == [
        "strategy=aisref-map,num_workers=0", "strategy=aisref-map,num_workers=2",
        "strategy=aisref-iter,num_workers=0", "strategy=aisref-iter,num_workers=2"]
    assert [c["status"] for c in cases(finished_run)] == ["ok"] * 4


def test_every_case_has_two_repeats_and_a_warmup(finished_run: FinishedRun) -> None:
    for case in cases(finished_run):
        assert len(case["repeats"]) == 2, case["case_id"]
        assert case["warmup"] is not None, case["case_id"]


def test_every_repeat_delivered_samples(finished_run: FinishedRun) -> None:
    for case in cases(finished_run):
        for repeat in case["repeats"]:
            assert repeat["samples"] > 0 and repeat["samples"] / repeat["duration_s"] > 0


def test_cases_with_workers_count_their_cpu(finished_run: FinishedRun) -> None:
    with_workers = [c for c in cases(finished_run) if c["params"]["num_workers"] == 2]
    assert len(with_workers) == 2
    for case in with_workers:
        assert all(repeat["cpu_seconds"] > 0 for repeat in case["repeats"]), case["case_id"]


def test_compare_of_a_run_with_itself_exits_0_unchanged(finished_run: FinishedRun,
                                                        ais_endpoint: str) -> None:
    path = str(finished_run.json_path)
    proc = aisbench("compare", path, path, "--reports", str(finished_run.reports),
                    endpoint=ais_endpoint)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert ": 4 unchanged." in proc.stdout
    assert "Gate: passes." in proc.stdout


def test_resume_of_a_finished_run_reruns_nothing(finished_run: FinishedRun,
                                                 ais_endpoint: str) -> None:
    run_id = finished_run.run["run_id"]
    before = finished_run.json_path.read_text()
    proc = aisbench("run", str(finished_run.scenario), "--reports", str(finished_run.reports),
                    "--no-report", "--quiet", "--resume", run_id, endpoint=ais_endpoint)
    assert proc.returncode == 0, proc.stderr
    assert f"resuming run {run_id}: 4 of 4 cases already finished" in proc.stdout
    after = json.loads(finished_run.json_path.read_text())
    assert [c["repeats"] for c in after["cases"]] == \
        [c["repeats"] for c in json.loads(before)["cases"]]


def test_a_bad_scenario_exits_2_with_one_line_naming_the_file(tmp_path: Path,
                                                              ais_endpoint: str) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("dataset: {kind: objects, count: 10, object_size: 1KiB}\n"
                   "strategy: aisref-map\nloader: {num_worker: 2}\n")
    proc = aisbench("run", str(bad), "--reports", str(tmp_path), "--no-report", "--quiet",
                    endpoint=ais_endpoint)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "bad.yaml" in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr
