"""Shared fixtures: ONE real AIStore cluster for the whole test session.

With AIS_ENDPOINT set, that cluster is used and never started or stopped. Otherwise a local
cluster of real `aisnode` processes (built by scripts/setup.sh) starts once on free ports and is
stopped at the end. A missing binary fails the integration tests loudly instead of skipping them.
The pytest plugin's `aisbench_cluster` (aisbench/pytest_plugin.py) is that same cluster here.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from aisbench.cluster import scoped_cluster
from aisbench.cluster.select import default_home
from tests.missing_tools import OPT_OUT, opted_out


@pytest.fixture(scope="session")
def ais_home() -> Path:
    """Where aisnode/aisloader live (<home>/bin)."""
    return default_home()


@pytest.fixture(scope="session")
def ais_endpoint(ais_home: Path) -> Iterator[str]:
    """The endpoint of a ready cluster (1 proxy, 2 targets), e.g. "http://127.0.0.1:21080"."""
    with scoped_cluster(ais_home, os.environ.get("AIS_ENDPOINT")) as endpoint:
        yield endpoint


@pytest.fixture(scope="session")
def aisbench_cluster(ais_endpoint: str) -> str:
    """The pytest plugin's cluster fixture, overridden: this suite's one session cluster."""
    return ais_endpoint


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
