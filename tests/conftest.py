"""Shared fixtures: ONE real AIStore cluster for the whole test session.

With AIS_ENDPOINT set, that cluster is used and never started or stopped. Otherwise a local
cluster of real `aisnode` processes (built by scripts/setup.sh) starts once on free ports and is
stopped at the end. A missing binary fails the integration tests loudly instead of skipping them.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from aisbench.cluster.base import Topology
from aisbench.cluster.binaries import find_binary
from aisbench.cluster.local import LocalCluster
from aisbench.cluster.select import default_home
from tests.missing_tools import OPT_OUT, opted_out


@pytest.fixture(scope="session")
def ais_home() -> Path:
    """Where aisnode/aisloader live (<home>/bin)."""
    return default_home()


@pytest.fixture(scope="session")
def ais_endpoint(ais_home: Path) -> Iterator[str]:
    """The endpoint of a ready cluster (1 proxy, 2 targets), e.g. "http://127.0.0.1:21080"."""
    external = os.environ.get("AIS_ENDPOINT")
    if external:
        yield external.rstrip("/")
        return
    # Not pytest's tmp_path: a later pytest session prunes old basetemp dirs, and with them the
    # data of a cluster another session still runs.
    state_dir = Path(tempfile.mkdtemp(prefix="aisbench-test-cluster-"))
    cluster = LocalCluster(state_dir, find_aisnode=lambda: find_binary("aisnode", ais_home))
    try:
        status = cluster.up(Topology(proxies=1, targets=2, mountpaths=1))
        yield status.endpoint
    finally:
        cluster.down(keep_data=False)
        shutil.rmtree(state_dir, ignore_errors=True)


@pytest.fixture
def unique_name() -> str:
    """A short unique suffix for bucket names, so tests never collide."""
    return uuid.uuid4().hex[:10]


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say loudly when CI let tests skip for a missing tool (see tests/missing_tools.py)."""
    if opted_out(os.environ):
        skipped = len(terminalreporter.stats.get("skipped", []))
        terminalreporter.write_sep("!", f"{OPT_OUT}=1: tests needing a Docker engine or Chromium "
                                        f"may have skipped ({skipped} skips in all)", red=True)
