"""`aisbench cluster` against real aisnode processes: up, use, reuse, recover, down.

An `up` that starts nodes runs as a user runs it, in a process of its own that exits while its
nodes run on. The other commands run `aisbench.cli.main` in this process (cli_in_process.py):
the same parsing, handlers, output and exit codes, without ~3 s of start-up per command.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from aisbench.cluster.binaries import find_binary
from aisbench.cluster.ports import endpoint_is_free
from aisbench.cluster.processes import is_running
from tests.integration.cli_in_process import run_main

pytestmark = pytest.mark.integration

OBJECTS = 200
# The home's bin/ says which binaries a command uses; an override in the environment would
# start the real aisnode where a test put a fake one (and leave that cluster running).
NOT_INHERITED = ("AIS_ENDPOINT", "AISNODE_BIN", "AISLOADER_BIN")


def _cli(home: Path, *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    """`aisbench <args>` in a fresh process, on the local cluster under ``home``."""
    env = {k: v for k, v in os.environ.items() if k not in NOT_INHERITED}
    env["AISBENCH_HOME"] = str(home)
    return subprocess.run([sys.executable, "-m", "aisbench.cli", *args], env=env,
                          capture_output=True, text=True, timeout=timeout)


def _main(home: Path, *args: str, endpoint: str | None = None,
          ) -> subprocess.CompletedProcess[str]:
    """`aisbench <args>` in this process, with the environment `_cli` gives its process (and
    AIS_ENDPOINT=``endpoint`` when given)."""
    return run_main(args, {**dict.fromkeys(NOT_INHERITED), "AISBENCH_HOME": str(home),
                           "AIS_ENDPOINT": endpoint})


@pytest.fixture
def home(tmp_path: Path, ais_home: Path) -> Path:
    """A private aisbench home whose bin/ is the real, pinned aisnode."""
    (tmp_path / "bin").mkdir()
    for name in ("aisnode", "aisloader"):
        (tmp_path / "bin" / name).symlink_to(find_binary(name, ais_home))
    return tmp_path


def _status(home: Path) -> dict:
    result = _main(home, "cluster", "status", "--json")
    assert result.returncode == 0, result.stderr
    status: dict = json.loads(result.stdout)
    return status


def _aisnode_processes_under(home: Path) -> list[int]:
    """Live (non-zombie) aisnode processes whose command line points into `home`."""
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                cmdline = (proc / "cmdline").read_bytes().decode(errors="replace")
            except OSError:
                continue
            if "aisnode" in cmdline and str(home) in cmdline and is_running(int(proc.name), ""):
                found.append(int(proc.name))
    return found


def _put_list_get_with_the_official_sdk(endpoint: str) -> None:
    from aistore.sdk import Client  # the independent client: a peer, not our implementation

    bucket = Client(endpoint).bucket("lifecycle")
    bucket.create()
    payloads = {f"obj-{i:04d}": os.urandom(100 + i) for i in range(OBJECTS)}
    for name, data in payloads.items():
        bucket.object(name).get_writer().put_content(data)

    listed: list[str] = []
    token, uuid = "", ""
    while True:
        page = bucket.list_objects(page_size=37, continuation_token=token, uuid=uuid)
        listed.extend(entry.name for entry in page.entries)
        token, uuid = page.continuation_token, page.uuid
        if not token:
            break
    assert sorted(listed) == sorted(payloads)
    for name, data in payloads.items():
        assert bucket.object(name).get_reader().read_all() == data


def test_up_use_reuse_recover_down(home: Path) -> None:
    try:
        _up_use_reuse_recover(home)
    finally:
        if _aisnode_processes_under(home):  # a check failed with the cluster up
            _main(home, "cluster", "down")


def _up_use_reuse_recover(home: Path) -> None:
    up = _cli(home, "cluster", "up")
    assert up.returncode == 0, up.stderr
    status = _status(home)
    endpoint = status["endpoint"]
    assert status["ready"] and status["version"].startswith("5.0")
    assert [n["role"] for n in status["nodes"]] == ["proxy", "target", "target"]
    assert all(n["alive"] for n in status["nodes"])

    _put_list_get_with_the_official_sdk(endpoint)

    # Running `up` again reuses the running cluster: same processes.
    pids = [n["pid"] for n in status["nodes"]]
    assert _main(home, "cluster", "up").returncode == 0
    assert [n["pid"] for n in _status(home)["nodes"]] == pids

    # A crashed node leaves stale state: `up` detects it, cleans it and starts afresh.
    os.kill(pids[-1], signal.SIGKILL)
    assert _main(home, "cluster", "status").returncode == 1
    recovered = _cli(home, "cluster", "up")
    assert recovered.returncode == 0, recovered.stderr
    restarted = _status(home)
    assert restarted["ready"] and all(n["alive"] for n in restarted["nodes"])

    assert len(_aisnode_processes_under(home)) == 3
    ports = [n["port"] for n in restarted["nodes"]]
    down = _main(home, "cluster", "down")
    assert down.returncode == 0, down.stderr
    assert _aisnode_processes_under(home) == []
    assert all(endpoint_is_free(('127.0.0.1', port)) for port in ports)
    assert not (home / "state" / "local").exists()


def _fake_aisnode(path: Path, version: str, behaviour: str) -> Path:
    path.write_text(
        "#!/bin/sh\n"
        f'case "$1" in -h) echo "  Version {version} (build: )"; exit 0;; esac\n'
        f"{behaviour}\n"
    )
    path.chmod(0o755)
    return path


def test_wrong_version_binary_is_refused_with_the_pinned_version(tmp_path: Path) -> None:
    (tmp_path / "bin").mkdir()
    _fake_aisnode(tmp_path / "bin" / "aisnode", "4.1.", "exit 1")
    result = _main(tmp_path, "cluster", "up")
    assert result.returncode == 2
    assert "is aisnode 4.1, but" in result.stderr and "pinned to AIStore v1.5.0" in result.stderr


def test_node_dying_during_start_shows_the_tail_of_its_log(tmp_path: Path) -> None:
    (tmp_path / "bin").mkdir()
    _fake_aisnode(tmp_path / "bin" / "aisnode", "5.0.",
                  'echo "FATAL ERROR: mountpath is gone"; exit 1')
    result = _main(tmp_path, "cluster", "up")
    assert result.returncode == 2
    assert "exited during start" in result.stderr
    assert "FATAL ERROR: mountpath is gone" in result.stderr
    assert not (tmp_path / "state" / "local").exists()  # nothing half-started is left


def test_missing_binary_error_names_the_ways_out(tmp_path: Path) -> None:
    result = _main(tmp_path, "cluster", "up")
    assert result.returncode == 2
    assert "AISNODE_BIN" in result.stderr and "AIS_ENDPOINT" in result.stderr


def test_zero_targets_is_a_usage_error(tmp_path: Path) -> None:
    result = _main(tmp_path, "cluster", "up", "--targets", "0")
    assert result.returncode == 2
    assert "--targets: must be >= 1, got 0" in result.stderr


def test_external_endpoint_is_never_stopped(ais_endpoint: str, tmp_path: Path) -> None:
    status = _main(tmp_path, "cluster", "status", "--json", endpoint=ais_endpoint)
    assert status.returncode == 0, status.stderr
    assert json.loads(status.stdout)["backend"] == "external"
    down = _main(tmp_path, "cluster", "down", endpoint=ais_endpoint)
    assert down.returncode == 2 and "never stops it" in down.stderr
