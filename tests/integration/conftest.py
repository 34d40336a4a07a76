"""Fixtures every integration module shares, defined here once.

A fixture function imported into two test modules is two fixtures to pytest, each with its own
session cache: the session-scoped fault cluster, imported by each fault module, started once
per module (~15 s each).
"""

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.cluster_starts import ClusterStarts, started_together
from tests.integration.fault_fixtures import fault_cluster, fault_cluster_running
from tests.integration.security_fixtures import auth_cluster_running, tls_cluster_running

__all__ = ["fault_cluster", "private_clusters"]


@pytest.fixture(scope="session")
def private_clusters(request: pytest.FixtureRequest, ais_home: Path,
                     tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClusterStarts]:
    """The clusters of their own that this session's tests use (named by the fixtures that
    hand them out), all started at once when the first is asked for (cluster_starts.py)."""
    starts = {
        "fault_cluster": lambda: fault_cluster_running(tmp_path_factory.mktemp("fault-cluster"),
                                                       ais_home),
        "tls_cluster": lambda: tls_cluster_running(ais_home),
        "auth_cluster": lambda: auth_cluster_running(ais_home),
    }
    used = {name for item in request.session.items if isinstance(item, pytest.Function)
            for name in item.fixturenames}
    with started_together(starts, used & starts.keys()) as clusters:
        yield clusters
