"""The example plugin (examples/aisbench-plugin-example, installed by scripts/setup.sh) as a
user of it gets it: listed by `aisbench strategies` with its distribution, measured by the
runner on the real cluster, and its own tests passing through aisbench's pytest plugin - all on
this session's one cluster."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

from aisbench.cli import main
from aisbench.pytest_plugin import RunsCase

pytestmark = pytest.mark.integration

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "aisbench-plugin-example"
DISTRIBUTION = "aisbench-plugin-example"
SCENARIO = {
    "name": "plugin-example",
    "dataset": {"kind": "objects", "count": 16, "object_size": "1KiB", "seed": 15_004},
    "loader": {"num_workers": 0, "batch_size": 4},
    "run": {"epochs": 1, "warmup_s": 0, "repeats": 1},
}


@pytest.fixture(scope="module", autouse=True)
def example_installed() -> None:
    try:
        metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        pytest.fail(f"{DISTRIBUTION} is not installed: run scripts/setup.sh (it installs "
                    f"{EXAMPLE.relative_to(EXAMPLE.parents[1])} into .venv)")


def test_aisbench_strategies_lists_the_example_with_its_distribution(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["strategies"]) == 0
    (line,) = [x for x in capsys.readouterr().out.splitlines()
               if x.startswith("example-http-stream ")]
    assert line.split(None, 5)[:5] == ["example-http-stream", "objects", "aisloader",
                                       DISTRIBUTION, metadata.version(DISTRIBUTION)]


def test_the_plugins_cluster_is_this_suites_one_session_cluster(
        aisbench_cluster: str, ais_endpoint: str) -> None:
    assert aisbench_cluster == ais_endpoint


def test_the_runner_measures_an_epoch_of_the_example_strategy(aisbench_case: RunsCase) -> None:
    result = aisbench_case(SCENARIO, strategy="example-http-stream")
    (epoch,) = result.repeats
    assert (result.strategy, result.status) == ("example-http-stream", "ok")
    assert (epoch.samples, epoch.bytes, epoch.batches) == (16, 16 * 1024, 4)
    assert result.extra["ceiling_strategy"] == "aisloader"


def test_the_examples_own_tests_pass_through_the_pytest_plugin(ais_endpoint: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=EXAMPLE, env={**os.environ, "AIS_ENDPOINT": ais_endpoint},
        capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert proc.stdout.strip().splitlines()[-1].startswith("1 passed")
